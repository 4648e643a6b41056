/**
 * Authentication providers for the transport (protocol.md §8.2, §9). Basic and certificate are
 * per-request headers; NTLM, Negotiate, Kerberos and CredSSP are connection-bound contexts that
 * `src/auth/` supplies through `registerClientMechanism`.
 */
import type { ClientAuthContext, Mechanism } from '../auth/types.js';
import { FeatureMissingError, WsmanUsageError } from '../core/errors.js';
import { chooseDefault, type AuthenticationMechanism } from '../auth/policy.js';
import { SecurityProfile } from '../core/namespaces.js';
import type { AuthProvider, BodySealer } from './types.js';
import { negotiateClientMechanism, ntlmClientMechanism, kerberosClientMechanism } from '../auth/plug.js';

/** A user name and password (PowerShell's PSCredential). The password never appears in errors. */
export interface Credential {
  username: string;
  password: string;
}

export { type AuthenticationMechanism } from '../auth/policy.js';

/** Builds a connection-bound context for a credential. Registered by `src/auth/`. */
export interface ClientMechanismFactory {
  createContext(credential: Credential, target: { host: string; service: string; https: boolean; channelBinding?: Uint8Array }): ClientAuthContext | Promise<ClientAuthContext>;
  sealer?: BodySealer;
}

const mechanisms = new Map<Mechanism, ClientMechanismFactory>();

/** Make a connection-bound mechanism (NTLM, Negotiate, Kerberos, CredSSP) available to clients. */
export function registerClientMechanism(mechanism: Mechanism, factory: ClientMechanismFactory): void {
  mechanisms.set(mechanism, factory);
}

// NTLM and Negotiate (SPNEGO around NTLM) with HTTP message encryption, from src/auth.
registerClientMechanism('negotiate', negotiateClientMechanism);
registerClientMechanism('ntlm', ntlmClientMechanism);
// Kerberos through the optional native `kerberos` package (FeatureMissingError at connect time without it).
registerClientMechanism('kerberos', kerberosClientMechanism);

/** True when a mechanism has been registered. */
export function hasClientMechanism(mechanism: Mechanism): boolean {
  return mechanisms.has(mechanism);
}

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
 * The provider for `-Authentication`. `default` picks Negotiate or Basic from the server's
 * challenge (with a client certificate and no credential: certificate; with neither: none).
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
  const factory = mechanisms.get(mech);
  if (!factory) {
    throw new FeatureMissingError(`${mech} authentication`, 'this client does not offer it yet; use negotiate, ntlm, or basic over HTTPS');
  }
  const target = { host: sel.host, service: 'WSMAN', https: sel.https };
  const provider: AuthProvider = {
    kind: 'context',
    mechanism: mech,
    createContext: (conn) => factory.createContext(credential, { ...target, ...(conn.channelBinding ? { channelBinding: conn.channelBinding } : {}) }),
    encryption: sel.noEncryption ? 'never' : 'auto',
  };
  if (factory.sealer) provider.sealer = factory.sealer;
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
      if (!hasClientMechanism(mech)) throw new FeatureMissingError(`${mech} authentication`, 'no client mechanism is registered for it');
      return selectAuth({ ...sel, authentication: mech });
    },
  };
}

/** `; it offers A, B` for the schemes a 401's `WWW-Authenticate` names (each once), or '' when none. */
export function offeredText(values: string | string[] | undefined): string {
  const schemes = [...new Set(parseChallenges(values).map((c) => c.scheme))];
  return schemes.length ? `; it offers ${schemes.join(', ')}` : '';
}

/** Parse `WWW-Authenticate` values into (scheme, token) pairs. */
export function parseChallenges(values: string | string[] | undefined): { scheme: string; token?: string }[] {
  if (values === undefined) return [];
  const out: { scheme: string; token?: string }[] = [];
  for (const v of Array.isArray(values) ? values : [values]) {
    // Several challenges may share one header, separated by commas (Basic realm="x", Negotiate).
    for (const part of v.split(/,(?=\s*[A-Za-z][\w-]*(?:\s|$))/)) {
      const m = /^\s*([A-Za-z][\w-]*)(?:\s+(.*))?$/.exec(part);
      if (!m || m[1] === undefined) continue;
      const rest = m[2]?.trim();
      const c: { scheme: string; token?: string } = { scheme: m[1] };
      if (rest && /^[A-Za-z0-9+/]+=*$/.test(rest)) c.token = rest;
      out.push(c);
    }
  }
  return out;
}
