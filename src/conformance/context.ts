/**
 * What a check runs against: one endpoint, raw HTTP exchanges that are recorded for the report,
 * envelope building from the core, and cleanup of whatever the checks create.
 * Raw on purpose: the runner must send malformed and hostile requests a client never would.
 */
import { randomUUID } from 'node:crypto';
import { request, Agent } from 'undici';
import {
  type Body, type Headers, type Message, decodeMessage, encodeMessage, ResourceURI, Action, ANONYMOUS,
  WsmanError, normalizeMessageId,
} from '../core/index.js';
import type { Exchange } from './types.js';

export interface ConformanceOptions {
  /** Endpoint URL, e.g. http://127.0.0.1:5985/wsman. */
  url: string;
  username?: string;
  password?: string;
  /** Run checks that create shells and run commands. */
  destructive?: boolean;
  /** A command that is safe on the target (its output is checked). Default `echo`. */
  command?: string;
  /** Accept any server certificate (`-SkipCACheck`). */
  skipCACheck?: boolean;
  /** HTTP timeout per request in ms (default 60000). */
  timeoutMs?: number;
  /** Schema validation of response envelopes; returns the errors (empty when valid). */
  validate?: (xml: string) => Promise<string[]>;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The decoded envelope, when the body is one. */
  message?: Message;
  /** Why the body did not decode, when it did not. */
  decodeError?: WsmanError;
}

export interface RequestSpec {
  label: string;
  action?: string;
  resourceUri?: string;
  selectors?: Record<string, string>;
  body?: Body;
  /** Header overrides (set a field to undefined to leave it out). */
  headers?: Partial<Headers>;
}

export type Platform = 'windows' | 'posix';

/** Bytes of the recorded HTTP bodies kept per exchange (the HTML report stays readable). */
const KEEP_BODY = 64 * 1024;

export class ConformanceContext {
  readonly options: Required<Pick<ConformanceOptions, 'url' | 'destructive' | 'command' | 'timeoutMs'>> & ConformanceOptions;
  readonly sessionId = `uuid:${randomUUID().toUpperCase()}`;
  /** Exchanges of the check being run; the runner swaps it per check. */
  exchanges: Exchange[] = [];
  /** Responses that failed schema validation, for the schema check. */
  readonly schemaFailures: { label: string; errors: string[] }[] = [];
  validatedResponses = 0;
  private readonly agent: Agent;
  private readonly shells = new Map<string, string>();
  private platformCache: Platform | undefined;

