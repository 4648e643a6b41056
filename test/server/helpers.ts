/** Loopback helpers for listener tests: start a listener on 127.0.0.1:0, post envelopes, build requests. */
import { request as httpRequest, Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  Action, ResourceURI, ANONYMOUS, encodeMessage, decodeMessage, type Body, type Headers, type Message,
} from '../../src/core/index.js';
import { WsmanListener, type ListenerOptions } from '../../src/server/listener.js';
import { UserStore, hashPassword } from '../../src/server/users.js';
import { createLogger } from '../../src/server/log.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { userInfo } from 'node:os';

// The listener's own account runs the test users' commands (as `--run-as alice=<that account>`):
// a root listener refuses users without a local account of their name (src/server/accounts.ts).
export const LISTENER_ACCOUNT = userInfo().username;

export interface TestListener {
  listener: WsmanListener;
  url: string;
  port: number;
  stop(): Promise<void>;
}

let cachedHash: string | undefined;
let cachedBob: string | undefined;

export async function startListener(opts: Partial<ListenerOptions> & { ntlm?: boolean } = {}): Promise<TestListener> {
  const users = new UserStore();
  cachedHash ??= await hashPassword('secret', 1024);
  cachedBob ??= await hashPassword('builder', 1024);
  users.add({ name: 'alice', hash: cachedHash, runAs: LISTENER_ACCOUNT, ...(opts.ntlm ? { ntHash: ntHash('secret') } : {}) });
  users.add({ name: 'bob', hash: cachedBob, runAs: LISTENER_ACCOUNT });
  const listener = new WsmanListener({
    users, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent'), sweepIntervalMs: 100, ...opts,
  });
  const [ep] = await listener.start();
  return { listener, url: ep!.url, port: ep!.port, stop: () => listener.stop() };
}

export const ALICE = 'Basic ' + Buffer.from('alice:secret').toString('base64');
export const BOB = 'Basic ' + Buffer.from('bob:builder').toString('base64');

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  raw: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** POST raw text; `auth` null sends no Authorization. */
export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, auth: string | null = ALICE, useAgent: Agent | false = agent): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const req = httpRequest({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: useAgent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(data.length), ...(auth ? { Authorization: auth } : {}), ...headers },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const raw = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

export function headersFor(action: string, resourceUri: string, extra: Partial<Headers> = {}): Headers {
  return {
    to: 'http://windows-host:5985/wsman', replyTo: ANONYMOUS, action, messageId: `uuid:${randomUUID()}`,
    resourceUri, maxEnvelopeSize: 153600, operationTimeout: 20000, locale: 'en-US', dataLocale: 'en-US', ...extra,
  };
}

export function envelope(action: string, body: Body, extra: Partial<Headers> = {}, resourceUri: string = ResourceURI.Cmd): string {
  return encodeMessage({ headers: headersFor(action, resourceUri, extra), body }, 'request');
}

/** Send a request and decode the answer. */
export async function call(url: string, action: string, body: Body, extra: Partial<Headers> = {}, resourceUri: string = ResourceURI.Cmd, auth = ALICE): Promise<{ status: number; msg: Message; raw: string; requestId: string }> {
  const headers = headersFor(action, resourceUri, extra);
  const xml = encodeMessage({ headers, body }, 'request');
  const r = await post(url, xml, {}, auth);
  if (!r.body) throw new Error(`empty answer, HTTP ${r.status}`);
  return { status: r.status, msg: decodeMessage(r.body), raw: r.body, requestId: headers.messageId! };
}

export function faultCode(m: Message): number | undefined {
  return m.body.kind === 'Fault' ? m.body.fault.wsmanCode : undefined;
}

/** A tiny shell client over `call`. */
export class TestShell {
  constructor(readonly url: string, readonly id: string, readonly auth = ALICE, readonly session?: string) {}

  static async create(url: string, shell: Record<string, unknown> = {}, extra: Partial<Headers> = {}, auth = ALICE): Promise<TestShell> {
    const r = await call(url, Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'], ...shell } }, extra, ResourceURI.Cmd, auth);
    if (r.msg.body.kind !== 'ResourceCreated') throw new Error(`create failed: ${r.raw}`);
    return new TestShell(url, r.msg.body.selectors!.ShellId!, auth, extra.sessionId);
  }

  private ex(extra: Partial<Headers> = {}): Partial<Headers> {
    return { selectors: { ShellId: this.id }, ...(this.session ? { sessionId: this.session } : {}), ...extra };
  }

  run(command: string, args: string[] = [], extra: Partial<Headers> = {}) {
    return call(this.url, Action.Command, { kind: 'CommandLine', command, arguments: args }, this.ex(extra), ResourceURI.Cmd, this.auth);
  }

  async start(command: string, args: string[] = [], extra: Partial<Headers> = {}): Promise<string> {
    const r = await this.run(command, args, extra);
    if (r.msg.body.kind !== 'CommandResponse') throw new Error(`command failed: ${r.raw}`);
    return r.msg.body.commandId;
  }

  receive(commandId: string, extra: Partial<Headers> = {}, sequenceId?: number) {
    return call(this.url, Action.Receive, { kind: 'Receive', commandId, streams: ['stdout', 'stderr'], ...(sequenceId !== undefined ? { sequenceId } : {}) }, this.ex(extra), ResourceURI.Cmd, this.auth);
  }

  send(commandId: string, data: string, end = false) {
    return call(this.url, Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId, data: Buffer.from(data), end }] }, this.ex(), ResourceURI.Cmd, this.auth);
  }

  signal(commandId: string, code: string) {
    return call(this.url, Action.Signal, { kind: 'Signal', commandId, code }, this.ex(), ResourceURI.Cmd, this.auth);
  }

  op(action: string, body: Body = { kind: 'Empty' }, extra: Partial<Headers> = {}) {
    return call(this.url, action, body, this.ex(extra), ResourceURI.Cmd, this.auth);
  }

  delete() {
    return call(this.url, Action.Delete, { kind: 'Empty' }, this.ex(), ResourceURI.Cmd, this.auth);
  }

  /** Receive until Done; returns stdout, stderr, exit code and the number of Receives. */
  async collect(commandId: string, extra: Partial<Headers> = {}): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number | undefined; receives: number; sizes: number[] }> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let receives = 0;
    const sizes: number[] = [];
    for (;;) {
      const r = await this.receive(commandId, extra);
      receives++;
      sizes.push(Buffer.byteLength(r.raw));
      if (r.msg.body.kind === 'Fault' && r.msg.body.fault.wsmanCode === 2150858793) continue;
      if (r.msg.body.kind !== 'ReceiveResponse') throw new Error(`receive failed: ${r.raw.slice(0, 500)}`);
      for (const s of r.msg.body.streams) (s.name === 'stdout' ? out : err).push(s.data);
      if (r.msg.body.commandState?.state === 'Done') {
        return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: r.msg.body.commandState.exitCode, receives, sizes };
      }
    }
  }
}

/** Whether a process runs (a zombie left to a non-reaping PID 1 counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
