/**
 * WsmanClient: one endpoint, generic WS-Management operations (DSP0226 §7–8, §11) over the HTTP
 * transport. Every request gets a fresh MessageID; every answer must relate to it (protocol.md
 * §1.4); SOAP faults become WsmanFaultError.
 */
import { randomUUID } from 'node:crypto';
import { Action, ResourceURI, ANONYMOUS } from '../core/namespaces.js';
import { WsmanAuthError, WsmanError, WsmanFaultError, WsmanProtocolError, WsmanCode } from '../core/errors.js';
import { sameMessageId } from '../core/duration.js';
import { type Headers, type WsmanOption } from '../core/envelope.js';
import { type XNode } from '../core/xml.js';
import { type Body, type Message, decodeMessage, encodeMessage, encodeBody } from '../core/messages/index.js';
import { encodeEnvelope } from '../core/envelope.js';
import { configNumber } from '../core/messages/transfer.js';
import type { EnumerationItem, IdentifyResponseBody } from '../core/messages/index.js';
import { HttpTransport } from '../transport/http.js';
import { selectAuth, offeredText } from '../transport/auth.js';
import { isDowngrade } from '../auth/policy.js';
import type { TransportResponse } from '../transport/types.js';
import { type ClientOptions, DEFAULTS, endpointUrl, computerNameOf } from './options.js';

/** ERROR_WSMAN_MAX_ENVELOPE_SIZE: the requested MaxEnvelopeSize is larger than the server allows. */
const MAX_ENVELOPE_SIZE_CODE = 2150858823;

/** Per-call options of a request. */
export interface RequestOptions {
  resourceUri?: string;
  selectors?: Record<string, string>;
  options?: WsmanOption[];
  /** OperationTimeout for this request in ms (default: the session's). */
  operationTimeout?: number;
  signal?: AbortSignal;
  /** Extra HTTP headers. */
  httpHeaders?: Record<string, string>;
  /** Skip authentication (Identify with `WSMANIDENTIFY: unauthenticated`). */
  unauthenticated?: boolean;
  /** Extra SOAP headers beyond the standard ones (e.g. compressionType). */
  headers?: Partial<Headers>;
}

/** A new WS-Addressing MessageID, as Windows writes them. */
export function newMessageId(): string {
  return `uuid:${randomUUID().toUpperCase()}`;
}

/** A raw answer, for callers that handle HTTP statuses themselves (redirects). */
export interface RawExchange {
  messageId: string;
  response: TransportResponse;
}

/** Operations that change nothing on the server: safe to send again after a reset connection. */
const REPEATABLE: ReadonlySet<string> = new Set([Action.Get, Action.Enumerate, Action.Pull]);

/**
 * A WS-Management client for one endpoint. PowerShell: the WSMan session behind New-PSSession,
 * Test-WSMan, Get-WSManInstance, Set-WSManInstance, New-WSManInstance, Remove-WSManInstance,
 * Invoke-WSManAction.
 */
export class WsmanClient {
  readonly options: ClientOptions;
  readonly url: string;
  /** PSComputerName. */
  readonly computerName: string;
  /** `p:SessionId`, one per client (Windows uses it to recognise this client on Reconnect). */
  readonly sessionId: string;
  readonly transport: HttpTransport;
  private envelopeSize: number;
  private prepared = false;

  constructor(options: ClientOptions, url?: string) {
    this.options = options;
    this.url = url ?? endpointUrl(options.endpoint);
    this.computerName = url ? new URL(url).hostname : computerNameOf(options.endpoint);
    this.sessionId = `uuid:${randomUUID().toUpperCase()}`;
    const target = new URL(this.url);
    const https = target.protocol === 'https:';
    const auth = selectAuth({
      https,
      host: target.hostname,
      hasClientCertificate: options.clientCertificate !== undefined,
      ...(options.authentication !== undefined ? { authentication: options.authentication } : {}),
      ...(options.credential !== undefined ? { credential: options.credential } : {}),
      ...(options.noEncryption !== undefined ? { noEncryption: options.noEncryption } : {}),
    });
    const tls = {
      ...(options.skipCACheck ? { skipCACheck: true } : {}),
      ...(options.skipCNCheck ? { skipCNCheck: true } : {}),
      ...(options.serverThumbprint !== undefined ? { serverThumbprint: options.serverThumbprint } : {}),
      ...(options.caFile !== undefined ? { caFile: options.caFile } : {}),
      ...(options.clientCertificate !== undefined ? { clientCert: options.clientCertificate } : {}),
    };
    this.transport = new HttpTransport({
      url: this.url,
      auth,
      tls,
      proxy: options.proxy ?? 'environment',
      connectTimeoutMs: Math.min(options.openTimeout ?? DEFAULTS.openTimeout, 60_000),
      userAgent: options.userAgent ?? DEFAULTS.userAgent,
      allowUnencrypted: options.allowUnencrypted === true,
      ...(options.env !== undefined ? { env: options.env } : {}),
    });
    const mes = options.maxEnvelopeSize;
    this.envelopeSize = typeof mes === 'number' ? mes : DEFAULTS.maxEnvelopeSize;
  }

