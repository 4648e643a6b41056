/**
 * Client certificates: load one (certificate + private key) from PEM or PFX, and find one by
 * thumbprint in a store directory of PEM/PFX files (PowerShell's `-CertificateThumbprint`, which
 * looks in Cert:\CurrentUser\My). The directory is read through an injected file-system object,
 * so this module does no I/O of its own: pass `node:fs/promises`.
 */
import path from 'node:path';
import type Forge from 'node-forge';
import { nodeForge } from '../util/forge.js';
import { WsmanUsageError } from '../core/errors.js';
import { certificateDer, certificateThumbprint, derToPem, normalizeThumbprint, pemBlocks } from './certificate.js';

const CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const KEY_BAG = '1.2.840.113549.1.12.10.1.1';

/** A certificate with its private key, in PEM, ready for TLS (`cert`/`key` of node:tls). */
export interface ClientCertificate {
  certPem: string;
  keyPem: string;
  /** Further certificates (issuers) found with it. */
  chainPem: string[];
  thumbprint: string;
  /** Where it came from (a file name), for messages. */
  source?: string;
}

/** Load from PEM text holding the certificate and (unless `keyPem` is given) its private key. */
export function loadPemCertificate(certPem: string, keyPem?: string, source?: string): ClientCertificate {
  const blocks = pemBlocks(certPem);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const key = keyPem ?? blocks.find((b) => /PRIVATE KEY$/.test(b.label))?.pem;
  const first = certs[0];
  if (!first) throw new WsmanUsageError(`no certificate in ${source ?? 'the PEM data'}`, 'ERR_CERT_INVALID');
  if (!key) throw new WsmanUsageError(`no private key for the certificate in ${source ?? 'the PEM data'}`, 'ERR_CERT_NO_KEY');
  return {
    certPem: first.pem + '\n',
    keyPem: key.endsWith('\n') ? key : key + '\n',
    chainPem: certs.slice(1).map((c) => c.pem + '\n'),
    thumbprint: certificateThumbprint(first.der),
    ...(source ? { source } : {}),
  };
}

/**
 * Load from a PFX/PKCS#12 file's bytes. The password comes from the caller (an argument or an
 * environment variable it read), never from a command-line flag. A wrong password gives a clear
 * error that does not repeat it.
 */
