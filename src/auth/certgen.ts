/**
 * Client certificate generation for `wsman cert new --client --upn USER@HOST --out DIR`
 * (like `New-SelfSignedCertificate -Type Custom -TextExtension 2.5.29.37={text}1.3.6.1.5.5.7.3.2,
 * 2.5.29.17={text}upn=USER@HOST`): RSA 2048, SHA-256, EKU Client Authentication, the UPN in the
 * SAN as an otherName and no DNS name (what WinRM's certificate mapping wants). Returns PEM; writing
 * files is the caller's job.
 */
import { generateKeyPairSync, randomBytes as nodeRandomBytes } from 'node:crypto';
import type Forge from 'node-forge';
import { nodeForge } from '../util/forge.js';
import { WsmanUsageError } from '../core/errors.js';
import type { RandomBytes } from './crypto/bytes.js';
import { certificateThumbprint, OID_EKU_CLIENT_AUTH, OID_UPN } from './certificate.js';
import { oid, tlv } from './der.js';

export interface ClientCertificateOptions {
  /** `user@host` (or `user@domain`). */
  upn: string;
  /** Validity in days (default 365). */
  days?: number;
  /** Clock (default now). */
  now?: Date;
  /** An existing private key (PEM); default a new RSA 2048 key. */
  keyPem?: string;
  /** Issue with this CA instead of self-signing. */
  issuer?: { certPem: string; keyPem: string };
  randomBytes?: RandomBytes;
}

export interface GeneratedCertificate {
  certPem: string;
  keyPem: string;
  /** SHA-1 thumbprint, upper-case hex. */
  thumbprint: string;
}

/** DER of a SubjectAltName holding one UPN otherName: SEQUENCE { [0] { OID, [0] { UTF8String } } }. */
export function upnSubjectAltName(upn: string): Uint8Array {
  return tlv(0x30, tlv(0xa0, oid(OID_UPN), tlv(0xa0, tlv(0x0c, new TextEncoder().encode(upn)))));
}

const binary = (b: Uint8Array): string => Buffer.from(b).toString('binary');

/** Create a client-authentication certificate for `upn` (see module doc). */
export function generateClientCertificate(opts: ClientCertificateOptions): GeneratedCertificate {
  const forge = nodeForge();
  if (!/^[^@\s]+@[^@\s]+$/.test(opts.upn)) throw new WsmanUsageError(`--upn must look like USER@HOST, got ${opts.upn}`);
  const keyPem = opts.keyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as Forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = (opts.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n))))(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER
  cert.serialNumber = Buffer.from(serial).toString('hex');
  const now = opts.now ?? new Date();
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (opts.days ?? 365) * 86_400_000);
  const user = opts.upn.slice(0, opts.upn.indexOf('@'));
  cert.setSubject([{ name: 'commonName', value: user }]);
  let signer = key;
  if (opts.issuer) {
    const ca = forge.pki.certificateFromPem(opts.issuer.certPem);
    cert.setIssuer(ca.subject.attributes);
    signer = forge.pki.privateKeyFromPem(opts.issuer.keyPem) as Forge.pki.rsa.PrivateKey;
  } else {
    cert.setIssuer(cert.subject.attributes);
  }
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { id: '2.5.29.37', value: binary(tlv(0x30, oid(OID_EKU_CLIENT_AUTH))) },
    { id: '2.5.29.17', value: binary(upnSubjectAltName(opts.upn)) },
  ]);
  cert.sign(signer, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem, thumbprint: certificateThumbprint(certPem) };
}

/**
 * A small self-signed CA (basicConstraints cA, keyCertSign) to issue client certificates for
 * issuer-based mappings (`generateClientCertificate({ issuer })`), e.g. in tests and lab setups.
 */
export function generateCaCertificate(opts: { commonName: string; days?: number; now?: Date; keyPem?: string; randomBytes?: RandomBytes }): GeneratedCertificate {
  const forge = nodeForge();
  const keyPem = opts.keyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as Forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = (opts.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n))))(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = Buffer.from(serial).toString('hex');
  const now = opts.now ?? new Date();
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (opts.days ?? 3650) * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: opts.commonName }]);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem, thumbprint: certificateThumbprint(certPem) };
}
