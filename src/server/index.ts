/** The WinRM-compatible listener (`wsman listen`). */
export { WsmanListener, defaultStateDir, defaultAuthenticators, type ListenerOptions, type ListeningEndpoint } from './listener.js';
export { ListenerCore } from './core.js';
export { UserStore, hashPassword, verifyPassword, addUserToFile, loadUsersFile, parseUsersFile, type ListenerUser, type UserStoreOptions } from './users.js';
export { BasicAuthenticator, ContextAuthenticator, negotiateAuthenticator, type Authenticator, type AuthOutcome, type ConnectionAuth } from './auth.js';
export { CertificateAuthenticator, parseCertMapping, type CertMapping } from './certauth.js';
export { FailureThrottle, type FailureThrottleOptions } from './auth-throttle.js';
export { defaultConfig, parseConfig, loadConfigFile, type ListenerConfig, type SessionConfiguration } from './config.js';
export { createLogger, parseLogLevel, type Logger, type LogLevel } from './log.js';
export { selfSigned, thumbprintOfPem, type TlsMaterial } from './tls.js';
