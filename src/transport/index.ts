/** The HTTP transport: undici connections, authentication providers, TLS and proxy handling. */
export { HttpTransport } from './http.js';
export { basicAuth, certificateAuth, selectAuth, parseChallenges,
  type Credential, type AuthenticationMechanism, type AuthSelection } from './auth.js';
export { normalizeThumbprint, loadClientCertificate } from './tls.js';
export { resolveProxy, noProxyMatches } from './proxy.js';
export type * from './types.js';
