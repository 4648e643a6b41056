/**
 * What a check runs against: one endpoint, raw HTTP exchanges that are recorded for the report,
 * envelope building from the core, and cleanup of whatever the checks create.
 * Raw on purpose: the runner must send malformed and hostile requests a client never would.
 */
import { randomUUID } from 'node:crypto';
import {
  type Body, type Headers, type Message, decodeMessage, encodeMessage, ResourceURI, Action, ANONYMOUS,
  WsmanError, WsmanAuthError, normalizeMessageId, peekMessageId,
} from '../core/index.js';
import { WsmanClient } from '../client/client.js';
import type { ClientOptions } from '../client/options.js';
import { HttpTransport } from '../transport/http.js';
import type { TransportResponse } from '../transport/types.js';
import { type Exchange, type Profile, SkipCheck } from './types.js';

/** How to log on and whom to trust: a client's options (New-PSSession's), without the endpoint. */
export type ConnectionSettings = Omit<ClientOptions, 'endpoint'>;

export interface ConformanceOptions {
  /** Endpoint URL, e.g. http://127.0.0.1:5985/wsman. */
  url: string;
  /** Credential, authentication mechanism, TLS trust: what `wsman run` takes (the shared connection options). */
  connection?: ConnectionSettings;
  /** Shorthand for `connection: { credential }` (authentication as `connection` says, default Negotiate). */
  username?: string;
  password?: string;
  /** Run checks that create shells and run commands. */
  destructive?: boolean;
  /** A command that is safe on the target (its output is checked). Default `echo`. */
  command?: string;
  /** Shorthand for `connection.skipCACheck` (`-SkipCACheck`). */
  skipCACheck?: boolean;
  /** HTTP timeout per request in ms (default 60000). */
  timeoutMs?: number;
  /** Schema validation of response envelopes; returns the errors (empty when valid). */
  validate?: (xml: string) => Promise<string[]>;
  /** Which rules to judge by; by default chosen from Identify's ProductVendor (Microsoft: `winrm`). */
  profile?: Profile;
  /** A resource the endpoint serves, for the checks that need one (default: the shell resource under `winrm`, else discovered). */
  resourceUri?: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The decoded envelope, when the body is one. */
  message?: Message;
  /** Why the body did not decode, when it did not. */
  decodeError?: WsmanError;
  /** The transport's words when the logon was refused (the reply is then a bare 401). */
  refused?: string;
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

/** An Identify, as every WS-Management endpoint must answer it (DSP0226 §11). */
export const IDENTIFY_XML = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';

/** Resources tried, in order, when a non-Windows endpoint is tested without --resource-uri. */
const DISCOVERY_CANDIDATES = [
  'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem',
  'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_OperatingSystem',
  'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Processor',
  'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_OperatingSystem',
];

function offered(r: Reply): string {
  const h = r.headers['www-authenticate'];
  const schemes = h ? [...new Set(h.split(/,\s*(?=[A-Za-z][\w-]*(?:\s|$))/).map((s) => s.trim().split(/\s/)[0] ?? '').filter(Boolean))] : [];
  return schemes.length ? ` (it offers ${schemes.join(', ')})` : '';
}

/** Bytes of the recorded HTTP bodies kept per exchange (the HTML report stays readable). */
const KEEP_BODY = 64 * 1024;
/** Response envelopes kept for the schema check (a run sends a few hundred requests). */
const MAX_UNVALIDATED = 5000;

/** Fault subcodes that mean "this endpoint does not serve that resource", not "this rule is broken". */
const RESOURCE_MISSING = new Set(['w:DestinationUnreachable', 'w:InvalidResourceURI']);

export class ConformanceContext {
  readonly options: Required<Pick<ConformanceOptions, 'url' | 'destructive' | 'command' | 'timeoutMs'>> & ConformanceOptions;
  readonly sessionId = `uuid:${randomUUID().toUpperCase()}`;
  /** Exchanges of the check being run; the runner swaps it per check. */
  exchanges: Exchange[] = [];
  /** Responses that failed schema validation, for the schema check. */
  readonly schemaFailures: { label: string; errors: string[] }[] = [];
  validatedResponses = 0;
  /** Response envelopes kept for validation: all of them are validated at once, at the end. */
  private readonly unvalidated: { label: string; xml: string }[] = [];
  /** The rules the endpoint is judged by (settled by `prepare`). */
  profile: Profile = 'winrm';
  /** What Identify said, when it answered (`prepare`). */
  vendor: string | undefined;
  /** Whether credentials (or a client certificate) were given. */
  readonly authenticated: boolean;
  private readonly connection: ConnectionSettings;
  private readonly client: WsmanClient;
  private readonly anonymous: HttpTransport;
  private wrongClient: WsmanClient | undefined;
  private resource: string | undefined;
  private readonly shells = new Map<string, string>();
  private platformCache: Platform | undefined;

