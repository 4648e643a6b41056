/**
 * HTTP transport over undici (protocol.md §8): POST to one endpoint, keep-alive, one undici
 * connection per channel so that connection-bound authentication (NTLM, Negotiate) stays on the
 * socket it was done on; several channels let a Receive wait while a Send goes out.
 *
 * Authentication:
 *   header  → the same Authorization header on every request; a 401 is a refusal.
 *   context → per connection: step() → `Authorization: <scheme> <b64>` → 401 + token → step() …
 *             until a non-401 answer; a reconnect starts over. When the provider seals, the
 *             handshake is an empty-body POST and every body goes through the BodySealer.
 */
import { Client, errors as undiciErrors, MAX_RESPONSE_HEAD, type Dispatcher } from './undici.js';
import type { ClientAuthContext, StepResult } from '../auth/types.js';
import { WsmanAuthError, WsmanTimeoutError, WsmanUsageError } from '../core/errors.js';
import { charsetOf } from '../core/envelope.js';
import type { AuthProvider, TransportOptions, TransportRequest, TransportResponse } from './types.js';
import { directConnector, tlsConnectOptions } from './tls.js';
import { proxiedDispatcher, resolveProxy } from './proxy.js';
import { offeredText } from './auth.js';
import { parseWwwAuthenticate, sameScheme } from '../auth/http.js';
import { httpToTlsPort, mapTransportError } from './errors.js';
import { tlsServerEndPoint } from '../auth/certificate.js';
import { checkUnencrypted } from '../auth/policy.js';
import { Cancel, dispatchPost, type DispatchResult, type PostOptions } from './dispatch.js';

const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';
const MAX_AUTH_LEGS = 8;

interface Channel {
  dispatcher: Dispatcher;
  busy: boolean;
  /** Bumped on every new TCP connection; the auth context is valid for one value. */
  connection: number;
  ctx: ClientAuthContext | undefined;
  authedConnection: number;
  /** DER of the server certificate on the current connection (HTTPS). */
  peerCert: Buffer | undefined;
  /** The last answer on this connection was a 401 (some servers close or reset the connection after one). */
  after401: boolean;
}

type RawResult = DispatchResult;

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One handshake leg; contexts whose steps are asynchronous (Kerberos) offer `stepAsync`. */
function stepOf(ctx: ClientAuthContext, token: Uint8Array | undefined): StepResult | Promise<StepResult> {
  const async = (ctx as { stepAsync?: (t?: Uint8Array) => Promise<StepResult> }).stepAsync;
  return typeof async === 'function' ? async.call(ctx, token) : ctx.step(token);
}

/**
 * The error undici's destroy() gives the socket and any request still queued: the same
 * ClientDestroyedError it would make itself, but without a stack trace, which Node formats on
 * every socket destroy (costly, above all with source maps) for an error nobody reads.
 */
