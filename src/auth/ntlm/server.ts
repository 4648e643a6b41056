/**
 * NTLM server (acceptor), connection-oriented (MS-NLMP §3.2.5.1): answers NEGOTIATE with a
 * CHALLENGE (target info with names and a timestamp), then verifies the AUTHENTICATE: NTLMv2
 * response from the user's NT hash, domain, MIC, channel bindings; NTLMv1 and anonymous refused.
 * Sans-IO: the server challenge and timestamp come from injectable sources.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { WsmanAuthError } from '../../core/errors.js';
import { equalBytes, filetimeFromMs, le64, u32, utf16le, type FiletimeClock, type RandomBytes } from '../crypto/bytes.js';
import { rc4 } from '../crypto/rc4.js';
import { AuthFailedError, INSPECT, redacted } from '../errors.js';
import { EncryptionProtocol, type Sealed, type ServerAuth, type StepResult } from '../types.js';
import { AvFlags, AvId, DEFAULT_VERSION, NegotiateFlags as F, SERVER_ECHO_FLAGS } from './constants.js';
import { channelBindingsHash, computeMic, kxkey, ntowfv2, verifyNtlmv2 } from './compute.js';
import {
  MIC_OFFSET, avGet, decodeAuthenticate, decodeAvPairs, decodeNegotiate, encodeChallenge, type AvPair,
} from './messages.js';
import { NtlmSession } from './session.js';
import { serverAccount } from './user.js';

/** Finds the NT hash of an account (see `ntHash`); undefined when there is no such user. */
export type NtHashLookup = (user: string, domain: string) => Uint8Array | undefined;

/** Windows' CbtHardeningLevel: None ignores channel bindings, Relaxed checks them when sent, Strict requires them. */
export type CbtHardening = 'none' | 'relaxed' | 'strict';

export interface NtlmServerOptions {
  lookup: NtHashLookup;
  /** NetBIOS domain (or workgroup) name: the CHALLENGE's TargetName. Default `WORKGROUP`. */
  netbiosDomain?: string;
  /** NetBIOS computer name. Default `WSMAN`. */
  netbiosComputer?: string;
  /** DNS domain name (default: netbiosDomain lower-cased). */
  dnsDomain?: string;
  /** DNS computer name (default: computer.domain lower-cased). */
  dnsComputer?: string;
  /** More domain names accepted in AUTHENTICATE besides the above, `''` and `.`. */
  acceptDomains?: string[];
  /** Channel binding application data of this TLS endpoint (`tlsServerEndPoint(cert)`). */
  channelBinding?: Uint8Array;
  /** Default `relaxed` (Windows' default). Only used with `channelBinding`. */
  cbtHardening?: CbtHardening;
  /** Answer in UNICODE even to a client that offers only OEM (pywinrm copes). Default: follow the client. */
  forceUnicode?: boolean;
  randomBytes?: RandomBytes;
  filetime?: FiletimeClock;
  version?: Uint8Array;
}

/** NTLM acceptor for one connection. */
export class NtlmServerContext implements ServerAuth {
  readonly mechanism = 'ntlm' as const;
  readonly scheme: string = 'Negotiate';
  readonly encryptionProtocol: string | undefined = EncryptionProtocol.spnego;
  private state: 'initial' | 'challenged' | 'done' | 'failed' = 'initial';
  private negotiateBytes: Uint8Array | undefined;
  private challengeBytes: Uint8Array | undefined;
  #serverChallenge: Uint8Array | undefined;
  #session: NtlmSession | undefined;
  #exported: Uint8Array | undefined;
  private negotiatedFlags = 0;
  private userName: string | undefined;
  private userDomain: string | undefined;
  /** True when the client's AUTHENTICATE carried a MIC. */
  micReceived = false;

  constructor(private readonly opts: NtlmServerOptions) {}

  get complete(): boolean {
    return this.state === 'done';
  }
  get user(): string | undefined {
    return this.userName;
  }
  get domain(): string | undefined {
    return this.userDomain;
  }
  get canSeal(): boolean {
    return this.#session !== undefined && (this.negotiatedFlags & F.SEAL) !== 0;
  }
  get flags(): number {
    return this.negotiatedFlags;
  }
  get security(): NtlmSession | undefined {
    return this.#session;
  }

  private names(): { nbDomain: string; nbComputer: string; dnsDomain: string; dnsComputer: string } {
    const nbDomain = this.opts.netbiosDomain ?? 'WORKGROUP';
    const nbComputer = this.opts.netbiosComputer ?? 'WSMAN';
    const dnsDomain = this.opts.dnsDomain ?? nbDomain.toLowerCase();
    const dnsComputer = this.opts.dnsComputer ?? `${nbComputer}.${dnsDomain}`.toLowerCase();
    return { nbDomain, nbComputer, dnsDomain, dnsComputer };
  }

