/**
 * TLS material for the HTTPS endpoint: given files, a PFX, or a self-signed certificate made with
 * node-forge on first start and kept in the state directory (as `winrm quickconfig
 * -transport:https` would make one). The SHA-1 thumbprint is what clients pin.
 */
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type Forge from 'node-forge';
import { nodeForge } from '../util/forge.js';
import { WsmanUsageError } from '../core/errors.js';

/**
 * What the HTTPS endpoint offers (Mozilla's "intermediate" profile): TLS 1.3, and on TLS 1.2 only
 * forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305). No static-RSA key
 * exchange, no CBC, no SHA-1 MACs; TLS 1.0 and 1.1 are refused. Windows clients from 2012 R2 on
 * offer ECDHE-GCM suites. Like `Set-TlsCipherSuite`/`Disable-TlsCipherSuite` on the listener host.
 */
export const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ecdhCurve: 'X25519:prime256v1:secp384r1',
  honorCipherOrder: false,
} as const;

export interface TlsMaterial {
  cert?: string | Buffer;
  key?: string | Buffer;
  pfx?: Buffer;
  passphrase?: string;
  /** Uppercase hex SHA-1 of the leaf certificate (DER). */
  thumbprint: string;
}

export function thumbprintOfPem(pem: string | Buffer): string {
  const der = new X509Certificate(pem).raw;
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** Make a self-signed server certificate for `names` (DNS names or IPs). */
export function selfSigned(names: string[]): { cert: string; key: string } {
  const forge = nodeForge();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  cert.serialNumber = '01' + createHash('sha1').update(String(Date.now()) + Math.random()).digest('hex').slice(0, 30);
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: names[0] ?? 'localhost' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames = names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

/** The state directory's certificate, made on first use. */
export function stateDirCertificate(stateDir: string): TlsMaterial {
  const certFile = join(stateDir, 'listener-cert.pem');
  const keyFile = join(stateDir, 'listener-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const names = [...new Set(['localhost', hostname(), '127.0.0.1', '::1'])];
    const { cert, key } = selfSigned(names);
    writeFileSync(keyFile, key, { mode: 0o600 });
    writeFileSync(certFile, cert, { mode: 0o644 });
  }
  const cert = readFileSync(certFile);
  return { cert, key: readFileSync(keyFile), thumbprint: thumbprintOfPem(cert) };
}

/** A file's bytes, or a WsmanUsageError naming the file and what it is for. */
function readNamed(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    throw new WsmanUsageError(`cannot read the ${what} ${file}: ${why}`, 'ERR_TLS_FILE');
  }
}

export function fileCertificate(certFile: string, keyFile: string): TlsMaterial {
  const cert = readNamed(certFile, 'TLS certificate');
  return { cert, key: readNamed(keyFile, 'TLS key'), thumbprint: thumbprintOfPem(cert) };
}

export function pfxCertificate(pfxFile: string, passphrase?: string): TlsMaterial {
  const forge = nodeForge();
  const pfx = readNamed(pfxFile, 'PKCS#12 file');
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pfx.toString('binary')), passphrase ?? '');
  } catch (err) {
    throw new WsmanUsageError(`cannot open the PKCS#12 file ${pfxFile} (wrong password, or not PKCS#12): ${(err as Error).message}`, 'ERR_TLS_FILE');
  }
  const certBag = forge.pki.oids.certBag as string;
  const bags = p12.getBags({ bagType: certBag })[certBag] ?? [];
  const leaf = bags[0]?.cert;
  const thumbprint = leaf
    ? createHash('sha1').update(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(leaf)).getBytes(), 'binary')).digest('hex').toUpperCase()
    : '';
  return { pfx, ...(passphrase !== undefined ? { passphrase } : {}), thumbprint };
}
