/**
 * Negotiate (SPNEGO, RFC 4178 / MS-SPNG) wrapping NTLM, both roles, as Windows' WinRM does it:
 *
 *   C: NegTokenInit{mechTypes [NTLM], mechToken NEGOTIATE}
 *   S: NegTokenResp{accept-incomplete, supportedMech NTLM, responseToken CHALLENGE}
 *   C: NegTokenResp{responseToken AUTHENTICATE, mechListMIC}
 *   S: NegTokenResp{accept-completed, mechListMIC}
 *
 * mechListMIC is an NTLM signature over the DER MechTypeList; around it the RC4 handle is saved and
 * restored (MS-SPNG §3.2.5.1, §3.3.5.1) so the first sealed message reuses the same key state.
 * The server also takes raw NTLMSSP tokens in `Negotiate` headers (pywinrm/requests-ntlm do that)
 * and then answers raw NTLMSSP. Kerberos is handled in kerberos.ts.
 */
import { WsmanAuthError, WsmanUsageError } from '../core/errors.js';
import { AuthFailedError, INSPECT, redacted } from './errors.js';
import { NtlmClientContext, type NtlmClientOptions } from './ntlm/client.js';
import { ntlmMessageType } from './ntlm/messages.js';
import { NtlmServerContext, type NtlmServerOptions } from './ntlm/server.js';
import type { NtlmSession } from './ntlm/session.js';
import {
  NegState, OID, decodeSpnego, encodeMechTypes, encodeNegTokenInit, encodeNegTokenResp, type NegTokenResp,
} from './spnego.js';
import { EncryptionProtocol, type ClientAuth, type Sealed, type ServerAuth, type StepResult } from './types.js';

function micSign(s: NtlmSession, data: Uint8Array): Uint8Array {
  s.saveHandle('out');
  try {
    return s.sign(data);
  } finally {
    s.restoreHandle('out');
  }
}

function micVerify(s: NtlmSession, data: Uint8Array, mic: Uint8Array): boolean {
  s.saveHandle('in');
  try {
    s.verify(data, mic);
    return true;
  } catch {
    return false;
  } finally {
    s.restoreHandle('in');
  }
}

export interface NegotiateClientOptions extends NtlmClientOptions {
  /** Send bare NTLMSSP tokens in the Negotiate header, as pywinrm does (default: SPNEGO-wrapped). */
  rawNtlm?: boolean;
}

/** Negotiate initiator over NTLM (PowerShell's `-Authentication Negotiate` without Kerberos). */
export class NegotiateClientContext implements ClientAuth {
  readonly mechanism = 'negotiate' as const;
  readonly scheme: string = 'Negotiate';
  readonly encryptionProtocol: string | undefined = EncryptionProtocol.spnego;
  private readonly ntlm: NtlmClientContext;
  private readonly raw: boolean;
  private readonly mechTypesDer = encodeMechTypes([OID.ntlm]);
  private serverDone = false;

  constructor(opts: NegotiateClientOptions) {
    this.ntlm = new NtlmClientContext(opts);
    this.raw = opts.rawNtlm === true;
  }

  get complete(): boolean {
    return this.ntlm.complete;
  }
  get canSeal(): boolean {
    return this.ntlm.canSeal;
  }