  step(inToken: Uint8Array): StepResult {
    try {
      if (this.state === 'initial') return { token: this.challenge(inToken), done: false };
      if (this.state === 'challenged') {
        this.verify(inToken);
        this.state = 'done';
        return { done: true };
      }
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
    throw new AuthFailedError('bad-state', 'NTLM: unexpected token for this connection state');
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    return this.step(inToken ?? new Uint8Array(0));
  }

  private challenge(negBytes: Uint8Array): Uint8Array {
    const neg = decodeNegotiate(negBytes);
    if (!(neg.flags & F.EXTENDED_SESSIONSECURITY)) {
      throw new AuthFailedError('ntlmv1', 'NTLM: the client does not offer extended session security; refused');
    }
    const charset = neg.flags & F.UNICODE || this.opts.forceUnicode ? F.UNICODE : F.OEM;
    const flags = ((neg.flags & SERVER_ECHO_FLAGS) | charset | F.REQUEST_TARGET | F.NTLM | F.TARGET_INFO |
      F.TARGET_TYPE_DOMAIN | F.VERSION) >>> 0;
    const n = this.names();
    const rand = this.opts.randomBytes ?? ((k: number) => new Uint8Array(nodeRandomBytes(k)));
    const now = this.opts.filetime ?? (() => filetimeFromMs(Date.now()));
    this.#serverChallenge = rand(8);
    const targetInfo: AvPair[] = [
      { id: AvId.NbDomainName, value: utf16le(n.nbDomain) },
      { id: AvId.NbComputerName, value: utf16le(n.nbComputer) },
      { id: AvId.DnsDomainName, value: utf16le(n.dnsDomain) },
      { id: AvId.DnsComputerName, value: utf16le(n.dnsComputer) },
      { id: AvId.Timestamp, value: le64(now()) },
    ];
    this.negotiateBytes = negBytes;
    this.challengeBytes = encodeChallenge({
      flags, targetName: n.nbDomain, serverChallenge: this.#serverChallenge, targetInfo,
      version: this.opts.version ?? DEFAULT_VERSION,
    });
    this.state = 'challenged';
    return this.challengeBytes;
  }

  private domainAccepted(domain: string): boolean {
    const n = this.names();
    const ok = ['', '.', n.nbDomain, n.nbComputer, n.dnsDomain, n.dnsComputer, ...(this.opts.acceptDomains ?? [])];
    return ok.some((d) => d.toLowerCase() === domain.toLowerCase());
  }

  private verify(authBytes: Uint8Array): void {
    const auth = decodeAuthenticate(authBytes);
    if (auth.ntChallengeResponse.length === 0 && auth.user === '') throw new AuthFailedError('anonymous');
    if (auth.ntChallengeResponse.length <= 24) throw new AuthFailedError('ntlmv1');
    const account = serverAccount(auth.user, auth.domain);
    if (!this.domainAccepted(account.domain)) throw new AuthFailedError('domain');
    const hash = this.opts.lookup(account.name, account.domain);
    // An unknown user costs the same work as a wrong password (no user enumeration by timing).
    const key = ntowfv2(hash ?? new Uint8Array(16), auth.user, auth.domain);
    const baseKey = verifyNtlmv2(key, this.#serverChallenge ?? new Uint8Array(8), auth.ntChallengeResponse);
    if (!hash) throw new AuthFailedError('unknown-user');
    if (!baseKey) throw new AuthFailedError('bad-password');

    // The client's AV pairs sit in its blob after NTProofStr (16) and 28 fixed bytes.
    let pairs: AvPair[];
    try {
      pairs = decodeAvPairs(auth.ntChallengeResponse.subarray(16 + 28));
    } catch {
      throw new AuthFailedError('bad-password', 'NTLM: malformed NTLMv2 response');
    }
    const flags = auth.flags >>> 0;
    const kx = kxkey(baseKey);
    let exported = kx;
    if (flags & F.KEY_EXCH) {
      if (auth.encryptedRandomSessionKey.length !== 16) throw new AuthFailedError('bad-password', 'NTLM: bad session key length');
      exported = rc4(kx, auth.encryptedRandomSessionKey);
    }

    const avFlags = avGet(pairs, AvId.Flags);
    const micPresent = avFlags !== undefined && avFlags.length >= 4 && (u32(avFlags, 0) & AvFlags.MIC_PRESENT) !== 0;
    if (micPresent) {
      if (!auth.mic) throw new AuthFailedError('mic');
      const zeroed = new Uint8Array(authBytes);
      zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
      const mic = computeMic(exported, this.negotiateBytes ?? new Uint8Array(0), this.challengeBytes ?? new Uint8Array(0), zeroed);
      if (!equalBytes(mic, auth.mic)) throw new AuthFailedError('mic');
      this.micReceived = true;
    }

    if (this.opts.channelBinding && (this.opts.cbtHardening ?? 'relaxed') !== 'none') {
      const sent = avGet(pairs, AvId.ChannelBindings);
      const empty = !sent || sent.every((x) => x === 0);
      if (empty) {
        if (this.opts.cbtHardening === 'strict') throw new AuthFailedError('channel-binding');
      } else if (!equalBytes(sent, channelBindingsHash(this.opts.channelBinding))) {
        throw new AuthFailedError('channel-binding');
      }
    }

    if (!(flags & F.EXTENDED_SESSIONSECURITY)) throw new AuthFailedError('ntlmv1');
    this.negotiatedFlags = flags;
    this.#exported = exported;
    if (flags & (F.SIGN | F.SEAL)) this.#session = new NtlmSession(exported, flags, false);
    this.userName = account.name;
    this.userDomain = account.domain;
  }

  sessionKey(): Uint8Array | undefined {
    return this.#exported;
  }

  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed {
    const { signature, data } = this.sealer().seal(plaintext, out);
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
    if (!this.#session || !this.canSeal) throw new WsmanAuthError('NTLM: sealing is not available on this connection', 'ERR_AUTH_NO_SEAL');
    return this.#session;
  }

  toString(): string {
    return redacted('NtlmServerContext', { state: this.state, user: this.userName ?? '-' });
  }

  [INSPECT](): string {
    return this.toString();
  }

  toJSON(): unknown {
    return { mechanism: this.mechanism, state: this.state, user: this.userName };
  }
}