  constructor(options: ConformanceOptions) {
    this.options = { destructive: false, command: 'echo', timeoutMs: 60_000, ...options };
    this.agent = new Agent({
      connect: { rejectUnauthorized: !options.skipCACheck },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
  }

  newMessageId(): string {
    return `uuid:${randomUUID().toUpperCase()}`;
  }

  private authorization(password?: string): string | undefined {
    const user = this.options.username;
    if (user === undefined) return undefined;
    const pw = password ?? this.options.password ?? '';
    return `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
  }

  /** POST a raw body. `auth: false` sends no credentials; `password` overrides the password. */
  async post(body: string | Buffer, opts: { label: string; auth?: boolean; password?: string; headers?: Record<string, string>; contentType?: string }): Promise<Reply> {
    const headers: Record<string, string> = {
      'content-type': opts.contentType ?? 'application/soap+xml;charset=UTF-8',
      'user-agent': 'wsman-conformance',
      ...opts.headers,
    };
    const auth = opts.auth === false ? undefined : this.authorization(opts.password);
    if (auth) headers.authorization = auth;
    const shown = { ...headers };
    if (shown.authorization) shown.authorization = shown.authorization.replace(/ .*/, ' (redacted)');
    const text = typeof body === 'string' ? body : body.subarray(0, KEEP_BODY).toString('utf8');
    const exchange: Exchange = { label: opts.label, request: { headers: shown, body: text.length > KEEP_BODY ? `${text.slice(0, KEEP_BODY)}… (${text.length} characters)` : text } };
    this.exchanges.push(exchange);
    try {
      const res = await request(this.options.url, { method: 'POST', headers, body, dispatcher: this.agent });
      const buf = Buffer.from(await res.body.arrayBuffer());
      const resHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      const reply: Reply = { status: res.statusCode, headers: resHeaders, body: buf.toString('utf8') };
      exchange.response = { status: reply.status, headers: resHeaders, body: reply.body.length > KEEP_BODY ? `${reply.body.slice(0, KEEP_BODY)}…` : reply.body };
      if (buf.length > 0 && /xml/i.test(resHeaders['content-type'] ?? 'xml')) {
        try {
          reply.message = decodeMessage(buf);
        } catch (err) {
          if (err instanceof WsmanError) reply.decodeError = err;
          else throw err;
        }
        if (this.options.validate && reply.message) {
          this.validatedResponses++;
          const errors = await this.options.validate(reply.body);
          if (errors.length) this.schemaFailures.push({ label: opts.label, errors });
        }
      }
      return reply;
    } catch (err) {
      exchange.error = (err as Error).message;
      throw err;
    }
  }

  /** Build a request envelope with the usual headers, then post it. */
  async send(spec: RequestSpec, postOpts?: { auth?: boolean; headers?: Record<string, string> }): Promise<Reply> {
    return this.post(this.build(spec), { label: spec.label, ...postOpts });
  }

  build(spec: RequestSpec): string {
    const headers: Headers = {
      to: this.options.url,
      replyTo: ANONYMOUS,
      action: spec.action,
      messageId: this.newMessageId(),
      resourceUri: spec.resourceUri ?? ResourceURI.Cmd,
      maxEnvelopeSize: 153600,
      operationTimeout: 20_000,
      locale: 'en-US',
      dataLocale: 'en-US',
      sessionId: this.sessionId,
      ...(spec.selectors ? { selectors: spec.selectors } : {}),
    };
    for (const [k, v] of Object.entries(spec.headers ?? {})) {
      if (v === undefined) delete (headers as Record<string, unknown>)[k];
      else (headers as Record<string, unknown>)[k] = v;
    }
    return encodeMessage({ headers, body: spec.body ?? { kind: 'Empty' } }, 'request');
  }

  /**
   * Windows or a POSIX host, asked of the shell itself: `echo %OS%` prints `Windows_NT` under cmd.exe
   * and `%OS%` under /bin/sh (Identify's vendor says nothing: non-Windows listeners present as Microsoft).
   */
  async platform(): Promise<Platform> {
    if (this.platformCache) return this.platformCache;
    const saved = this.exchanges;
    this.exchanges = [];
    this.platformCache = 'posix';
    try {
      const { shellId } = await this.createShell('platform probe');
      const c = await this.send({ label: 'probe', action: Action.Command, selectors: { ShellId: shellId }, body: { kind: 'CommandLine', command: 'echo %OS%', arguments: [] } });
      const cb = c.message?.body;
      for (let i = 0; cb?.kind === 'CommandResponse' && i < 20; i++) {
        const r = await this.send({ label: 'probe', action: Action.Receive, selectors: { ShellId: shellId }, body: { kind: 'Receive', commandId: cb.commandId, streams: ['stdout'] } });
        const b = r.message?.body;
        if (b?.kind !== 'ReceiveResponse' && !(b?.kind === 'Fault' && b.fault.subcode === 'w:TimedOut')) break;
        if (b?.kind === 'ReceiveResponse' && b.streams.some((s) => s.data.toString('utf8').includes('Windows_NT'))) this.platformCache = 'windows';
        if (b?.kind === 'ReceiveResponse' && b.commandState?.state === 'Done') break;
      }
      await this.send({ label: 'probe', action: Action.Delete, selectors: { ShellId: shellId } });
      this.forgetShell(shellId);
    } catch {
      // keep the POSIX guess
    } finally {
      this.exchanges = saved;
    }
    return this.platformCache;
  }

  /** A command that sleeps ~30 s without output. */
  async waitCommand(): Promise<string> {
    return (await this.platform()) === 'windows' ? 'ping -n 30 127.0.0.1 >NUL' : 'sleep 30';
  }

  /** A command writing `lines` numbered lines to stdout. */
  async bigOutputCommand(lines: number): Promise<string> {
    return (await this.platform()) === 'windows'
      ? `for /L %i in (1,1,${lines}) do @echo wsman-conformance-output-line-%i`
      : `i=1; while [ $i -le ${lines} ]; do echo wsman-conformance-output-line-$i; i=$((i+1)); done`;
  }

  /** Create a cmd shell (destructive checks only); it is deleted at the end of the run. */
  async createShell(label: string, extra?: { idleTimeOut?: number; name?: string; shellId?: string }): Promise<{ shellId: string; reply: Reply }> {
    const shellId = extra?.shellId ?? randomUUID().toUpperCase();
    const shell: Record<string, unknown> = { requestedShellId: shellId, inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] };
    if (extra?.idleTimeOut !== undefined) shell.idleTimeOut = extra.idleTimeOut;
    if (extra?.name !== undefined) shell.name = extra.name;
    const reply = await this.send({ label, action: Action.Create, body: { kind: 'Shell', shell } });
    const created = reply.message?.body;
    const id = created?.kind === 'ResourceCreated' ? (created.shell?.shellId ?? Object.values(created.selectors ?? {})[0]) : undefined;
    if (reply.status !== 200 || id === undefined) throw new WsmanError('ERR_CONFORMANCE', `shell Create failed (HTTP ${reply.status})`);
    this.shells.set(id.toUpperCase(), ResourceURI.Cmd);
    return { shellId: id, reply };
  }

  forgetShell(shellId: string): void {
    this.shells.delete(shellId.toUpperCase());
  }

  /** Delete every shell the checks created and did not delete. */
  async cleanup(): Promise<void> {
    this.exchanges = [];
    for (const [shellId, resourceUri] of this.shells) {
      await this.send({ label: 'cleanup', action: Action.Delete, resourceUri, selectors: { ShellId: shellId } }).catch(() => undefined);
    }
    this.shells.clear();
    await this.agent.close().catch(() => undefined);
  }
}

/** The request's MessageID and the reply's RelatesTo name the same message. */
export function relatesTo(requestXml: string, reply: Reply): boolean {
  const id = /MessageID[^>]*>([^<]+)</.exec(requestXml)?.[1];
  const rel = reply.message?.headers.relatesTo;
  return id !== undefined && rel !== undefined && normalizeMessageId(id) === normalizeMessageId(rel);
}
