/**
 * Mapping a TLS client certificate to a listener user, as WinRM's ClientCertificate mapping does
 * (MS-WSMV §3.1.4.1.35; protocol.md §9): by the certificate's own thumbprint (`--map-cert
 * THUMBPRINT=USER`), or by the issuing CA's thumbprint plus the subject (the UPN), with at most one
 * `*` at the start or end of the subject and the end of the URI. Longest subject, then longest URI
 * wins; none or several → refused. Pure: the listener passes the peer certificate (and its issuer)
 * from node:tls and the current time.
 */
import { X509Certificate } from 'node:crypto';
import { certificateDer, certificateInfo, normalizeThumbprint, OID_EKU_CLIENT_AUTH, type CertificateInfo } from './certificate.js';

export interface CertMapping {
  /** The user this maps to (as the users file names it). */
  user: string;
  /** Map exactly this certificate (SHA-1 thumbprint). */
  thumbprint?: string;
  /** Or: the thumbprint of the CA that issued it... */
  issuer?: string;
  /** ...and a subject (UPN) pattern, `*` allowed at one end. */
  subject?: string;
  /** Resource URI pattern, `*` allowed at the end (default `*`). */
  uri?: string;
}

export type CertMapResult =
  | { ok: true; user: string; info: CertificateInfo }
  | { ok: false; reason: 'invalid' | 'expired' | 'not-yet-valid' | 'no-client-auth-eku' | 'bad-issuer-signature' | 'unmapped' | 'ambiguous' };

function wildcard(pattern: string, value: string, where: 'ends' | 'end'): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  if (p === '*') return true;
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  if (where === 'ends' && p.startsWith('*')) return v.endsWith(p.slice(1));
  return p === v;
}

/**
 * Decide which user a client certificate authenticates as. `issuer` is the issuing certificate
 * when the TLS layer has it (required for issuer-based mappings; its signature is checked).
 */
export function mapClientCertificate(
  cert: string | Uint8Array,
  mappings: CertMapping[],
  opts: { now: Date; issuer?: string | Uint8Array; resourceUri?: string },
): CertMapResult {
  let info: CertificateInfo;
  try {
    info = certificateInfo(cert);
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (opts.now < info.notBefore) return { ok: false, reason: 'not-yet-valid' };
  if (opts.now > info.notAfter) return { ok: false, reason: 'expired' };
  if (info.extendedKeyUsage.length > 0 && !info.extendedKeyUsage.includes(OID_EKU_CLIENT_AUTH)) {
    return { ok: false, reason: 'no-client-auth-eku' };
  }
  let issuerThumbprint: string | undefined;
  if (opts.issuer) {
    try {
      const leaf = new X509Certificate(certificateDer(cert));
      const ca = new X509Certificate(certificateDer(opts.issuer));
      if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return { ok: false, reason: 'bad-issuer-signature' };
      issuerThumbprint = ca.fingerprint.replace(/:/g, '').toUpperCase();
    } catch {
      return { ok: false, reason: 'bad-issuer-signature' };
    }
  } else if (info.selfSigned) {
    issuerThumbprint = info.thumbprint;
  }
  const uri = opts.resourceUri ?? '';
  const byThumb = mappings.filter((m) => m.thumbprint && normalizeThumbprint(m.thumbprint) === info.thumbprint);
  if (byThumb.length === 1) return { ok: true, user: (byThumb[0] as CertMapping).user, info };
  if (byThumb.length > 1) return { ok: false, reason: 'ambiguous' };
  const subject = info.upn ?? /CN=([^\n,]+)/.exec(info.subject)?.[1] ?? '';
  const candidates = mappings.filter((m) =>
    !m.thumbprint && m.issuer && issuerThumbprint && normalizeThumbprint(m.issuer) === issuerThumbprint &&
    wildcard(m.subject ?? '*', subject, 'ends') && wildcard(m.uri ?? '*', uri, 'end'));
  if (candidates.length === 0) return { ok: false, reason: 'unmapped' };
  const subjLen = (m: CertMapping): number => (m.subject ?? '*').length;
  const uriLen = (m: CertMapping): number => (m.uri ?? '*').length;
  const maxS = Math.max(...candidates.map(subjLen));
  let best = candidates.filter((m) => subjLen(m) === maxS);
  const maxU = Math.max(...best.map(uriLen));
  best = best.filter((m) => uriLen(m) === maxU);
  if (best.length !== 1) return { ok: false, reason: 'ambiguous' };
  return { ok: true, user: (best[0] as CertMapping).user, info };
}