  /**
   * A client for another URL with the same options and credentials (redirects). From https:// to
   * http:// AllowUnencrypted is dropped: no password or unsealed traffic follows a downgrade.
   */
  withUrl(url: string): WsmanClient {
    return new WsmanClient(isDowngrade(this.url, url) ? { ...this.options, allowUnencrypted: false } : this.options, url);
  }

  /** The MaxEnvelopeSize we send, in bytes. */
  get maxEnvelopeSize(): number {
    return this.envelopeSize;
  }

  get operationTimeout(): number {
    return this.options.operationTimeout ?? DEFAULTS.operationTimeout;
  }

  /**
   * The OperationTimeout header of a request: the session's (or the call's), at most Windows'
   * default MaxTimeoutms (60 s), which is the ceiling a server applies.
   */
  private wireTimeout(opts: RequestOptions): number {
    return Math.min(opts.operationTimeout ?? this.operationTimeout, DEFAULTS.maxWireTimeout);
  }

  /** Build request headers the way Windows' client does. */
  requestHeaders(action: string | undefined, messageId: string, opts: RequestOptions): Headers {
    const h: Headers = {
      to: this.url,
      replyTo: ANONYMOUS,
      messageId,
      maxEnvelopeSize: this.envelopeSize,
      operationTimeout: this.wireTimeout(opts),
      locale: this.options.uiCulture ?? DEFAULTS.uiCulture,
      dataLocale: this.options.culture ?? DEFAULTS.culture,
      sessionId: this.sessionId,
      ...opts.headers,
    };
    if (action !== undefined) h.action = action;
    if (opts.resourceUri !== undefined) h.resourceUri = opts.resourceUri;
    if (opts.selectors) h.selectors = opts.selectors;
    if (opts.options?.length) h.options = opts.options;
    return h;
  }

  /** Send one envelope; return the raw HTTP answer (no status handling). */
  async exchange(action: string | undefined, body: readonly XNode[], opts: RequestOptions = {}): Promise<RawExchange> {
    const messageId = newMessageId();
    return this.exchangeXml(action, messageId, encodeEnvelope(this.requestHeaders(action, messageId, opts), body, 'request'), opts);
  }

