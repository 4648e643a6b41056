/**
 * Certificate authentication on the HTTPS endpoint (protocol.md §9; WinRM's Service/Auth/Certificate
 * with ClientCertificate mappings). The client presents a certificate in the TLS handshake (the
 * listener requests one but does not require it) and sends the literal header
 * `Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual`. The
 * certificate maps to a listener user by its own thumbprint or by its issuer's thumbprint plus its
 * subject (UPN), as `mapClientCertificate` decides. Any refusal is the same bare 401.
 */
import { SecurityProfile } from '../core/namespaces.js';
import { mapClientCertificate, type CertMapping } from '../auth/certmap.js';
import type { Authenticator, AuthOutcome, ConnectionAuth } from './auth.js';
import type { UserStore } from './users.js';

export type { CertMapping } from '../auth/certmap.js';

/**
 * Parse `--map-cert THUMBPRINT=USER` (a certificate's own thumbprint) or, with `issuer`,
 * `--map-cert-issuer ISSUER_THUMBPRINT[:SUBJECT]=USER` (SUBJECT defaults to `USER@*`: any UPN
 * whose name part is the user). Like `New-Item WSMan:\localhost\ClientCertificate`.
 */
export function parseCertMapping(spec: string, kind: 'thumbprint' | 'issuer'): CertMapping {
  const eq = spec.lastIndexOf('=');
  const flag = kind === 'issuer' ? '--map-cert-issuer ISSUER_THUMBPRINT[:SUBJECT]=USER' : '--map-cert THUMBPRINT=USER';
  if (eq <= 0 || eq === spec.length - 1) throw new Error(`expected ${flag}, not '${spec}'`);
  const user = spec.slice(eq + 1);
  let left = spec.slice(0, eq);
  let subject: string | undefined;
  if (kind === 'issuer') {
    const colon = left.indexOf(':');
    if (colon >= 0) {
      subject = left.slice(colon + 1);
      left = left.slice(0, colon);
    }
  }
  const thumb = left.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(thumb)) throw new Error(`${flag}: '${left}' is not a SHA-1 thumbprint (40 hex digits)`);
  if (kind === 'thumbprint') return { user, thumbprint: thumb };
  return { user, issuer: thumb, subject: subject || `${user}@*` };
}

/** `http://…/secprofile/https/mutual` over the TLS client certificate. HTTPS only. */
export class CertificateAuthenticator implements Authenticator {
  readonly scheme = SecurityProfile.HttpsMutual;
  /** Windows offers no WWW-Authenticate for certificate authentication. */
  readonly challenge = '';
  readonly canSeal = false;
  readonly profiles = { http: '', https: SecurityProfile.HttpsMutual };

  constructor(
    private readonly users: UserStore,
    readonly mappings: CertMapping[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async authenticate(_token: Uint8Array | undefined, conn: ConnectionAuth): Promise<AuthOutcome> {
    if (conn.certUser) return { kind: 'ok', user: conn.certUser };
    const peer = conn.peer;
    if (!peer) return { kind: 'challenge', reason: 'certificate authentication without a client certificate', failed: true };
    const r = mapClientCertificate(peer.cert, this.mappings, { now: this.now(), ...(peer.issuer ? { issuer: peer.issuer } : {}) });
    if (!r.ok) return { kind: 'challenge', reason: `client certificate refused (${r.reason})`, failed: true };
    const user = this.users.get(r.user);
    if (!user) return { kind: 'challenge', reason: 'client certificate maps to an unknown user', failed: true };
    conn.certUser = user;
    return { kind: 'ok', user };
  }
}
