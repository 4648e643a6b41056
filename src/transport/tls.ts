/**
 * TLS for HTTPS endpoints: our own verification after the handshake, so that SkipCACheck,
 * SkipCNCheck and thumbprint pinning each mean exactly one thing.
 *
 * Node checks the chain and the name in one step and cannot tell us which failed once
 * rejectUnauthorized is off, so the handshake runs with rejectUnauthorized=false and a no-op
 * name check, and `verifyPeer` applies the rules:
 *   - a pinned thumbprint accepts exactly that certificate (chain and name not consulted);
 *   - otherwise the chain must verify unless skipCACheck, and the name must match unless skipCNCheck.
 */
import { readFileSync } from 'node:fs';
import type { TLSSocket, PeerCertificate, ConnectionOptions } from 'node:tls';
import { nodeTls } from '../util/builtins.js';
import type { Socket } from 'node:net';
import type forgeModule from 'node-forge';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from './undici.js';
import { WsmanTlsError, WsmanUsageError } from '../core/errors.js';
import { nodeForge } from '../util/forge.js';
import type { ClientCertificate, TlsOptions } from './types.js';

/** Normalise a thumbprint: hex digits only, uppercase (`ab:cd` → `ABCD`). */
export function normalizeThumbprint(text: string): string {
  return text.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

/** SHA-1 thumbprint of a peer certificate as Windows prints it (40 uppercase hex digits). */
export function certThumbprint(cert: PeerCertificate): string {
  return normalizeThumbprint(cert.fingerprint ?? '');
}

function readPem(files: string | string[] | undefined): string[] {
  if (files === undefined) return [];
  return (Array.isArray(files) ? files : [files]).map((f) => readFileSync(f, 'utf8'));
}

/** Client certificate and key as PEM. PFX is opened with node-forge (legacy ciphers OpenSSL 3 lacks). */
export function loadClientCertificate(c: ClientCertificate): { cert: string; key: string } {
  if ('certPem' in c) return { cert: c.certPem, key: c.keyPem };
  if ('certFile' in c) return { cert: readFileSync(c.certFile, 'utf8'), key: readFileSync(c.keyFile, 'utf8') };
  const forge = nodeForge();
  const bytes = 'pfxFile' in c ? readFileSync(c.pfxFile) : Buffer.from(c.pfx);
  let p12: forgeModule.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, c.passphrase ?? '');
  } catch (err) {
    throw new WsmanUsageError(`cannot open the PFX client certificate (wrong passphrase or not PKCS#12): ${(err as Error).message}`, 'ERR_CLIENT_CERT');
  }
  const bagsOf = (type: string): forgeModule.pkcs12.Bag[] => p12.getBags({ bagType: type })[type] ?? [];
  const certBag = forge.pki.oids.certBag as string;
  const shrouded = forge.pki.oids.pkcs8ShroudedKeyBag as string;
  const plainKey = forge.pki.oids.keyBag as string;
  const certs = bagsOf(certBag).map((b) => b.cert).filter((x): x is forgeModule.pki.Certificate => x !== undefined && x !== null);
  const key = [...bagsOf(shrouded), ...bagsOf(plainKey)].map((b) => b.key).find((k) => k !== undefined && k !== null);
  if (certs.length === 0 || !key) throw new WsmanUsageError('the PFX holds no certificate with a private key', 'ERR_CLIENT_CERT');
  return { cert: certs.map((x) => forge.pki.certificateToPem(x)).join(''), key: forge.pki.privateKeyToPem(key) };
}

/** Node connect options for the handshake itself (verification happens in verifyPeer). */
export function tlsConnectOptions(tls: TlsOptions | undefined): ConnectionOptions {
  const opts: ConnectionOptions = {
    // Never below TLS 1.2 whatever node's --tls-min-v1.0 says; node's default suites prefer
    // ECDHE-GCM, which Windows offers from 2012 R2 on (older hosts may still pick a CBC suite).
    minVersion: 'TLSv1.2',
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  const cas = [...readPem(tls?.caFile), ...(tls?.ca === undefined ? [] : Array.isArray(tls.ca) ? tls.ca : [tls.ca])];
  if (cas.length) opts.ca = cas;
  if (tls?.clientCert) {
    const { cert, key } = loadClientCertificate(tls.clientCert);
    opts.cert = cert;
    opts.key = key;
  }
  if (tls?.servername !== undefined) opts.servername = tls.servername;
  return opts;
}

/** Apply our rules to a connected TLS socket. Returns the error to fail with, or undefined. */
export function verifyPeer(socket: TLSSocket, host: string, tls: TlsOptions | undefined): WsmanTlsError | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return new WsmanTlsError(`${host} presented no certificate`, 'ERR_TLS_NO_CERT');
  const thumb = certThumbprint(cert);
  if (tls?.serverThumbprint !== undefined) {
    const want = normalizeThumbprint(tls.serverThumbprint);
    if (thumb === want) return undefined;
    return new WsmanTlsError(`the certificate of ${host} has thumbprint ${thumb}, not the pinned ${want}`, 'ERR_TLS_THUMBPRINT');
  }
  if (!tls?.skipCACheck && !socket.authorized) {
    const why = String(socket.authorizationError ?? 'unknown reason');
    return new WsmanTlsError(
      `the certificate of ${host} is not trusted (${why}; thumbprint ${thumb}). ` +
      'Trust its CA (--ca-file), pin it (--server-thumbprint), or skip the check (--skip-ca-check)', 'ERR_TLS_UNTRUSTED');
  }
  if (!tls?.skipCNCheck) {
    const err = nodeTls().checkServerIdentity(tls?.servername ?? host, cert);
    if (err) {
      return new WsmanTlsError(`the certificate of ${host} does not name it (${err.message}). Use --skip-cn-check to accept it`,
        'ERR_TLS_NAME');
    }
  }
  return undefined;
}

export type Connector = BuildConnector.connector;

/**
 * Wrap a connector so that every new HTTPS connection is verified by verifyPeer before undici
 * sends anything on it. Used for direct connections and for tunnels through a proxy.
 */
export function verifyingConnector(inner: Connector, tls: TlsOptions | undefined, onPeer?: (certDer: Buffer) => void): Connector {
  return (opts, callback) => {
    inner(opts, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error('connect failed'), null);
        return;
      }
      if (opts.protocol === 'https:') {
        const bad = verifyPeer(socket as TLSSocket, opts.hostname, tls);
        if (bad) {
          (socket as Socket).destroy();
          callback(bad, null);
          return;
        }
        onPeer?.((socket as TLSSocket).getPeerCertificate().raw);
      }
      callback(null, socket);
    });
  };
}

/** A connector for direct connections with our TLS rules. */
export function directConnector(tls: TlsOptions | undefined, connectTimeoutMs: number | undefined, onPeer?: (certDer: Buffer) => void): Connector {
  return verifyingConnector(buildConnector({ ...tlsConnectOptions(tls), maxCachedSessions: 0, timeout: connectTimeoutMs ?? 30_000 }), tls, onPeer);
}
