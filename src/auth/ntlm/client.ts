/**
 * NTLM client (initiator), connection-oriented (MS-NLMP §3.1.5.1): NEGOTIATE → CHALLENGE →
 * AUTHENTICATE with NTLMv2, LMv2 (or Z(24) when the server sends a timestamp), MIC, key exchange and
 * extended session security. NTLMv1 is never produced. Sans-IO: randomness and time are injected.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { WsmanAuthError, WsmanUsageError } from '../../core/errors.js';
import { filetimeFromMs, le32, le64, type FiletimeClock, type RandomBytes, utf16le } from '../crypto/bytes.js';
import { INSPECT, redacted } from '../errors.js';
import { EncryptionProtocol, type ClientAuth, type Sealed, type StepResult } from '../types.js';
import { AvFlags, AvId, CLIENT_FLAGS, DEFAULT_VERSION, NegotiateFlags as F } from './constants.js';
import {
  channelBindingsHash, clientChallengeBlob, computeMic, encryptSessionKey, kxkey, lmv2Response, ntHash,
  ntlmv2Response, ntowfv2,
} from './compute.js';
import {
  MIC_OFFSET, avGet, avSet, decodeChallenge, encodeAuthenticate, encodeAvPairs, encodeNegotiate,
} from './messages.js';
import { NtlmSession } from './session.js';
import { clientUserParts } from './user.js';

export interface NtlmClientOptions {
  /** `user`, `DOMAIN\user` or `user@domain` (PowerShell's -Credential user name). */
  username: string;
  /** The password; or give `ntHash` instead. */
  password?: string;
  /** The NT hash (16 bytes) instead of the password. */
  ntHash?: Uint8Array;
  /** Domain for a bare `user` (ignored for the other forms). */
  domain?: string;
  /** Workstation name sent in AUTHENTICATE (default empty, as pywinrm). */
  workstation?: string;
  /**
   * Channel binding application data (`tls-server-end-point:` + hash; see `tlsServerEndPoint`),
   * sent as MsvAvChannelBindings. Over HTTPS only.
   */
  channelBinding?: Uint8Array;
  /** SPN for MsvAvTargetName, e.g. `HTTP/host` (optional). */
  targetName?: string;
  /** Random source (client challenge, session key). Default: node:crypto. */
  randomBytes?: RandomBytes;
  /** Clock used only when the server sends no MsvAvTimestamp. Default: Date.now. */
  filetime?: FiletimeClock;
  /** VERSION sent in NEGOTIATE/AUTHENTICATE (8 bytes). */
  version?: Uint8Array;
}

/** NTLM initiator. One per connection. Equivalent of `-Authentication Negotiate` falling back to NTLM. */
export class NtlmClientContext implements ClientAuth {
  readonly mechanism = 'ntlm' as const;
  readonly scheme: string = 'Negotiate';
  readonly encryptionProtocol: string | undefined = EncryptionProtocol.spnego;
  private state: 'initial' | 'negotiated' | 'done' = 'initial';
  private negotiateBytes: Uint8Array | undefined;
  #session: NtlmSession | undefined;
  #exported: Uint8Array | undefined;
  private negotiatedFlags = 0;
  #hash: Uint8Array;
  private readonly user: string;
  private readonly domain: string;
  private readonly rand: RandomBytes;
  private readonly clock: FiletimeClock;

  /** What the handshake needs later; never the password. */
  private readonly opts: Pick<NtlmClientOptions, 'channelBinding' | 'targetName' | 'workstation' | 'version'>;