  constructor(options: ConformanceOptions) {
    this.options = { destructive: false, command: 'echo', timeoutMs: 60_000, ...options };
    const c: ConnectionSettings = { ...options.connection };
    if (options.username !== undefined && c.credential === undefined) c.credential = { username: options.username, password: options.password ?? '' };
    if (options.skipCACheck) c.skipCACheck = true;
    this.connection = c;
    this.authenticated = c.credential !== undefined || c.clientCertificate !== undefined;
    this.client = new WsmanClient({ ...c, endpoint: { connectionUri: options.url } });
    // Unauthenticated requests get their own connections: a connection-bound logon (NTLM) would
    // otherwise vouch for them.
    this.anonymous = new HttpTransport({
      url: this.client.url,
      auth: { kind: 'none' },
      tls: {
        ...(c.skipCACheck ? { skipCACheck: true } : {}),
        ...(c.skipCNCheck ? { skipCNCheck: true } : {}),
        ...(c.serverThumbprint !== undefined ? { serverThumbprint: c.serverThumbprint } : {}),
        ...(c.caFile !== undefined ? { caFile: c.caFile } : {}),
      },
      proxy: c.proxy ?? 'environment',
      connectTimeoutMs: Math.min(this.options.timeoutMs, 60_000),
      userAgent: 'wsman-conformance',
    });
  }

  /** The mechanism the authenticated requests use (`basic`, `ntlm`, … once chosen). */
  get mechanism(): string {
    return this.client.transport.mechanism;
  }

  newMessageId(): string {
    return `uuid:${randomUUID().toUpperCase()}`;
  }

  /**
   * Before any check: reach the endpoint and log on once. Whatever fails here is the user's setup
   * (no route, an untrusted certificate, missing or wrong credentials), not an endpoint defect, so
   * it is thrown as the typed error `wsman run` would give rather than reported as failed checks.
   * Then the profile and the resource to test with are settled.
   */
  async prepare(): Promise<void> {
    const saved = this.exchanges;
    this.exchanges = [];
    try {
      await this.post(IDENTIFY_XML, { label: 'preflight', auth: false, headers: { WSMANIDENTIFY: 'unauthenticated' } });
      const r = await this.post(IDENTIFY_XML, { label: 'preflight', throwOnRefusal: true });
      if (r.status === 401) {
        throw new WsmanAuthError(`${this.client.url} requires authentication${offered(r)}`, 'ERR_AUTH_REQUIRED');
      }
      const b = r.message?.body;
      if (b?.kind === 'IdentifyResponse') this.vendor = b.productVendor;
      this.profile = this.options.profile ?? (this.vendor !== undefined && /microsoft/i.test(this.vendor) ? 'winrm' : 'dsp0226');
      this.resource = this.options.resourceUri ?? (this.profile === 'winrm' ? ResourceURI.Shell : await this.discoverResource());
    } finally {
      this.exchanges = saved;
    }
  }

  /** The first of a few common CIM classes that the endpoint enumerates. */
  private async discoverResource(): Promise<string | undefined> {
    for (const uri of DISCOVERY_CANDIDATES) {
      const r = await this.send({ label: 'discovery', action: Action.Enumerate, resourceUri: uri, body: { kind: 'Enumerate', optimize: true, maxElements: 1 } }).catch(() => undefined);
      if (r?.status === 200 && r.message?.body.kind === 'EnumerateResponse') return uri;
    }
    return undefined;
  }

  /** The resource the harmless checks enumerate; a check without one is skipped, saying why. */
  get resourceUri(): string {
    if (this.resource === undefined) {
      throw new SkipCheck('no resource to test with: none of the common CIM classes answered; name one with --resource-uri');
    }
    return this.resource;
  }

