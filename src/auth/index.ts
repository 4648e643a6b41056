/**
 * The auth layer's public face. Sans-IO: contexts exchange tokens (raw bytes; the HTTP layer
 * base64-encodes them into `Authorization: <ctx.scheme> <token>`) and seal/unseal bodies.
 *
 * One way in (entry.ts), as pyspnego's client()/server(); the rules (which mechanism, when clear
 * traffic is allowed, Negotiate never trying Kerberos by itself) are in policy.ts.
 *
 * Client (transport), per TCP connection:
 *   const ctx = await clientAuth({ mechanism: 'negotiate', username, password, host });
 *   let r = await ctx.stepAsync();                        // first token
 *   // send Authorization: formatAuthHeader(ctx.scheme, r.token); on 401 read the server token
 *   r = await ctx.stepAsync(serverToken);                 // ... until r.done
 *   // 200 may carry a last `WWW-Authenticate: Negotiate <t>`: `await ctx.stepAsync(t)` verifies it
 *   const { body, contentType } = sealBody(ctx, soapBytes, { protocol: ctx.encryptionProtocol });
 *   const { plaintext } = unsealBody(ctx, responseBody);
 *
 * Listener, per TCP connection:
 *   const ctx = serverAuth(parsed.scheme, { ntlm: { lookup, netbiosDomain, ... }, basic: verify });
 *   const r = await ctx.stepAsync(parsed.token);         // throws AuthFailedError → 401
 *   // 401 + `WWW-Authenticate: Negotiate <r.token>` until r.done; then ctx.user is the user
 *   // sealed request: unsealBody(ctx, body) (throws on tamper/replay → close the connection)
 */

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
export { parseAuthHeader, parseWwwAuthenticate, formatAuthHeader, sameScheme, loggableScheme, type AuthHeader } from './http.js';
export {
  certificateThumbprint, certificateInfo, normalizeThumbprint, tlsServerEndPoint, certificateDer, derToPem,
  type CertificateInfo,
} from './certificate.js';
export {
  loadPemCertificate, loadPfxCertificate, loadCertificateFile, findCertificateByThumbprint, defaultCertStoreDir,
  type ClientCertificate, type StoreFs,
} from './certstore.js';
export { generateClientCertificate, generateCaCertificate, type ClientCertificateOptions, type GeneratedCertificate } from './certgen.js';
export { httpBodySealer, type HttpBodySealer } from './plug.js';
export { mapClientCertificate, type CertMapping, type CertMapResult } from './certmap.js';

export {
  clientAuth, clientAuthSync, serverAuth, offeredSchemes, negotiateServerContext, type ClientAuthOptions, type ServerAuthConfig,
} from './entry.js';
export {
  AUTHENTICATION_MECHANISMS, UNENCRYPTED_REFUSED, chooseDefault, checkUnencrypted, isDowngrade, isAuthenticationMechanism, clearTrafficAllowed, mechanismSeals,
  type AuthenticationMechanism, type UnencryptedQuestion,
} from './policy.js';
export { claimedUser } from './claimed.js';

/** Old names of `clientAuth`, `clientAuthSync` and `serverAuth`. */
export { clientAuth as createClientAuth, clientAuthSync as createClientAuthSync, serverAuth as createServerAuth } from './entry.js';