  constructor(options: NtlmClientOptions) {
    const opts = options;
    this.opts = { channelBinding: opts.channelBinding, targetName: opts.targetName, workstation: opts.workstation, version: opts.version };
    if (opts.ntHash === undefined && opts.password === undefined) throw new WsmanUsageError('NTLM needs a password or an NT hash');
    this.#hash = opts.ntHash ?? ntHash(opts.password ?? '');
    const parts = clientUserParts(opts.username, opts.domain);
    this.user = parts.user;
    this.domain = parts.domain;
    this.rand = opts.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    this.clock = opts.filetime ?? (() => filetimeFromMs(Date.now()));
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  get canSeal(): boolean {
    return this.#session !== undefined && (this.negotiatedFlags & F.SEAL) !== 0;
  }

  /** The flags both sides agreed on (after CHALLENGE). */
  get flags(): number {
    return this.negotiatedFlags;
  }

  /** The NtlmSession (for SPNEGO's mechListMIC). */
  get security(): NtlmSession | undefined {
    return this.#session;
  }

  /** True when the AUTHENTICATE carried a MIC (Windows then expects an SPNEGO mechListMIC). */
  micSent = false;

  step(inToken?: Uint8Array): StepResult {
    if (this.state === 'initial') {
      if (inToken !== undefined && inToken.length > 0) throw new WsmanUsageError('NTLM client: the first step takes no token');
      this.negotiateBytes = encodeNegotiate({ flags: CLIENT_FLAGS, domain: '', workstation: '', version: this.opts.version ?? DEFAULT_VERSION });
      this.state = 'negotiated';
      return { token: this.negotiateBytes, done: false };
    }
    if (this.state === 'negotiated') {
      if (!inToken) throw new WsmanAuthError('NTLM: the server sent no CHALLENGE', 'ERR_AUTH_TOKEN');
      const token = this.authenticate(inToken);
      this.state = 'done';
      return { token, done: true };
    }
    throw new WsmanUsageError('NTLM client: the handshake is already complete');
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    return this.step(inToken);
  }

  private authenticate(challengeBytes: Uint8Array): Uint8Array {
    const ch = decodeChallenge(challengeBytes);
    if (!(ch.flags & F.EXTENDED_SESSIONSECURITY)) {
      throw new WsmanAuthError('NTLM: the server does not offer extended session security (NTLMv1 only); refused', 'ERR_AUTH_UNSUPPORTED');
    }
    let flags = (ch.flags & CLIENT_FLAGS) | F.REQUEST_TARGET;
    flags = ch.flags & F.UNICODE ? flags & ~F.OEM : (flags & ~F.UNICODE) | F.OEM;
    this.negotiatedFlags = flags >>> 0;

    const serverTime = avGet(ch.targetInfo, AvId.Timestamp);
    const timestamp = serverTime ?? le64(this.clock());
    const clientChallenge = this.rand(8);
    let pairs = ch.targetInfo;
    if (serverTime) {
      const prev = avGet(pairs, AvId.Flags);
      const f = (prev ? (prev[0]! | (prev[1]! << 8) | (prev[2]! << 16) | (prev[3]! << 24)) >>> 0 : 0) | AvFlags.MIC_PRESENT;
      pairs = avSet(pairs, AvId.Flags, le32(f));
    }
    if (this.opts.channelBinding) pairs = avSet(pairs, AvId.ChannelBindings, channelBindingsHash(this.opts.channelBinding));
    if (this.opts.targetName) pairs = avSet(pairs, AvId.TargetName, utf16le(this.opts.targetName));

    const key = ntowfv2(this.#hash, this.user, this.domain);
    const blob = clientChallengeBlob(timestamp, clientChallenge, encodeAvPairs(pairs));
    const v2 = ntlmv2Response(key, ch.serverChallenge, blob);
    const lm = serverTime ? new Uint8Array(24) : lmv2Response(key, ch.serverChallenge, clientChallenge);
    const kx = kxkey(v2.sessionBaseKey);
    let encryptedKey: Uint8Array = new Uint8Array(0);
    let exported = kx;
    if (flags & F.KEY_EXCH) {
      exported = this.rand(16);
      encryptedKey = encryptSessionKey(kx, exported);
    }
    const withMic = serverTime !== undefined;
    const msg = encodeAuthenticate({
      flags: this.negotiatedFlags,
      lmChallengeResponse: lm,
      ntChallengeResponse: v2.ntChallengeResponse,
      domain: this.domain,
      user: this.user,
      workstation: this.opts.workstation ?? '',
      encryptedRandomSessionKey: encryptedKey,
      version: this.opts.version ?? DEFAULT_VERSION,
      ...(withMic ? { mic: new Uint8Array(16) } : {}),
    });
    if (withMic) {
      msg.set(computeMic(exported, this.negotiateBytes ?? new Uint8Array(0), challengeBytes, msg), MIC_OFFSET);
      this.micSent = true;
    }
    this.#exported = exported;
    if (flags & (F.SIGN | F.SEAL)) this.#session = new NtlmSession(exported, this.negotiatedFlags, true);
    return msg;
  }

  sessionKey(): Uint8Array | undefined {
    return this.#exported;
  }

  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed {
    const s = this.sealer();
    const { signature, data } = s.seal(plaintext, out);
    return { header: signature, ciphertext: data };
  }

  unwrap(sealed: Sealed, inPlace?: boolean): Uint8Array {
    return this.sealer().unseal(sealed.ciphertext, sealed.header, inPlace);
  }

  /** Key stream ahead for the next message (types.ts); NTLM's RC4 handles. */
  prefill(direction: 'wrap' | 'unwrap', most: number): number {
    if (!this.#session || !this.canSeal) return 0;
    return this.#session.prefill(direction === 'wrap' ? 'out' : 'in', most);
  }

  private sealer(): NtlmSession {
    if (!this.#session || !this.canSeal) throw new WsmanUsageError('NTLM: sealing is not available (handshake incomplete or SEAL not negotiated)');
    return this.#session;
  }

  toString(): string {
    return redacted('NtlmClientContext', { state: this.state, user: this.user });
  }

  [INSPECT](): string {
    return this.toString();
  }

  toJSON(): unknown {
    return { mechanism: this.mechanism, state: this.state };
  }
}
