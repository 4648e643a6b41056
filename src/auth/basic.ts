/**
 * Basic (RFC 7617) and client-certificate "contexts", so the transport and listener drive every
 * mechanism the same way. Tokens are raw bytes; the HTTP layer base64-encodes them into
 * `Authorization: <scheme> <base64>`. Neither can seal: Windows accepts Basic only over HTTPS
 * unless AllowUnencrypted is set.
 */
import { WsmanUsageError } from '../core/errors.js';
import { AuthFailedError, INSPECT, redacted } from './errors.js';
import type { ClientAuth, Sealed, ServerAuth, StepResult } from './types.js';

const utf8 = new TextEncoder();

function noSeal(): never {
  throw new WsmanUsageError('this authentication mechanism cannot seal messages');
}

/** What every mechanism without a session key shares: no sealing, a redacted inspect form. */
abstract class NonSealing {
  readonly canSeal = false;
  readonly encryptionProtocol: string | undefined = undefined;
  sessionKey(): undefined {
    return undefined;
  }
  wrap(): Sealed {
    return noSeal();
  }
  unwrap(): Uint8Array {
    return noSeal();
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/** A client that sends one token and is done (Basic, certificate); it sends it on every request. */
abstract class OneShotClient extends NonSealing {
  private sent = false;
  get complete(): boolean {
    return this.sent;
  }
  protected abstract token(): Uint8Array | undefined;
  step(): StepResult {
    this.sent = true;
    const token = this.token();
    return token === undefined ? { done: true } : { token, done: true };
  }
  async stepAsync(): Promise<StepResult> {
    return this.step();
  }
  protected get wasSent(): boolean {
    return this.sent;
  }
}

/** Basic client: one token, `user:password` (PowerShell's `-Authentication Basic`). */
export class BasicClientContext extends OneShotClient implements ClientAuth {
  readonly mechanism = 'basic' as const;
  readonly scheme: string = 'Basic';
  #token: Uint8Array;

  constructor(opts: { username: string; password: string }) {
    super();
    if (opts.username.includes(':')) throw new WsmanUsageError('a Basic user name cannot contain ":"');
    this.#token = utf8.encode(`${opts.username}:${opts.password}`);
  }

  /** The same token every time (Basic is sent on every request). */
  protected token(): Uint8Array {
    return this.#token;
  }
  override toString(): string {
    return redacted('BasicClientContext', { sent: this.wasSent });
  }
  toJSON(): unknown {
    return { mechanism: this.mechanism };
  }
}

/** Checks a user name and password; may be asynchronous (scrypt). */
export type BasicVerifier = (user: string, password: string) => boolean | Promise<boolean>;

/** Basic server: verifies `user:password` through a callback. Use `stepAsync` for async verifiers. */
export class BasicServerContext extends NonSealing implements ServerAuth {
  readonly mechanism = 'basic' as const;
  readonly scheme: string = 'Basic';
  readonly domain: string | undefined = undefined;
  private name: string | undefined;

  constructor(private readonly verifier: BasicVerifier) {
    super();
  }

  get complete(): boolean {
    return this.name !== undefined;
  }
  get user(): string | undefined {
    return this.name;
  }

  private split(token: Uint8Array): [string, string] {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(token);
    const i = text.indexOf(':');
    if (i <= 0) throw new AuthFailedError('unknown-user', 'Basic: malformed credentials');
    return [text.slice(0, i), text.slice(i + 1)];
  }

  step(inToken: Uint8Array): StepResult {
    const [user, password] = this.split(inToken);
    const ok = this.verifier(user, password);
    if (typeof ok !== 'boolean') throw new WsmanUsageError('Basic: the verifier is asynchronous; call stepAsync');
    if (!ok) throw new AuthFailedError('bad-password');
    this.name = user;
    return { done: true };
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    const [user, password] = this.split(inToken ?? new Uint8Array(0));
    if (!(await this.verifier(user, password))) throw new AuthFailedError('bad-password');
    this.name = user;
    return { done: true };
  }

  override toString(): string {
    return redacted('BasicServerContext', { user: this.name ?? '-' });
  }
  toJSON(): unknown {
    return { mechanism: this.mechanism, user: this.name };
  }
}

/** The Authorization header value a certificate-authenticating client sends (protocol.md §9). */
export const CERTIFICATE_AUTH_HEADER = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual';

/**
 * Certificate client: the certificate goes in the TLS handshake; the HTTP layer sends the literal
 * `Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual` (this context's
 * `scheme`, with no token). PowerShell's `-CertificateThumbprint`.
 */
export class CertificateClientContext extends OneShotClient implements ClientAuth {
  readonly mechanism = 'certificate' as const;
  readonly scheme: string = CERTIFICATE_AUTH_HEADER;
  protected token(): undefined {
    return undefined;
  }
  override toString(): string {
    return '[CertificateClientContext]';
  }
}