  step(inToken?: Uint8Array): StepResult {
    if (!this.ntlm.complete && inToken === undefined) {
      const neg = this.ntlm.step();
      if (this.raw) return neg;
      return { token: encodeNegTokenInit({ mechTypes: [OID.ntlm], mechToken: neg.token ?? new Uint8Array(0) }), done: false };
    }
    if (!inToken) throw new WsmanAuthError('Negotiate: the server sent no token', 'ERR_AUTH_TOKEN');
    if (ntlmMessageType(inToken) !== undefined) {
      // The server answered with bare NTLMSSP: follow it.
      return this.ntlm.step(inToken);
    }
    const resp = decodeSpnego(inToken);
    if (resp.kind !== 'resp') throw new WsmanAuthError('Negotiate: expected NegTokenResp', 'ERR_AUTH_TOKEN');
    if (resp.negState === NegState.reject) throw new AuthFailedError('bad-state', 'Negotiate: the server rejected the authentication');
    if (this.ntlm.complete) return this.finish(resp);
    if (resp.supportedMech && resp.supportedMech !== OID.ntlm) {
      throw new WsmanAuthError(`Negotiate: the server chose mechanism ${resp.supportedMech}, only NTLM is available`, 'ERR_AUTH_UNSUPPORTED');
    }
    if (!resp.responseToken) throw new WsmanAuthError('Negotiate: NegTokenResp without a CHALLENGE', 'ERR_AUTH_TOKEN');
    const auth = this.ntlm.step(resp.responseToken);
    const sec = this.ntlm.security;
    const mechListMIC = this.ntlm.micSent && sec ? micSign(sec, this.mechTypesDer) : undefined;
    return {
      token: encodeNegTokenResp({ responseToken: auth.token ?? new Uint8Array(0), ...(mechListMIC ? { mechListMIC } : {}) }),
      done: true,
    };
  }

  /** The server's last token (in the 200 response): accept-completed and its mechListMIC. */
  private finish(resp: NegTokenResp): StepResult {
    if (this.serverDone) throw new WsmanUsageError('Negotiate: the handshake is already complete');
    if (resp.negState !== undefined && resp.negState !== NegState.acceptCompleted) {
      throw new WsmanAuthError('Negotiate: the server did not complete the authentication', 'ERR_AUTH_TOKEN');
    }
    const sec = this.ntlm.security;
    if (resp.mechListMIC && sec && !micVerify(sec, this.mechTypesDer, resp.mechListMIC)) {
      throw new AuthFailedError('mech-list-mic', 'Negotiate: the server mechListMIC does not verify');
    }
    this.serverDone = true;
    return { done: true };
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    return this.step(inToken);
  }

  sessionKey(): Uint8Array | undefined {
    return this.ntlm.sessionKey();
  }
  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed {
    return this.ntlm.wrap(plaintext, out);
  }
  unwrap(sealed: Sealed, inPlace?: boolean): Uint8Array {
    return this.ntlm.unwrap(sealed, inPlace);
  }
  /** Key stream ahead for the next message (the NTLM session's RC4). */
  prefill(direction: 'wrap' | 'unwrap', most: number): number {
    return this.ntlm.prefill(direction, most);
  }
  toString(): string {
    return redacted('NegotiateClientContext', { complete: this.complete });
  }
  [INSPECT](): string {
    return this.toString();
  }
  toJSON(): unknown {
    return { mechanism: this.mechanism, complete: this.complete };
  }
}

/** Negotiate acceptor over NTLM; also accepts bare NTLMSSP in the Negotiate header. */
export class NegotiateServerContext implements ServerAuth {
  readonly mechanism = 'negotiate' as const;
  readonly scheme: string = 'Negotiate';
  readonly encryptionProtocol: string | undefined = EncryptionProtocol.spnego;
  private readonly ntlm: NtlmServerContext;
  private mode: 'unknown' | 'raw' | 'spnego' = 'unknown';
  private mechTypesDer: Uint8Array | undefined;
  private micRequired = false;
  private ntlmStarted = false;

  constructor(opts: NtlmServerOptions) {
    this.ntlm = new NtlmServerContext(opts);
  }

  get complete(): boolean {
    return this.ntlm.complete;
  }
  get user(): string | undefined {
    return this.ntlm.user;
  }
  get domain(): string | undefined {
    return this.ntlm.domain;
  }
  get canSeal(): boolean {
    return this.ntlm.canSeal;
  }
  /** `raw` when the client sent bare NTLMSSP (pywinrm), `spnego` otherwise. */
  get framing(): 'unknown' | 'raw' | 'spnego' {
    return this.mode;
  }

