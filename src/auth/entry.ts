/**
 * The one way in to authentication, as pyspnego's `client()` / `server()`: the transport builds
 * every client context through `clientAuth`, the listener every server context through
 * `serverAuth`. Which mechanism runs, and whether Negotiate tries Kerberos, is decided here and in
 * policy.ts; nowhere else. Sans-IO (Kerberos loads the optional native package when asked for).
 */
import { FeatureMissingError, WsmanUsageError } from '../core/errors.js';
import { BasicClientContext, BasicServerContext, CertificateClientContext, type BasicVerifier } from './basic.js';
import { KerberosClientContext, KerberosServerContext } from './kerberos.js';
import { NegotiateClientContext, NegotiateServerContext } from './negotiate.js';
import { NtlmClientContext, type NtlmClientOptions } from './ntlm/client.js';
import type { NtlmServerOptions } from './ntlm/server.js';
import type { AuthenticationMechanism } from './policy.js';
import type { ClientAuth, ServerAuth } from './types.js';

/** What `clientAuth` takes. PowerShell: `-Authentication` and `-Credential`. */
export interface ClientAuthOptions extends Partial<Omit<NtlmClientOptions, 'username'>> {
  /** `default` means `negotiate`, as PowerShell's Default. */
  mechanism: AuthenticationMechanism;
  /** `user`, `DOMAIN\user` or `user@domain`. */
  username?: string;
  /** Server host name: the Kerberos SPN is `<service>@<host>`. */
  host?: string;
  /** Kerberos SPN service class (default `HTTP`). */
  service?: string;
  /**
   * Negotiate only. `never` (default): SPNEGO around NTLM with the credential given. `require`:
   * SPNEGO around Kerberos from the ticket cache (FeatureMissingError without the package). There
   * is no automatic choice: see policy.ts for why Negotiate does not try Kerberos first.
   */
  kerberos?: 'never' | 'require';
  /** Negotiate over NTLM: send bare NTLMSSP tokens as pywinrm does (default SPNEGO). */
  rawNtlm?: boolean;
}

function ntlmOptions(o: ClientAuthOptions): NtlmClientOptions {
  if (!o.username) throw new WsmanUsageError(`${o.mechanism} authentication needs a user name`);
  return { ...o, username: o.username };
}

/**
 * A client context for one connection, for every mechanism that needs no native code (basic, ntlm,
 * negotiate over NTLM, certificate). Synchronous; `clientAuth` also does Kerberos.
 */
export function clientAuthSync(o: ClientAuthOptions): ClientAuth {
  switch (o.mechanism) {
    case 'basic':
      if (!o.username || o.password === undefined) throw new WsmanUsageError('Basic authentication needs a user name and a password');
      return new BasicClientContext({ username: o.username, password: o.password });
    case 'ntlm':
      return new NtlmClientContext(ntlmOptions(o));
    case 'default':
    case 'negotiate':
      if (o.kerberos === 'require') throw new WsmanUsageError('Negotiate with Kerberos is created asynchronously: use clientAuth');
      return new NegotiateClientContext({ ...ntlmOptions(o), ...(o.rawNtlm ? { rawNtlm: true } : {}) });
    case 'certificate':
      return new CertificateClientContext();
    case 'kerberos':
      throw new WsmanUsageError('Kerberos contexts are created asynchronously: use clientAuth');
    case 'credssp':
      throw new FeatureMissingError('CredSSP', 'CredSSP is not implemented; use negotiate or certificate authentication');
  }
}

/**
 * A client context for one connection (PowerShell `-Authentication`). pyspnego: `spnego.client()`.
 * `kerberos`, and `negotiate` with `kerberos: 'require'`, use the native package and the ticket
 * cache; everything else is `clientAuthSync`.
 */
export async function clientAuth(o: ClientAuthOptions): Promise<ClientAuth> {
  const wantsKerberos = o.mechanism === 'kerberos' || ((o.mechanism === 'negotiate' || o.mechanism === 'default') && o.kerberos === 'require');
  if (!wantsKerberos) return clientAuthSync(o);
  if (!o.host) throw new WsmanUsageError('Kerberos needs the server host name');
  return KerberosClientContext.create({
    host: o.host, mechanism: o.mechanism === 'kerberos' ? 'kerberos' : 'negotiate', ...(o.service ? { service: o.service } : {}),
  });
}

/** What a listener configures once; `serverAuth` makes a context per connection from it. */
export interface ServerAuthConfig {
  /** Enables Negotiate (NTLM inside, raw or SPNEGO-wrapped). */
  ntlm?: NtlmServerOptions;
  /** Enables Basic. */
  basic?: BasicVerifier;
  /** Enables the Kerberos scheme (native package, keytab from KRB5_KTNAME); `service` defaults to HTTP. */
  kerberos?: { service?: string };
}

/** The `WWW-Authenticate` values a 401 should carry for this configuration (Windows order). */
export function offeredSchemes(config: ServerAuthConfig): string[] {
  const out: string[] = [];
  if (config.ntlm) out.push('Negotiate');
  if (config.kerberos) out.push('Kerberos');
  if (config.basic) out.push('Basic realm="WSMAN"');
  return out;
}

/**
 * A server context for the scheme of an `Authorization` header, or undefined when this
 * configuration does not offer it (answer 401 with `offeredSchemes`). `NTLM` is accepted as an alias
 * of Negotiate. pyspnego: `spnego.server()`.
 */
export function serverAuth(scheme: string, config: ServerAuthConfig): ServerAuth | undefined {
  const s = scheme.toLowerCase();
  if ((s === 'negotiate' || s === 'ntlm') && config.ntlm) return new NegotiateServerContext(config.ntlm);
  if (s === 'basic' && config.basic) return new BasicServerContext(config.basic);
  if (s === 'kerberos' && config.kerberos) return new KerberosServerContext(config.kerberos.service ?? 'HTTP');
  return undefined;
}

/** A Negotiate server context for one connection (accepts SPNEGO and bare NTLMSSP): `serverAuth('Negotiate', { ntlm })`. */
export function negotiateServerContext(opts: NtlmServerOptions): ServerAuth {
  return new NegotiateServerContext(opts);
}
