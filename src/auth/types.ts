/**
 * The one authentication interface, for both roles (pyspnego's shape): `step` exchanges tokens
 * until done; `wrap`/`unwrap` seal and unseal messages once a sealing mechanism is established.
 * Sans-IO: no sockets, no timers, no clock or randomness except through what is passed in.
 * Secrets (passwords, hashes, session keys) never appear in errors, logs or `toString()`.
 */

import type { AuthenticationMechanism } from './policy.js';

/** A mechanism a context runs: every `-Authentication` value but `default` (policy.ts's one list). */
export type Mechanism = Exclude<AuthenticationMechanism, 'default'>;

/** One leg of a handshake. `token` is what to send (absent when there is nothing to send). */
export interface StepResult {
  token?: Uint8Array;
  done: boolean;
}

/** A sealed message split as HTTP message encryption carries it (protocol.md §8.3). */
export interface Sealed {
  /** The signature / token header (16 bytes for NTLM). */
  header: Uint8Array;
  ciphertext: Uint8Array;
}

/** The client side of a mechanism. */
export interface ClientAuthContext {
  readonly mechanism: Mechanism;
  /** The HTTP auth scheme word: `Basic`, `Negotiate`, `Kerberos`, `CredSSP`. */
  readonly scheme: string;
  /** Feed the server's token (undefined on the first call); get the next token to send. */
  step(inToken?: Uint8Array): StepResult;
  readonly complete: boolean;
  /** True when wrap/unwrap are available (NTLM/Kerberos with a session key). */
  readonly canSeal: boolean;
  /** Seal; `out` (plaintext.length bytes) is where the ciphertext may be written, saving a copy. */
  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed;
  /** Unseal; `inPlace`: the caller owns `sealed.ciphertext` and lets it be decrypted where it is. */
  unwrap(sealed: Sealed, inPlace?: boolean): Uint8Array;
  /**
   * Optional: generate ahead, at most `most` bytes now, the key stream of the next message wrapped
   * or unwrapped (stream ciphers: NTLM's RC4), so that the message itself only xors; returns how
   * many bytes are still missing (0: ready or nothing to do). Changes no output. For idle moments.
   */
  prefill?(direction: 'wrap' | 'unwrap', most: number): number;
}

/** The server side: authenticates one connection and names the user. */
export interface ServerAuthContext {
  readonly mechanism: Mechanism;
  readonly scheme: string;
  step(inToken: Uint8Array): StepResult;
  readonly complete: boolean;
  /** The authenticated user name once complete (as the users file names it). */
  readonly user: string | undefined;
  readonly canSeal: boolean;
  /** Seal; `out` (plaintext.length bytes) is where the ciphertext may be written, saving a copy. */
  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed;
  /** Unseal; `inPlace`: the caller owns `sealed.ciphertext` and lets it be decrypted where it is. */
  unwrap(sealed: Sealed, inPlace?: boolean): Uint8Array;
  /**
   * Optional: generate ahead, at most `most` bytes now, the key stream of the next message wrapped
   * or unwrapped (stream ciphers: NTLM's RC4), so that the message itself only xors; returns how
   * many bytes are still missing (0: ready or nothing to do). Changes no output. For idle moments.
   */
  prefill?(direction: 'wrap' | 'unwrap', most: number): number;
}

/**
 * What every context in `src/auth` offers beyond the basic interface (a compatible extension):
 * an async step (Kerberos and callback-verified Basic are asynchronous; `await ctx.stepAsync(t)`
 * works for every mechanism, so transports and listeners should use it), the exported session
 * key for channel-level uses, and the HTTP message-encryption protocol name.
 */
export interface AuthContextExtras {
  /** Same as `step`, for mechanisms whose steps are asynchronous. Always safe to call. */
  stepAsync(inToken?: Uint8Array): Promise<StepResult>;
  /** The session key once established (NTLM: ExportedSessionKey). Never logged or printed. */
  sessionKey(): Uint8Array | undefined;
  /**
   * The `protocol` parameter of `multipart/encrypted` bodies sealed by this context
   * (protocol.md §8.3), or undefined when it cannot seal.
   */
  readonly encryptionProtocol: string | undefined;
}

/** A client context as the factories in `src/auth` return it. */
export interface ClientAuth extends ClientAuthContext, AuthContextExtras {}

/** A server context as the factories in `src/auth` return it. */
export interface ServerAuth extends ServerAuthContext, AuthContextExtras {
  /** The domain the client named (NTLM), when any. */
  readonly domain: string | undefined;
}

/** Protocol strings of HTTP message encryption (protocol.md §8.3). */
export const EncryptionProtocol = {
  spnego: 'application/HTTP-SPNEGO-session-encrypted',
  kerberos: 'application/HTTP-Kerberos-session-encrypted',
  credssp: 'application/HTTP-CredSSP-session-encrypted',
} as const;