  step(inToken: Uint8Array): StepResult {
    if (this.mode !== 'spnego' && ntlmMessageType(inToken) !== undefined) {
      this.mode = 'raw';
      return this.ntlm.step(inToken);
    }
    if (this.mode === 'raw') throw new WsmanAuthError('Negotiate: expected an NTLMSSP token', 'ERR_AUTH_TOKEN');
    this.mode = 'spnego';
    const tok = decodeSpnego(inToken);
    if (tok.kind === 'init') {
      if (this.mechTypesDer) throw new AuthFailedError('bad-state', 'Negotiate: a second NegTokenInit');
      if (!tok.mechTypes.includes(OID.ntlm)) throw new AuthFailedError('no-common-mechanism', 'Negotiate: the client offers no mechanism this server supports (NTLM)');
      this.mechTypesDer = tok.mechTypesDer;
      if (tok.mechTypes[0] === OID.ntlm && tok.mechToken && ntlmMessageType(tok.mechToken) === 1) {
        this.ntlmStarted = true;
        const ch = this.ntlm.step(tok.mechToken);
        return { token: encodeNegTokenResp({ negState: NegState.acceptIncomplete, supportedMech: OID.ntlm, responseToken: ch.token ?? new Uint8Array(0) }), done: false };
      }
      // The client's optimistic token is for another mechanism (Kerberos): ask for NTLM instead.
      this.micRequired = true;
      return { token: encodeNegTokenResp({ negState: NegState.acceptIncomplete, supportedMech: OID.ntlm }), done: false };
    }
    if (!this.mechTypesDer) throw new AuthFailedError('bad-state', 'Negotiate: NegTokenResp before NegTokenInit');
    if (!tok.responseToken) throw new WsmanAuthError('Negotiate: NegTokenResp without a token', 'ERR_AUTH_TOKEN');
    if (!this.ntlmStarted) {
      this.ntlmStarted = true;
      const ch = this.ntlm.step(tok.responseToken);
      return { token: encodeNegTokenResp({ negState: NegState.acceptIncomplete, responseToken: ch.token ?? new Uint8Array(0) }), done: false };
    }
    this.ntlm.step(tok.responseToken); // throws AuthFailedError on a bad login
    const sec = this.ntlm.security;
    if (tok.mechListMIC) {
      if (!sec || !micVerify(sec, this.mechTypesDer, tok.mechListMIC)) throw new AuthFailedError('mech-list-mic');
    } else if (this.micRequired) {
      throw new AuthFailedError('mech-list-mic', 'Negotiate: mechListMIC required');
    }
    const mechListMIC = tok.mechListMIC && sec ? micSign(sec, this.mechTypesDer) : undefined;
    return {
      token: encodeNegTokenResp({ negState: NegState.acceptCompleted, ...(mechListMIC ? { mechListMIC } : {}) }),
      done: true,
    };
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    return this.step(inToken ?? new Uint8Array(0));
  }

  sessionKey(): Uint8Array | undefined {
    return this.ntlm.sessionKey();
  }
  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed {
    return this.ntlm.wrap(plaintext, out);
  }
  unwrap(sealed: Sealed, inPlace?: boolean): Uint8Array {
    return this.ntlm.unwrap(sealed, inPlace);
  }
  /** Key stream ahead for the next message (the NTLM session's RC4). */
  prefill(direction: 'wrap' | 'unwrap', most: number): number {
    return this.ntlm.prefill(direction, most);
  }
  toString(): string {
    return redacted('NegotiateServerContext', { mode: this.mode, complete: this.complete, user: this.user ?? '-' });
  }
  [INSPECT](): string {
    return this.toString();
  }
  toJSON(): unknown {
    return { mechanism: this.mechanism, complete: this.complete, user: this.user };
  }
}
