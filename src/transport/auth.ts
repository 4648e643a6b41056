/**
 * Authentication providers for the transport (protocol.md §8.2, §9). Basic and certificate are
 * per-request headers; NTLM, Negotiate and Kerberos are connection-bound contexts built through
 * src/auth's one entry point (`clientAuth`); the choices follow src/auth/policy.ts.
 */
import { FeatureMissingError, WsmanUsageError } from '../core/errors.js';
import { chooseDefault, mechanismSeals, type AuthenticationMechanism } from '../auth/policy.js';
import { SecurityProfile } from '../core/namespaces.js';
import type { AuthProvider } from './types.js';
import { clientAuth } from '../auth/entry.js';
import { httpBodySealer } from '../auth/plug.js';
import { parseWwwAuthenticate } from '../auth/http.js';

/** A user name and password (PowerShell's PSCredential). The password never appears in errors. */
export interface Credential {
  username: string;
  password: string;
}

export { type AuthenticationMechanism } from '../auth/policy.js';

/** `Authorization: Basic …` on every request. */
export function basicAuth(credential: Credential): AuthProvider {
  if (credential.username.includes(':')) throw new WsmanUsageError('a Basic user name cannot contain ":"', 'ERR_BAD_CREDENTIAL');
  const token = Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64');
  return { kind: 'header', mechanism: 'basic', header: () => `Basic ${token}` };
}

/** Certificate authentication: the TLS client certificate plus this literal header (protocol.md §9). */
export function certificateAuth(): AuthProvider {
  return { kind: 'header', mechanism: 'certificate', header: () => SecurityProfile.HttpsMutual };
}

export interface AuthSelection {
  authentication?: AuthenticationMechanism;
  credential?: Credential;
  /** True when a client certificate is configured. */
  hasClientCertificate?: boolean;
  https: boolean;
  host: string;
  /** New-PSSessionOption `-NoEncryption`. */
  noEncryption?: boolean;
}

/**
 * The provider for `-Authentication`. `default` picks Negotiate from the server's challenge, never
 * Basic (with a client certificate and no credential: certificate; with neither: none).
 */
export function selectAuth(sel: AuthSelection): AuthProvider {
  let mech = sel.authentication ?? 'default';
  if (mech === 'default') {
    if (sel.hasClientCertificate && !sel.credential) mech = 'certificate';
    else if (!sel.credential) return { kind: 'none' };
    else return defaultAuth(sel);
  }
  if (mech === 'certificate') {
    if (!sel.https) throw new WsmanUsageError('certificate authentication needs HTTPS (--use-ssl or an https:// URI)', 'ERR_AUTH_NEEDS_HTTPS');
    if (!sel.hasClientCertificate) throw new WsmanUsageError('certificate authentication needs a client certificate (--certificate-thumbprint)', 'ERR_AUTH_NO_CERT');
    return certificateAuth();
  }
  // Kerberos uses the ticket cache (kinit); a credential is optional there.
  const credential = sel.credential ?? (mech === 'kerberos' ? { username: '', password: '' } : undefined);
  if (!credential) throw new WsmanUsageError(`${mech} authentication needs a credential (--credential USER)`, 'ERR_AUTH_NO_CREDENTIAL');
  if (mech === 'basic') return basicAuth(credential);
  if (mech === 'credssp') throw new FeatureMissingError('credssp authentication', 'this client does not offer it yet; use negotiate, ntlm, or basic over HTTPS');
  const mechanism = mech;
  const seals = mechanismSeals(mechanism);
  const provider: AuthProvider = {
    kind: 'context',
    mechanism,
    // ntlm: bare NTLMSSP in the Negotiate scheme; negotiate: SPNEGO around NTLM; kerberos: the ticket cache.
    createContext: (conn) => clientAuth({
      mechanism, username: credential.username, password: credential.password, host: sel.host,
      ...(conn.channelBinding ? { channelBinding: conn.channelBinding } : {}),
    }),
    encryption: sel.noEncryption ? 'never' : 'auto',
  };
  if (seals) provider.sealer = httpBodySealer;
  return provider;
}

/**
 * `-Authentication Default`: Negotiate when the server offers it (sealing over HTTP). Never Basic
 * (src/auth/policy.ts): a server offering only Basic gets an error naming what it offers.
 */
function defaultAuth(sel: AuthSelection): AuthProvider {
  return {
    kind: 'select',
    choose(offered, url) {
      const mech = chooseDefault(offered, { url, https: sel.https });
      return selectAuth({ ...sel, authentication: mech });
    },
  };
}

/** `; it offers A, B` for the schemes a 401's `WWW-Authenticate` names (each once), or '' when none. */
export function offeredText(values: string | string[] | undefined): string {
  const schemes = [...new Set(parseWwwAuthenticate(values).map((c) => c.scheme))];
  return schemes.length ? `; it offers ${schemes.join(', ')}` : '';
}

/** `WWW-Authenticate` values as (scheme, base64 token) pairs, through src/auth's one header parser. */
export function parseChallenges(values: string | string[] | undefined): { scheme: string; token?: string }[] {
  return parseWwwAuthenticate(values).map((h) => (h.token ? { scheme: h.scheme, token: Buffer.from(h.token).toString('base64') } : { scheme: h.scheme }));
}