function closedError(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new undiciErrors.ClientDestroyedError();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The server closed or reset the connection before any byte of the answer. */
function isEarlyClose(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED';
}

/** The HTTP side of a WsmanClient. PowerShell has no public equivalent (WinRM's WinHTTP layer). */
export class HttpTransport {
  readonly url: string;
  private readonly target: URL;
  private readonly opts: TransportOptions;
  private readonly channels: Channel[] = [];
  private readonly waiters: ((c: Channel) => void)[] = [];
  private readonly cookies = new Map<string, string>();
  private readonly proxyUri: string | undefined;
  /** `target.origin` and path+query, computed once (URL getters are not free). */
  private readonly origin: string;
  private readonly path: string;
  private closed = false;
  /** The mechanism `select` settled on. */
  private chosen: AuthProvider | undefined;

  constructor(opts: TransportOptions) {
    this.opts = opts;
    this.target = new URL(opts.url);
    this.url = this.target.href;
    this.origin = this.target.origin;
    this.path = this.target.pathname + this.target.search;
    this.proxyUri = resolveProxy(opts.proxy, this.target, opts.env);
    if (this.target.protocol === 'https:') tlsConnectOptions(opts.tls); // load certificate files now: fail early
  }

  get https(): boolean {
    return this.target.protocol === 'https:';
  }

  get auth(): AuthProvider {
    return this.opts.auth;
  }

  /** The mechanism in use (for `default`, once the server's challenge has been seen). */
  get mechanism(): string {
    const p = this.chosen ?? this.opts.auth;
    return p.kind === 'header' || p.kind === 'context' ? p.mechanism : p.kind;
  }

  private newChannel(): Channel {
    const ch: Channel = { dispatcher: undefined as unknown as Dispatcher, busy: true, connection: 0, ctx: undefined, authedConnection: -1, peerCert: undefined, after401: false };
    const onConnect = (): void => { ch.connection++; };
    const onDisconnect = (): void => { ch.ctx = undefined; ch.peerCert = undefined; };
    const onPeer = (der: Buffer): void => { ch.peerCert = der; };
    if (this.proxyUri !== undefined) {
      ch.dispatcher = proxiedDispatcher(this.proxyUri, this.opts.tls, this.opts.connectTimeoutMs, onPeer);
    } else {
      ch.dispatcher = new Client(this.origin, {
        connect: directConnector(this.https ? this.opts.tls : undefined, this.opts.connectTimeoutMs, onPeer),
        pipelining: 1,
        maxHeaderSize: MAX_RESPONSE_HEAD,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
      });
    }
    ch.dispatcher.on('connect', onConnect);
    ch.dispatcher.on('disconnect', onDisconnect);
    return ch;
  }

  private acquire(): Promise<Channel> {
    const idle = this.channels.find((c) => !c.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.channels.length < (this.opts.maxConnections ?? 4)) {
      const ch = this.newChannel();
      this.channels.push(ch);
      return Promise.resolve(ch);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(ch: Channel): void {
    const next = this.waiters.shift();
    if (next) next(ch);
    else ch.busy = false;
  }

  /** POST one body and return the (unsealed) answer. 401 becomes WsmanAuthError. */
  async send(req: TransportRequest): Promise<TransportResponse> {
    if (this.closed) throw new WsmanUsageError('the client is closed', 'ERR_CLOSED');
    // One plain cancel flag and one plain timer per request: cheaper than an AbortController (an
    // AbortSignal and its event target each time; a tenth of the transport's own CPU at 153600).
    const cancel = new Cancel();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; cancel.abort(new Error('timeout')); }, req.timeoutMs);
    timer.unref(); // like AbortSignal.timeout: the request's socket, not this timer, keeps the process alive
    const outer = req.signal;
    const onOuter = (): void => { cancel.abort(outer?.reason); };
    if (outer) {
      if (outer.aborted) onOuter();
      else outer.addEventListener('abort', onOuter, { once: true });
    }
    const ch = await this.acquire();
    try {
      return await this.exchange(ch, req, cancel);
    } catch (err) {
      if (outer?.aborted) throw outer.reason ?? err;
      if (timedOut) throw new WsmanTimeoutError(`${this.url} did not answer within ${req.timeoutMs} ms`, { cause: err });
      const mapped = mapTransportError(err, this.url);
      throw this.proxyUri === undefined ? await httpToTlsPort(mapped, this.target) : mapped;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
      this.release(ch);
    }
  }

  private async exchange(ch: Channel, req: TransportRequest, signal: Cancel): Promise<TransportResponse> {
    let provider: AuthProvider = req.unauthenticated ? { kind: 'none' } : this.chosen ?? this.opts.auth;
    const base: Record<string, string> = { 'content-type': SOAP_CONTENT_TYPE, ...req.headers };
    if (this.opts.userAgent !== undefined) base['user-agent'] = this.opts.userAgent;
    const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    if (provider.kind === 'select') {
      // Ask without credentials; the 401 says which schemes the server takes.
      // Without credentials the server executes nothing: safe to repeat.
      const probe = await this.raw(ch, base, body, signal, true);
      if (probe.status !== 401) return this.finish(probe);
      const offered = parseWwwAuthenticate(probe.headers['www-authenticate']).map((c) => c.scheme.toLowerCase());
      provider = provider.choose(offered, this.url);
      this.chosen = provider;
    }
    if (provider.kind === 'select') throw new WsmanAuthError('no authentication mechanism was chosen', 'ERR_AUTH_NO_COMMON_SCHEME');
    if (provider.kind === 'none') return this.finish(await this.raw(ch, base, body, signal, req.idempotent === true));
    if (provider.kind === 'header') {
      this.checkClear(provider.mechanism, false);
      const res = await this.raw(ch, { ...base, authorization: provider.header() }, body, signal, req.idempotent === true);
      if (res.status === 401) throw this.refused(res, provider.mechanism);
      return this.finish(res);
    }
    const sealing = provider.sealer !== undefined &&
      (provider.encryption === 'always' || ((provider.encryption ?? 'auto') === 'auto' && !this.https));
    this.checkClear(provider.mechanism, sealing, provider.sealer === undefined ? 'the mechanism cannot seal' : '--no-encryption');
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!ch.ctx || ch.authedConnection !== ch.connection) {
        const first = await this.handshake(ch, provider, base, sealing ? Buffer.alloc(0) : body, signal, req.idempotent === true);
        if (!sealing) return this.finish(first);
      }
      const ctx = ch.ctx;
      if (!ctx) throw new WsmanAuthError('authentication did not complete', 'ERR_AUTH_INCOMPLETE');
      let res: RawResult;
      try {
        if (sealing && provider.sealer) {
          const sealed = provider.sealer.seal(ctx, body, SOAP_CONTENT_TYPE);
          const answer = this.raw(ch, { ...base, 'content-type': sealed.contentType }, sealed.body, signal);
          // While the server works: the key stream that will unseal its answer (issue 20).
          provider.sealer.ahead?.(ctx, 'unwrap', setImmediate);
          res = await answer;
        } else {
          res = await this.raw(ch, base, body, signal);
        }
      } catch (err) {
        // The context belongs to the connection the server dropped: a request that is safe to
        // repeat logs on again on a fresh connection, once.
        if (attempt === 0 && req.idempotent && isEarlyClose(err) && !signal.aborted) {
          ch.ctx = undefined;
          continue;
        }
        throw err;
      }
      if (res.status === 401) {
        // The server forgot the connection's context (a reconnect we did not see): start over once.
        ch.ctx = undefined;
        if (attempt === 0) continue;
        throw this.refused(res, provider.mechanism);
      }
      const ct = header(res.headers, 'content-type') ?? '';
      if (provider.sealer && provider.sealer.isSealed(ct)) {
        const plain = provider.sealer.unseal(ctx, res.body, ct);
        // The sealed part carried the SOAP content type (OriginalContent); show it to the caller.
        const headers = { ...res.headers, 'content-type': SOAP_CONTENT_TYPE, 'content-length': String(plain.length) };
        // A view, not a copy: the plaintext was decrypted where it lay in the received body.
        return { status: res.status, headers, body: Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength), url: this.url, charset: 'utf-8' };
      }
      return this.finish(res);
    }
    throw new WsmanAuthError('authentication failed', 'ERR_AUTH_REJECTED');
  }

  /** The 401 loop for a connection-bound mechanism. Returns the answer to the last leg. */
  private async handshake(ch: Channel, provider: Extract<AuthProvider, { kind: 'context' }>, base: Record<string, string>,
    body: Uint8Array, signal: Cancel, idempotent: boolean): Promise<RawResult> {
    if (this.https && !ch.peerCert) {
      // Connect first (an unauthenticated empty POST) so that the context can bind to the
      // server certificate (tls-server-end-point, RFC 5929), as Windows' CbtHardeningLevel wants.
      await this.raw(ch, base, Buffer.alloc(0), signal);
    }
    const ctx = await provider.createContext(ch.peerCert ? { channelBinding: tlsServerEndPoint(ch.peerCert) } : {});
    let inToken: Uint8Array | undefined;
    for (let leg = 0; leg < MAX_AUTH_LEGS; leg++) {
      const step = await stepOf(ctx, inToken);
      const headers = { ...base };
      if (step.token) headers.authorization = `${ctx.scheme} ${Buffer.from(step.token).toString('base64')}`;
      const connectionBefore = ch.connection;
      // The first leg starts a context from nothing (the server executes nothing on it): it may
      // go again on a fresh connection; a later leg belongs to its connection.
      // (Kerberos logs on in one leg: its first leg may execute the body.)
      const res = await this.raw(ch, headers, body, signal, leg === 0 && (body.length === 0 || idempotent || provider.mechanism !== 'kerberos'));
      if (leg > 0 && ch.connection !== connectionBefore) {
        throw new WsmanAuthError(`${this.url} closed the connection during the ${ctx.scheme} handshake`, 'ERR_AUTH_CONNECTION');
      }
      const challenge = parseWwwAuthenticate(res.headers['www-authenticate']).find((c) => sameScheme(c.scheme, ctx.scheme));
      if (res.status === 401) {
        if (!challenge?.token || step.done) throw this.refused(res, provider.mechanism);
        inToken = challenge.token;
        continue;
      }
      // The final answer may carry the server's last token (SPNEGO accept-completed with its
      // mechListMIC, Kerberos mutual authentication): the context must see it before sealing.
      if (challenge?.token) await stepOf(ctx, challenge.token);
      ch.ctx = ctx;
      ch.authedConnection = ch.connection;
      return res;
    }
    throw new WsmanAuthError(`the ${ctx.scheme} handshake with ${this.url} did not finish in ${MAX_AUTH_LEGS} legs`, 'ERR_AUTH_INCOMPLETE');
  }

  /** Refuse, before anything is sent, a password or unsealed authenticated traffic over plain HTTP (policy.ts). */
  private checkClear(mechanism: string, sealed: boolean, unsealedBecause?: string): void {
    checkUnencrypted({
      mechanism, https: this.https, sealed, allowUnencrypted: this.opts.allowUnencrypted === true, url: this.url,
      ...(unsealedBecause !== undefined ? { unsealedBecause } : {}),
    });
  }

  private refused(res: RawResult, mechanism: string): WsmanAuthError {
    const offer = offeredText(res.headers['www-authenticate']);
    const why = mechanism === 'certificate'
      ? 'the certificate is not mapped to a user there, or not trusted'
      : 'wrong user name or password, or the account may not log on there';
    return new WsmanAuthError(`${this.url} refused ${mechanism} authentication (HTTP 401: ${why})${offer}`, 'ERR_AUTH_REJECTED');
  }

  private finish(res: RawResult): TransportResponse {
    const out: TransportResponse = { status: res.status, headers: res.headers, body: res.body, url: this.url };
    const cs = charsetOf(header(res.headers, 'content-type'));
    if (cs !== undefined) out.charset = cs;
    return out;
  }

  /**
   * One POST on the channel. `repeatable`: the request is safe to send twice; when the server
   * closed or reset a reused connection before any byte of the answer (an idle keep-alive
   * connection it had dropped, or Openwsman's reset of the request after a 401), it goes again,
   * once, on a fresh connection. So does any request that follows a 401 on its connection: a
   * server that drops the connection after a 401 has not read what came next.
   */
  private async raw(ch: Channel, headers: Record<string, string>, body: Uint8Array, signal: Cancel, repeatable = false): Promise<RawResult> {
    if (this.cookies.size) headers = { ...headers, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const options: PostOptions = { origin: this.origin, path: this.path, method: 'POST', headers, body, headersTimeout: 0, bodyTimeout: 0 };
    const connectionBefore = ch.connection;
    const after401 = ch.after401;
    const progress = { started: false };
    let res: RawResult;
    try {
      res = await dispatchPost(ch.dispatcher, options, signal, this.url, progress);
    } catch (err) {
      const reused = ch.connection === connectionBefore && connectionBefore > 0;
      if (!(repeatable || after401) || !reused || progress.started || !isEarlyClose(err) || signal.aborted) throw err;
      res = await dispatchPost(ch.dispatcher, options, signal, this.url, progress);
    }
    ch.after401 = res.status === 401;
    this.keepCookies(res.headers['set-cookie']);
    return res;
  }

  private keepCookies(v: string | string[] | undefined): void {
    if (v === undefined) return;
    for (const c of Array.isArray(v) ? v : [v]) {
      const m = /^\s*([^=;\s]+)=([^;]*)/.exec(c);
      if (m?.[1] !== undefined && m[2] !== undefined) this.cookies.set(m[1], m[2]);
    }
  }

  /** Close every connection. */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.channels.splice(0);
    await Promise.all(all.map((c) => c.dispatcher.destroy(closedError()).catch(() => undefined)));
  }
}
