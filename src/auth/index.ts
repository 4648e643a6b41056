/**
 * The auth layer's public face. Sans-IO: contexts exchange tokens (raw bytes; the HTTP layer
 * base64-encodes them into `Authorization: <ctx.scheme> <token>`) and seal/unseal bodies.
 *
 * Client (transport), per TCP connection:
 *   const ctx = await createClientAuth({ mechanism: 'negotiate', username, password, host });
 *   let r = await ctx.stepAsync();                        // first token
 *   // send Authorization: formatAuthHeader(ctx.scheme, r.token); on 401 read the server token
 *   r = await ctx.stepAsync(serverToken);                 // ... until r.done
 *   // 200 may carry a last `WWW-Authenticate: Negotiate <t>`: `await ctx.stepAsync(t)` verifies it
 *   const { body, contentType } = sealBody(ctx, soapBytes, { protocol: ctx.encryptionProtocol });
 *   const { plaintext } = unsealBody(ctx, responseBody);
 *
 * Listener, per TCP connection:
 *   const ctx = createServerAuth(parsed.scheme, { ntlm: { lookup, netbiosDomain, ... }, basic: verify });
 *   const r = await ctx.stepAsync(parsed.token);         // throws AuthFailedError → 401
 *   // 401 + `WWW-Authenticate: Negotiate <r.token>` until r.done; then ctx.user is the user
 *   // sealed request: unsealBody(ctx, body) (throws on tamper/replay → close the connection)
 */
import { FeatureMissingError, WsmanAuthError, WsmanUsageError } from '../core/errors.js';
import { BasicClientContext, BasicServerContext, CertificateClientContext, type BasicVerifier } from './basic.js';
import { KerberosClientContext } from './kerberos.js';
import { NegotiateClientContext, NegotiateServerContext } from './negotiate.js';
import { NtlmClientContext, type NtlmClientOptions } from './ntlm/client.js';
import type { NtlmServerOptions } from './ntlm/server.js';
import type { ClientAuth, ServerAuth } from './types.js';

export * from './types.js';
export { AuthFailedError, type AuthFailureReason } from './errors.js';
export { BasicClientContext, BasicServerContext, CertificateClientContext, CERTIFICATE_AUTH_HEADER, type BasicVerifier } from './basic.js';
export { NegotiateClientContext, NegotiateServerContext, type NegotiateClientOptions } from './negotiate.js';
export { NtlmClientContext, type NtlmClientOptions } from './ntlm/client.js';
export { NtlmServerContext, type NtlmServerOptions, type NtHashLookup, type CbtHardening } from './ntlm/server.js';
export { ntHash } from './ntlm/compute.js';
export { KerberosClientContext, KerberosServerContext, loadKerberos } from './kerberos.js';
export {
  sealBody, unsealBody, parseEncryptedBody, isEncryptedContentType, encryptedContentType, encryptedProtocolOf,
  type EncryptedPart, type SealOptions,
} from './encryption.js';
export { parseAuthHeader, parseWwwAuthenticate, formatAuthHeader, sameScheme, type AuthHeader } from './http.js';
export {
  certificateThumbprint, certificateInfo, normalizeThumbprint, tlsServerEndPoint, certificateDer, derToPem,
  type CertificateInfo,
} from './certificate.js';
export {
  loadPemCertificate, loadPfxCertificate, loadCertificateFile, findCertificateByThumbprint, defaultCertStoreDir,
  type ClientCertificate, type StoreFs,
} from './certstore.js';
export { generateClientCertificate, generateCaCertificate, type ClientCertificateOptions, type GeneratedCertificate } from './certgen.js';
export { httpBodySealer, negotiateClientMechanism, ntlmClientMechanism, negotiateServerContext, type HttpBodySealer } from './plug.js';
export { mapClientCertificate, type CertMapping, type CertMapResult } from './certmap.js';

/** What `createClientAuth` takes. PowerShell: `-Authentication` and `-Credential`. */
export interface ClientAuthOptions extends Partial<Omit<NtlmClientOptions, 'username'>> {
  /** `default` means `negotiate`, as PowerShell's Default does on non-domain hosts. */
  mechanism: 'default' | 'basic' | 'ntlm' | 'negotiate' | 'kerberos' | 'credssp' | 'certificate';
  /** `user`, `DOMAIN\user` or `user@domain`. */
  username?: string;
  /** Server host name: the Kerberos SPN is `<service>@<host>`. */
  host?: string;
  /** Kerberos SPN service class (default `HTTP`). */
  service?: string;
  /** Negotiate only: try Kerberos first (`auto`, default, when a host name is given), `never`, or `require`. */
  kerberos?: 'auto' | 'never' | 'require';
  /** Negotiate over NTLM: send bare NTLMSSP tokens as pywinrm does (default SPNEGO). */
  rawNtlm?: boolean;
}

