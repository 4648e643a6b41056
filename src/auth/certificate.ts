/**
 * Certificate facts the auth layer needs, without I/O: SHA-1 thumbprints (what Windows shows in
 * `Get-ChildItem Cert:\` and what `-CertificateThumbprint` takes), the UPN of a client certificate
 * (SAN otherName 1.3.6.1.4.1.311.20.2.3), its EKUs, and channel binding data (RFC 5929
 * tls-server-end-point) for NTLM's MsvAvChannelBindings.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { WsmanUsageError } from '../core/errors.js';
import { children, oidToString, readTlv, type Tlv } from './der.js';

export const OID_UPN = '1.3.6.1.4.1.311.20.2.3';
export const OID_EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const OID_EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_SAN = '2.5.29.17';
const OID_EKU = '2.5.29.37';

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`: label (e.g. CERTIFICATE, PRIVATE KEY) and DER bytes. */
export function pemBlocks(text: string): Array<{ label: string; der: Uint8Array; pem: string }> {
  const out: Array<{ label: string; der: Uint8Array; pem: string }> = [];
  for (const m of text.matchAll(PEM_RE)) {
    out.push({ label: m[1] ?? '', der: new Uint8Array(Buffer.from((m[2] ?? '').replace(/\s+/g, ''), 'base64')), pem: m[0] });
  }
  return out;
}

/** DER of the first certificate in PEM text, or the input itself when it is already DER. */
export function certificateDer(input: string | Uint8Array): Uint8Array {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const cert = pemBlocks(text).find((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE');
    if (!cert) throw new WsmanUsageError('no CERTIFICATE block in the PEM data', 'ERR_CERT_INVALID');
    return cert.der;
  }
  if (typeof input === 'string') throw new WsmanUsageError('not a PEM certificate', 'ERR_CERT_INVALID');
  return input;
}

/** DER → PEM. */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** Normalise a thumbprint as Windows prints it: 40 upper-case hex digits, no separators. */
export function normalizeThumbprint(t: string): string {
  return t.replace(/[\s:]/g, '').toUpperCase();
}

/** SHA-1 thumbprint of a certificate (PEM or DER), upper-case hex (`(Get-PfxCertificate f).Thumbprint`). */
export function certificateThumbprint(input: string | Uint8Array): string {
  return createHash('sha1').update(certificateDer(input)).digest('hex').toUpperCase();
}

export interface CertificateInfo {
  thumbprint: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** User principal name from the SAN otherName, if any. */
  upn: string | undefined;
  /** DNS names in the SAN (a WinRM user certificate must have none). */
  dnsNames: string[];
  /** Extended key usage OIDs (empty when the extension is absent). */
  extendedKeyUsage: string[];
  /** Signature algorithm OID. */
  signatureAlgorithm: string;
  selfSigned: boolean;
}

function tbsParts(der: Uint8Array): { tbs: Tlv[]; sigAlg: string } {
  const cert = readTlv(der, 0);
  const parts = children(cert.value);
  const tbs = parts[0];
  const alg = parts[1];
  if (!tbs || !alg) throw new WsmanUsageError('malformed certificate', 'ERR_CERT_INVALID');
  const algOid = children(alg.value)[0];
  return { tbs: children(tbs.value), sigAlg: algOid ? oidToString(algOid.value) : '' };
}

function extensions(tbs: Tlv[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const ext = tbs.find((t) => t.tag === 0xa3);
  if (!ext) return out;
  const seq = readTlv(ext.value, 0);
  for (const e of children(seq.value)) {
    const f = children(e.value);
    const id = f[0];
    const val = f[f.length - 1];
    if (id && val && val.tag === 0x04) out.set(oidToString(id.value), val.value);
  }
  return out;
}

/** Read the facts of a certificate (PEM or DER). Throws WsmanUsageError when it is not one. */
export function certificateInfo(input: string | Uint8Array): CertificateInfo {
  const der = certificateDer(input);
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch (e) {
    throw new WsmanUsageError(`not a valid certificate: ${(e as Error).message}`, 'ERR_CERT_INVALID');
  }
  const { tbs, sigAlg } = tbsParts(der);
  const ext = extensions(tbs);
  let upn: string | undefined;
  const dnsNames: string[] = [];
  const san = ext.get(OID_SAN);
  if (san) {
    for (const name of children(readTlv(san, 0).value)) {
      if (name.tag === 0x82) dnsNames.push(Buffer.from(name.value).toString('latin1'));
      if (name.tag === 0xa0) {
        const [typeId, wrapped] = children(name.value);
        if (typeId && wrapped && oidToString(typeId.value) === OID_UPN) {
          const inner = readTlv(wrapped.value, 0);
          upn = Buffer.from(inner.value).toString('utf8');
        }
      }
    }
  }
  const eku = ext.get(OID_EKU);
  const extendedKeyUsage = eku ? children(readTlv(eku, 0).value).map((o) => oidToString(o.value)) : [];
  return {
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    subject: x.subject,
    issuer: x.issuer,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    upn,
    dnsNames,
    extendedKeyUsage,
    signatureAlgorithm: sigAlg,
    selfSigned: x.subject === x.issuer,
  };
}

/** The hash RFC 5929 §4.1 prescribes for a certificate signed with `sigAlgOid` (MD5/SHA-1 → SHA-256). */
export function endPointHashFor(sigAlgOid: string): 'sha256' | 'sha384' | 'sha512' {
  switch (sigAlgOid) {
    case '1.2.840.113549.1.1.12':
    case '1.2.840.10045.4.3.3':
      return 'sha384';
    case '1.2.840.113549.1.1.13':
    case '1.2.840.10045.4.3.4':
      return 'sha512';
    default:
      return 'sha256';
  }
}

/**
 * Channel binding application data for TLS: `tls-server-end-point:` + hash(server certificate DER)
 * (RFC 5929). Both the client (from the peer certificate) and the listener (from its own
 * certificate) compute it and pass it as `channelBinding` to their NTLM/Negotiate context.
 */
export function tlsServerEndPoint(serverCertificate: string | Uint8Array): Uint8Array {
  const der = certificateDer(serverCertificate);
  const { sigAlg } = tbsParts(der);
  const digest = createHash(endPointHashFor(sigAlg)).update(der).digest();
  const prefix = Buffer.from('tls-server-end-point:', 'latin1');
  return new Uint8Array(Buffer.concat([prefix, digest]));
}
