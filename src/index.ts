/**
 * wsman: WS-Management (WinRM) for Node.
 * The public API: the sans-IO core (envelopes, messages, faults); client and listener follow.
 */
export * from './core/index.js';