  /** The resource in use, if any (for the report). */
  get resourceUriOrUndefined(): string | undefined {
    return this.resource;
  }

  /** True when a reply says the endpoint does not serve the resource asked for. */
  static resourceMissing(subcode: string | undefined): boolean {
    return subcode !== undefined && RESOURCE_MISSING.has(subcode);
  }

  /**
   * POST a raw body. `auth: false` sends no credentials (on connections of its own); `password`
   * logs on with that password instead. A refused logon is answered as the 401 it was, unless
   * `throwOnRefusal`.
   */
  async post(body: string | Buffer, opts: { label: string; auth?: boolean; password?: string; headers?: Record<string, string>; contentType?: string; throwOnRefusal?: boolean }): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
    const text = typeof body === 'string' ? body : body.subarray(0, KEEP_BODY).toString('utf8');
    const shown = { ...headers };
    const exchange: Exchange = { label: opts.label, request: { headers: shown, body: text.length > KEEP_BODY ? `${text.slice(0, KEEP_BODY)}… (${text.length} characters)` : text } };
    this.exchanges.push(exchange);
    let res: TransportResponse;
    try {
      const transport = opts.auth === false ? this.anonymous
        : opts.password !== undefined ? this.withPassword(opts.password).transport : this.client.transport;
      res = await transport.send({ body, headers, timeoutMs: this.options.timeoutMs });
    } catch (err) {
      exchange.error = (err as Error).message;
      if (err instanceof WsmanAuthError && err.code === 'ERR_AUTH_REJECTED' && !opts.throwOnRefusal) {
        exchange.response = { status: 401, headers: {}, body: '' };
        return { status: 401, headers: {}, body: '', refused: err.message };
      }
      throw err;
    }
    const resHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    const reply: Reply = { status: res.status, headers: resHeaders, body: res.body.toString('utf8') };
    exchange.response = { status: reply.status, headers: resHeaders, body: reply.body.length > KEEP_BODY ? `${reply.body.slice(0, KEEP_BODY)}…` : reply.body };
    if (res.body.length > 0 && /xml/i.test(resHeaders['content-type'] ?? 'xml')) {
      try {
        reply.message = decodeMessage(res.body);
      } catch (err) {
        if (err instanceof WsmanError) reply.decodeError = err;
        else throw err;
      }
      const f = reply.message?.body;
      if (f?.kind === 'Fault' && f.fault.subcode !== undefined) exchange.response.subcode = f.fault.subcode;
      if (this.options.validate && reply.message && this.unvalidated.length < MAX_UNVALIDATED) this.unvalidated.push({ label: opts.label, xml: reply.body });
    }
    return reply;
  }

  /**
   * Validate every response envelope kept so far. One batch: each validation run costs a worker and
   * a schema compile, so validating as the answers come would cost more than the checks themselves.
   */
  async validateResponses(): Promise<void> {
    const validate = this.options.validate;
    if (!validate) return;
    const batch = this.unvalidated.splice(0);
    const results = await Promise.all(batch.map((r) => validate(r.xml)));
    batch.forEach((r, i) => {
      this.validatedResponses++;
      const errors = results[i] ?? [];
      if (errors.length) this.schemaFailures.push({ label: r.label, errors });
    });
  }

  /** A second client that logs on with another password (the wrong-password check). */
  private withPassword(password: string): WsmanClient {
    const cred = this.connection.credential;
    if (!this.wrongClient) {
      this.wrongClient = new WsmanClient({ ...this.connection, ...(cred ? { credential: { ...cred, password } } : {}), endpoint: { connectionUri: this.options.url } });
    }
    return this.wrongClient;
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

  /** A shell of another resource (PowerShell) that cleanup must delete if the check does not. */
  trackShell(shellId: string, resourceUri: string): void {
    this.shells.set(shellId.toUpperCase(), resourceUri);
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
    await Promise.all([this.client.close(), this.anonymous.close(), this.wrongClient?.close()].map((p) => p?.catch(() => undefined)));
  }
}

/** The request's MessageID and the reply's RelatesTo name the same message. */
export function relatesTo(requestXml: string, reply: Reply): boolean {
  const id = peekMessageId(requestXml);
  const rel = reply.message?.headers.relatesTo;
  return id !== undefined && rel !== undefined && normalizeMessageId(id) === normalizeMessageId(rel);
}
