/**
 * wsman: WS-Management (WinRM) for Node.
 * The public API: the sans-IO core (envelopes, messages, faults); client and listener follow.
 */
export * from './core/index.js';
export * from './client/index.js';
export * from './transport/index.js';
/** Authentication contexts (NTLM, Negotiate, Basic, Kerberos), message sealing, certificates. */
export * as auth from './auth/index.js';
/** The WinRM-compatible listener (`wsman listen`). */
export * from './server/index.js';
/** Shell and command state machines, shared by the listener and the client. */
export * from './core/state/index.js';
