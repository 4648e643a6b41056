/**
 * NTLM session security with extended session security (MS-NLMP §3.4): per-direction signing
 * key, RC4 sealing handle and sequence number. The 16-byte NTLMSSP_MESSAGE_SIGNATURE
 * (§2.2.2.9.2) is: Version (1) | Checksum (8) | SeqNum (4).
 *
 *   SEAL:  Data = RC4(Handle, Message); Checksum = RC4(Handle, HMAC_MD5(SignKey, SeqNum || Message)[0..7])
 *   SIGN:  Checksum as above (the RC4 step only with NEGOTIATE_KEY_EXCH)
 *
 * A failed verification poisons the session (the RC4 stream is out of step with the peer), so every
 * later call throws too: the connection has to be closed.
 */
import { WsmanAuthError } from '../../core/errors.js';
import { equalBytes, hmacMd5, le32, putU32, u32 } from '../crypto/bytes.js';
import { Rc4 } from '../crypto/rc4.js';
import { NegotiateFlags } from './constants.js';
import { sealKey, signKey } from './compute.js';

interface Direction {
  signKey: Uint8Array;
  handle: Rc4;
  seq: number;
  /** Length of the last message sealed or unsealed this way: the guess for the next one. */
  last: number;
}

/** Below this message size key stream is not generated ahead (the work is too small to move). */
export const AHEAD_FROM = 16384;

/** Signing and sealing state of one authenticated NTLM connection. */
export class NtlmSession {
  #out: Direction;
  #in: Direction;
  private readonly keyExch: boolean;
  private broken = false;
  #saved: Rc4 | undefined;

  /** `isClient` picks which magic constants are ours. `flags` are the negotiated flags. */
  constructor(exportedSessionKey: Uint8Array, flags: number, isClient: boolean) {
    if (!(flags & NegotiateFlags.EXTENDED_SESSIONSECURITY)) {
      throw new WsmanAuthError('NTLM session security without extended session security is not supported', 'ERR_AUTH_UNSUPPORTED');
    }
    this.keyExch = (flags & NegotiateFlags.KEY_EXCH) !== 0;
    const mk = (c2s: boolean): Direction => ({
      signKey: signKey(exportedSessionKey, c2s),
      handle: new Rc4(sealKey(exportedSessionKey, flags, c2s)),
      seq: 0,
      last: 0,
    });
    this.#out = mk(isClient);
    this.#in = mk(!isClient);
  }

  private check(): void {
    if (this.broken) throw new WsmanAuthError('the NTLM session failed an integrity check earlier; reconnect', 'ERR_AUTH_SESSION_BROKEN');
  }

  private checksum(d: Direction, seq: number, message: Uint8Array): Uint8Array {
    const mac = hmacMd5(d.signKey, le32(seq), message).subarray(0, 8);
    return this.keyExch ? d.handle.update(mac) : mac;
  }

  private signature(checksum: Uint8Array, seq: number): Uint8Array {
    const sig = new Uint8Array(16);
    putU32(sig, 0, 1);
    sig.set(checksum, 4);
    putU32(sig, 12, seq);
    return sig;
  }

  /** GSS_WrapEx with confidentiality: the sealed message and its signature. */
  seal(message: Uint8Array, out?: Uint8Array): { signature: Uint8Array; data: Uint8Array } {
    this.check();
    const d = this.#out;
    // Into `out` when given (not `message` itself: the checksum below reads the plaintext).
    const data = out && out !== message && out.length >= message.length ? d.handle.update(message, out) : d.handle.update(message);
    const signature = this.signature(this.checksum(d, d.seq, message), d.seq);
    d.seq = (d.seq + 1) >>> 0;
    d.last = message.length;
    return { signature, data };
  }

  /** GSS_UnwrapEx: decrypt and verify; throws on a bad signature or an out-of-order SeqNum. */
  unseal(data: Uint8Array, signature: Uint8Array, inPlace = false): Uint8Array {
    this.check();
    const d = this.#in;
    this.verifyShape(signature, d);
    const message = inPlace ? d.handle.update(data, data) : d.handle.update(data);
    this.verifyChecksum(signature, d, message);
    d.last = message.length;
    return message;
  }

  /**
   * Generate ahead, at most `most` bytes now, the RC4 key stream of the next message sealed
   * (`out`) or unsealed (`in`), taking it to be as long as the last one (none below AHEAD_FROM);
   * returns how many bytes are still missing (0: ready, or nothing to do). Output is unchanged:
   * sealing then only xors. For idle moments (after a response is written, while one is awaited).
   */
  prefill(direction: 'out' | 'in', most: number): number {
    const d = direction === 'out' ? this.#out : this.#in;
    if (this.broken || d.last < AHEAD_FROM) return 0;
    // The message's bytes, then the checksum's 8 when it is sealed too (KEY_EXCH).
    return d.handle.prefill(d.last + (this.keyExch ? 8 : 0), most);
  }

  /** GSS_GetMICEx: a signature over `message` without encrypting it. */
  sign(message: Uint8Array): Uint8Array {
    this.check();
    const d = this.#out;
    const signature = this.signature(this.checksum(d, d.seq, message), d.seq);
    d.seq = (d.seq + 1) >>> 0;
    return signature;
  }

  /** GSS_VerifyMICEx. */
  verify(message: Uint8Array, signature: Uint8Array): void {
    this.check();
    const d = this.#in;
    this.verifyShape(signature, d);
    this.verifyChecksum(signature, d, message);
  }

  private verifyShape(signature: Uint8Array, d: Direction): void {
    if (signature.length !== 16 || u32(signature, 0) !== 1) {
      this.broken = true;
      throw new WsmanAuthError('sealed message rejected: bad NTLM signature', 'ERR_AUTH_INTEGRITY');
    }
    const seq = u32(signature, 12);
    if (seq !== d.seq) {
      this.broken = true;
      if (seq < d.seq) throw new WsmanAuthError(`sealed message rejected: sequence number ${seq} already used (replay)`, 'ERR_AUTH_REPLAY');
      throw new WsmanAuthError(`sealed message rejected: sequence number ${seq}, expected ${d.seq}`, 'ERR_AUTH_SEQUENCE');
    }
  }

  private verifyChecksum(signature: Uint8Array, d: Direction, message: Uint8Array): void {
    const expected = this.checksum(d, d.seq, message);
    if (!equalBytes(expected, signature.subarray(4, 12))) {
      this.broken = true;
      throw new WsmanAuthError('sealed message rejected: NTLM signature does not match (tampered or wrong key)', 'ERR_AUTH_INTEGRITY');
    }
    d.seq = (d.seq + 1) >>> 0;
  }

  /**
   * MS-SPNG §3.2.5.1 / §3.3.5.1: the RC4 state used for the mechListMIC is used again for the first
   * application message. Call `saveHandle(dir)` before the mechListMIC and `restoreHandle(dir)` after.
   */
  saveHandle(direction: 'out' | 'in'): void {
    this.#saved = (direction === 'out' ? this.#out : this.#in).handle.clone();
  }

  restoreHandle(direction: 'out' | 'in'): void {
    if (this.#saved) (direction === 'out' ? this.#out : this.#in).handle.restore(this.#saved);
    this.#saved = undefined;
  }

  /** Next sequence numbers (for diagnostics and tests; not secret). */
  get sequence(): { out: number; in: number } {
    return { out: this.#out.seq, in: this.#in.seq };
  }

  toString(): string {
    return '[NtlmSession]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[NtlmSession]';
  }
}