export function loadPfxCertificate(pfx: Uint8Array, password = '', source?: string): ClientCertificate {
  const forge = nodeForge();
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pfx).toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch {
    throw new WsmanUsageError(`cannot open PFX ${source ?? ''}: wrong password or not a PKCS#12 file`.replace('  ', ' '), 'ERR_CERT_PFX');
  }
  const certBags = p12.getBags({ bagType: CERT_BAG })[CERT_BAG] ?? [];
  const keyBags = [
    ...(p12.getBags({ bagType: SHROUDED_KEY_BAG })[SHROUDED_KEY_BAG] ?? []),
    ...(p12.getBags({ bagType: KEY_BAG })[KEY_BAG] ?? []),
  ];
  const certs = certBags.flatMap((b) => (b.cert ? [b.cert] : []));
  const keyBag = keyBags.find((b) => b.key);
  if (certs.length === 0) throw new WsmanUsageError(`no certificate in PFX ${source ?? ''}`, 'ERR_CERT_INVALID');
  if (!keyBag?.key) throw new WsmanUsageError(`no private key in PFX ${source ?? ''}`, 'ERR_CERT_NO_KEY');
  // The end-entity certificate is the one whose public key matches the private key.
  const key = keyBag.key as Forge.pki.rsa.PrivateKey;
  const matches = (c: Forge.pki.Certificate): boolean => {
    const pub = c.publicKey as Forge.pki.rsa.PublicKey;
    return pub.n !== undefined && key.n !== undefined && pub.n.equals(key.n);
  };
  const leaf = certs.find(matches) ?? certs[0];
  const toPem = (c: Forge.pki.Certificate): string => derToPem(new Uint8Array(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary')));
  const certPem = toPem(leaf as Forge.pki.Certificate);
  return {
    certPem,
    keyPem: forge.pki.privateKeyToPem(key),
    chainPem: certs.filter((c) => c !== leaf).map(toPem),
    thumbprint: certificateThumbprint(certPem),
    ...(source ? { source } : {}),
  };
}

/** Load a client certificate file: PFX/P12 by extension or content, else PEM. */
export function loadCertificateFile(name: string, data: Uint8Array, opts: { password?: string; keyPem?: string } = {}): ClientCertificate {
  const text = Buffer.from(data).toString('latin1');
  if (/\.(pfx|p12)$/i.test(name) || !text.includes('-----BEGIN')) return loadPfxCertificate(data, opts.password ?? '', name);
  return loadPemCertificate(text, opts.keyPem, name);
}

/** The file-system calls the store needs (`node:fs/promises` fits). */
export interface StoreFs {
  readdir(dir: string): Promise<string[]>;
  readFile(file: string): Promise<Uint8Array>;
}

/** Where the store lives: `WSMAN_CERT_STORE`, else `$XDG_CONFIG_HOME/wsman/certs` (or `~/.config/wsman/certs`). */
export function defaultCertStoreDir(env: Record<string, string | undefined>, homeDir: string): string {
  if (env.WSMAN_CERT_STORE) return env.WSMAN_CERT_STORE;
  return path.join(env.XDG_CONFIG_HOME || path.join(homeDir, '.config'), 'wsman', 'certs');
}

const CERT_FILE = /\.(pem|crt|cer|pfx|p12)$/i;

/**
 * Find the certificate whose SHA-1 thumbprint is `thumbprint` among store files. PEM files may hold
 * the key themselves or in a sibling `<name>.key` / `<name>.key.pem` / `<name>-key.pem`. PFX files
 * are opened with `password`. Throws WsmanUsageError('ERR_CERT_NOT_FOUND') naming the thumbprint
 * and the number of certificates looked at when nothing matches.
 */
export async function findCertificateByThumbprint(
  thumbprint: string, dir: string, fs: StoreFs, opts: { password?: string } = {},
): Promise<ClientCertificate> {
  const want = normalizeThumbprint(thumbprint);
  if (!/^[0-9A-F]{40}$/.test(want)) throw new WsmanUsageError(`not a SHA-1 thumbprint: ${thumbprint}`, 'ERR_CERT_THUMBPRINT');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    throw new WsmanUsageError(`certificate store ${dir} cannot be read; set WSMAN_CERT_STORE or create it`, 'ERR_CERT_NOT_FOUND');
  }
  let seen = 0;
  for (const name of names.filter((n) => CERT_FILE.test(n) && !/[.-]key(\.pem)?$/i.test(n)).sort()) {
    const file = path.join(dir, name);
    let data: Uint8Array;
    try {
      data = await fs.readFile(file);
    } catch {
      continue;
    }
    const text = Buffer.from(data).toString('latin1');
    const isPfx = /\.(pfx|p12)$/i.test(name) || !text.includes('-----BEGIN');
    if (isPfx) {
      let cert: ClientCertificate;
      try {
        cert = loadPfxCertificate(data, opts.password ?? '', file);
      } catch {
        continue; // another password, or not ours
      }
      seen++;
      if (cert.thumbprint === want) return cert;
      continue;
    }
    let der: Uint8Array;
    try {
      der = certificateDer(text);
    } catch {
      continue;
    }
    seen++;
    if (certificateThumbprint(der) !== want) continue;
    if (pemBlocks(text).some((b) => /PRIVATE KEY$/.test(b.label))) return loadPemCertificate(text, undefined, file);
    const base = name.replace(/\.(pem|crt|cer)$/i, '');
    for (const keyName of [`${base}.key`, `${base}.key.pem`, `${base}-key.pem`]) {
      if (!names.includes(keyName)) continue;
      const key = Buffer.from(await fs.readFile(path.join(dir, keyName))).toString('latin1');
      return loadPemCertificate(text, key, file);
    }
    throw new WsmanUsageError(`certificate ${want} found in ${file} but its private key is missing`, 'ERR_CERT_NO_KEY');
  }
  throw new WsmanUsageError(`no certificate with thumbprint ${want} in ${dir} (${seen} certificate${seen === 1 ? '' : 's'} looked at)`, 'ERR_CERT_NOT_FOUND');
}