  /**
   * Send an envelope already written (by `requestHeaders` with `messageId`, and the same `opts`):
   * the Receive loop fills in a template instead of building each Receive anew.
   */
  async exchangeXml(action: string | undefined, messageId: string, xml: string, opts: RequestOptions = {}): Promise<RawExchange> {
    const timeout = this.wireTimeout(opts) + DEFAULTS.httpMargin;
    const response = await this.transport.send({
      body: xml,
      timeoutMs: timeout,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.httpHeaders ? { headers: opts.httpHeaders } : {}),
      ...(opts.unauthenticated ? { unauthenticated: true } : {}),
      ...(action !== undefined && REPEATABLE.has(action) ? { idempotent: true } : {}),
    });
    return { messageId, response };
  }

  /** Decode an answer: check the status, RelatesTo, and turn a fault into WsmanFaultError. */
  decode(ex: RawExchange): Message {
    const { response } = ex;
    const ct = String(response.headers['content-type'] ?? '');
    if (response.status >= 300 && response.status < 400) {
      const loc = response.headers.location;
      throw new WsmanError('ERR_UNEXPECTED_REDIRECT',
        `${response.url} answered HTTP ${response.status} (redirect to ${String(loc ?? '?')}); redirects are followed only for shell creation`);
    }
    if (response.status === 413) {
      throw new WsmanProtocolError('ERR_REQUEST_TOO_LARGE', `${response.url} refused the request as too large (HTTP 413)`, { wsmanCode: 2150859025 });
    }
    if (response.status === 401) {
      throw new WsmanAuthError(`${response.url} requires authentication (HTTP 401${offeredText(response.headers['www-authenticate'])}): give a credential`, 'ERR_AUTH_REQUIRED');
    }
    if (response.body.length === 0 || !/xml/i.test(ct)) {
      const hint = response.status === 404
        ? 'no WS-Management endpoint at that path (WinRM\'s is /wsman)'
        : `${response.body.length === 0 ? 'an empty body' : ct ? `a body of type ${ct.split(';')[0]!.trim()}` : 'a body without a type'}, not a SOAP envelope: is it a WS-Management endpoint?`;
      throw new WsmanProtocolError('ERR_HTTP_STATUS', `${response.url} answered HTTP ${response.status}: ${hint}`,
        { wsmanCode: WsmanCode.InvalidSoapBody });
    }
    const msg = decodeMessage(response.body, undefined, response.charset);
    if (msg.headers.relatesTo !== undefined && !sameMessageId(msg.headers.relatesTo, ex.messageId)) {
      throw new WsmanProtocolError('ERR_RELATES_TO', `the answer relates to ${msg.headers.relatesTo}, not to our request ${ex.messageId}`,
        { wsmanCode: WsmanCode.InvalidMessageInformationHeader });
    }
    if (msg.body.kind === 'Fault') throw new WsmanFaultError(msg.body.fault);
    if (response.status !== 200) {
      throw new WsmanProtocolError('ERR_HTTP_STATUS', `${response.url} answered HTTP ${response.status}`, { wsmanCode: WsmanCode.InvalidSoapBody });
    }
    return msg;
  }

  /** Send a request and decode its answer. */
  async request(action: string | undefined, body: readonly XNode[], opts: RequestOptions = {}): Promise<Message> {
    try {
      return this.decode(await this.exchange(action, body, opts));
    } catch (err) {
      if (!this.shrinkEnvelope(err)) throw err;
      return this.decode(await this.exchange(action, body, opts));
    }
  }

  /**
   * When the server refuses our MaxEnvelopeSize (a value above its MaxEnvelopeSizekb), fall back
   * to 153600, which every Windows version honours. True when the request should be sent again.
   */
  shrinkEnvelope(err: unknown): boolean {
    const refused = err instanceof WsmanFaultError &&
      (err.wsmanCode === MAX_ENVELOPE_SIZE_CODE || (err.subcode === 'w:EncodingLimit' && /MaxEnvelopeSize/i.test(`${err.wsmanMessage ?? ''} ${err.reason ?? ''}`)));
    if (!refused || this.envelopeSize <= DEFAULTS.maxEnvelopeSize) return false;
    this.envelopeSize = DEFAULTS.maxEnvelopeSize;
    return true;
  }

  /** Send a typed body. */
  async send(action: string | undefined, body: Body, opts: RequestOptions = {}): Promise<Message> {
    return this.request(action, encodeBody(body), opts);
  }

  /** Test-WSMan: Identify (unauthenticated adds the `WSMANIDENTIFY: unauthenticated` header). */
  async identify(opts: { unauthenticated?: boolean; signal?: AbortSignal } = {}): Promise<IdentifyResponseBody> {
    const req: RequestOptions = opts.signal ? { signal: opts.signal } : {};
    if (opts.unauthenticated) {
      req.unauthenticated = true;
      req.httpHeaders = { WSMANIDENTIFY: 'unauthenticated' };
    }
    const messageId = `uuid:${randomUUID().toUpperCase()}`;
    // Identify has no WS-Addressing headers at all (protocol.md §2).
    const xml = encodeMessage({ headers: {}, body: { kind: 'Identify' } }, 'request');
    const response = await this.transport.send({
      body: xml,
      timeoutMs: this.wireTimeout({}) + DEFAULTS.httpMargin,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.httpHeaders ? { headers: req.httpHeaders } : {}),
      ...(req.unauthenticated ? { unauthenticated: true } : {}),
      idempotent: true,
    });
    const msg = this.decode({ messageId, response });
    if (msg.body.kind !== 'IdentifyResponse') throw unexpected('IdentifyResponse', msg);
    return msg.body;
  }

  /** Get-WSManInstance: WS-Transfer Get. */
  async get(resourceUri: string, opts: Omit<RequestOptions, 'resourceUri'> = {}): Promise<Message> {
    return this.request(Action.Get, [], { ...opts, resourceUri });
  }

  /** Set-WSManInstance: WS-Transfer Put with a new representation. */
  async put(resourceUri: string, body: readonly XNode[], opts: Omit<RequestOptions, 'resourceUri'> = {}): Promise<Message> {
    return this.request(Action.Put, body, { ...opts, resourceUri });
  }

  /** New-WSManInstance: WS-Transfer Create. */
  async create(resourceUri: string, body: readonly XNode[], opts: Omit<RequestOptions, 'resourceUri'> = {}): Promise<Message> {
    return this.request(Action.Create, body, { ...opts, resourceUri });
  }

  /** Remove-WSManInstance: WS-Transfer Delete. */
  async delete(resourceUri: string, opts: Omit<RequestOptions, 'resourceUri'> = {}): Promise<Message> {
    return this.request(Action.Delete, [], { ...opts, resourceUri });
  }

  /** Invoke-WSManAction: any action URI with any body. */
  async invoke(action: string, resourceUri: string, body: readonly XNode[], opts: Omit<RequestOptions, 'resourceUri'> = {}): Promise<Message> {
    return this.request(action, body, { ...opts, resourceUri });
  }

  /**
   * Get-WSManInstance -Enumerate: Enumerate (optimized) then Pull until EndOfSequence; yields
   * each item. Breaking out early sends Release.
   */
  async *enumerate(resourceUri: string, opts: Omit<RequestOptions, 'resourceUri'> & {
    filterSelectors?: Record<string, string>; filterDialect?: string; maxElements?: number;
  } = {}): AsyncGenerator<EnumerationItem> {
    const { filterSelectors, filterDialect, maxElements, ...req } = opts;
    const first = await this.send(Action.Enumerate, {
      kind: 'Enumerate', optimize: true, maxElements: maxElements ?? 32000,
      ...(filterSelectors ? { filterSelectors, filterDialect: filterDialect ?? 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter' } : {}),
    }, { ...req, resourceUri });
    if (first.body.kind !== 'EnumerateResponse') throw unexpected('EnumerateResponse', first);
    let context: string | undefined = first.body.context;
    let end = first.body.endOfSequence === true;
    let finished = false;
    try {
      for (const item of first.body.items ?? []) yield item;
      while (!end && context) {
        const pulled = await this.send(Action.Pull, { kind: 'Pull', context, maxElements: maxElements ?? 32000 }, { ...req, resourceUri });
        if (pulled.body.kind !== 'PullResponse') throw unexpected('PullResponse', pulled);
        if (pulled.body.context !== undefined) context = pulled.body.context;
        end = pulled.body.endOfSequence === true;
        for (const item of pulled.body.items) yield item;
      }
      finished = true;
    } finally {
      if (!finished && !end && context) {
        await this.send(Action.Release, { kind: 'Release', context }, { ...req, resourceUri }).catch(() => undefined);
      }
    }
  }

  /**
   * Read the server's MaxEnvelopeSizekb (`winrm get winrm/config`) and use it for later requests.
   * Needs administrator rights on Windows; when refused, keeps 153600 and returns it.
   */
  async negotiateEnvelopeSize(signal?: AbortSignal): Promise<number> {
    try {
      const msg = await this.get(ResourceURI.Config, signal ? { signal } : {});
      const kb = msg.body.kind === 'Config' ? configNumber(msg.body.config, 'MaxEnvelopeSizekb') : undefined;
      if (kb !== undefined && kb >= 8) this.envelopeSize = kb * 1024;
    } catch (err) {
      if (!(err instanceof WsmanFaultError)) throw err;
      this.envelopeSize = Math.min(this.envelopeSize, DEFAULTS.maxEnvelopeSize);
    }
    return this.envelopeSize;
  }

  /** Apply the maxEnvelopeSize option ('auto' reads the server's value once). */
  async prepare(signal?: AbortSignal): Promise<void> {
    if (this.options.maxEnvelopeSize === 'auto' && !this.prepared) {
      this.prepared = true;
      await this.negotiateEnvelopeSize(signal);
    }
  }

  /** Close the client's connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** A body of the wrong kind. */
export function unexpected(wanted: string, msg: Message): WsmanProtocolError {
  return new WsmanProtocolError('ERR_UNEXPECTED_BODY', `expected ${wanted}, got ${msg.body.kind} (${msg.headers.action ?? 'no action'})`,
    { wsmanCode: WsmanCode.InvalidSoapBody });
}