function isIpOrLocal(host: string): boolean {
  return host === 'localhost' || /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

function ntlmOptions(o: ClientAuthOptions): NtlmClientOptions {
  if (!o.username) throw new WsmanUsageError(`${o.mechanism} authentication needs a user name`);
  return { ...o, username: o.username };
}

/**
 * A client context for one connection, for every mechanism that needs no native code
 * (basic, ntlm, negotiate over NTLM, certificate). Synchronous; see `createClientAuth` for Kerberos.
 */
export function createClientAuthSync(o: ClientAuthOptions): ClientAuth {
  switch (o.mechanism) {
    case 'basic':
      if (!o.username || o.password === undefined) throw new WsmanUsageError('Basic authentication needs a user name and a password');
      return new BasicClientContext({ username: o.username, password: o.password });
    case 'ntlm':
      return new NtlmClientContext(ntlmOptions(o));
    case 'default':
    case 'negotiate':
      return new NegotiateClientContext({ ...ntlmOptions(o), ...(o.rawNtlm ? { rawNtlm: true } : {}) });
    case 'certificate':
      return new CertificateClientContext();
    case 'kerberos':
      throw new WsmanUsageError('Kerberos contexts are created asynchronously: use createClientAuth');
    case 'credssp':
      throw new FeatureMissingError('CredSSP', 'CredSSP is not implemented; use negotiate or certificate authentication');
  }
}

/**
 * A client context for one connection (PowerShell `-Authentication`). Negotiate tries Kerberos first
 * when the optional `kerberos` package is installed, a host name (not an IP) is given and a ticket is
 * available, and falls back to NTLM otherwise. `kerberos` throws FeatureMissingError without the package.
 */
export async function createClientAuth(o: ClientAuthOptions): Promise<ClientAuth> {
  if (o.mechanism === 'kerberos') {
    if (!o.host) throw new WsmanUsageError('Kerberos needs the server host name');
    return KerberosClientContext.create({ host: o.host, mechanism: 'kerberos', ...(o.service ? { service: o.service } : {}) });
  }
  if ((o.mechanism === 'negotiate' || o.mechanism === 'default') && o.kerberos !== 'never' && o.host &&
      (o.kerberos === 'require' || !isIpOrLocal(o.host))) {
    try {
      return await KerberosClientContext.create({ host: o.host, mechanism: 'negotiate', ...(o.service ? { service: o.service } : {}) });
    } catch (e) {
      if (o.kerberos === 'require') throw e;
      if (!(e instanceof FeatureMissingError) && !(e instanceof WsmanAuthError)) throw e;
      // fall back to NTLM
    }
  }
  return createClientAuthSync(o);
}

/** What a listener configures once; `createServerAuth` makes a context per connection from it. */
export interface ServerAuthConfig {
  /** Enables Negotiate (NTLM inside, raw or SPNEGO-wrapped). */
  ntlm?: NtlmServerOptions;
  /** Enables Basic. */
  basic?: BasicVerifier;
}

/** The `WWW-Authenticate` values a 401 should carry for this configuration (Windows order). */
export function offeredSchemes(config: ServerAuthConfig): string[] {
  const out: string[] = [];
  if (config.ntlm) out.push('Negotiate');
  if (config.basic) out.push('Basic realm="WSMAN"');
  return out;
}

/**
 * A server context for the scheme of an `Authorization` header, or undefined when this listener
 * does not offer it (answer 401 with `offeredSchemes`). `NTLM` is accepted as an alias of Negotiate.
 */
export function createServerAuth(scheme: string, config: ServerAuthConfig): ServerAuth | undefined {
  const s = scheme.toLowerCase();
  if ((s === 'negotiate' || s === 'ntlm') && config.ntlm) return new NegotiateServerContext(config.ntlm);
  if (s === 'basic' && config.basic) return new BasicServerContext(config.basic);
  return undefined;
}
