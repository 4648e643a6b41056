/**
 * wsman: WS-Management (WinRM) for Node.
 * The public API: the sans-IO core (envelopes, messages, faults), authentication, the conformance runner.
 */
export * from './core/index.js';
/** Authentication contexts (NTLM, Negotiate, Basic, Kerberos), message sealing, certificates. */
export * as auth from './auth/index.js';
export * as conformance from './conformance/index.js';
