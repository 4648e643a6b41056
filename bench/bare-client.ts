/**
 * The least a client can spend on `true` through our listener, for bench/client.bench.ts: the
 * same four requests as invokeCommand (Create, Command, Receive, Delete) as envelopes prepared
 * once, written straight to one keep-alive socket; the answers are only scanned for ShellId,
 * CommandId and the Done state. Its wall time over 100 commands is what the listener and the
 * process cost alone, the part every client pays: the floor under any client's ratio.
 */
import { connect, type Socket } from 'node:net';
import { Action, CommandStateURI, ResourceURI, encodeMessage, requestHeaders, type Body, type Headers } from '../src/core/index.js';

const HOLE_SHELL = '00000000-0000-4000-8000-00000000000A';
const HOLE_COMMAND = '00000000-0000-4000-8000-00000000000B';

export class BareClient {
  private socket: Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (body: string) => void; reject: (err: Error) => void } | undefined;
  private readonly url: URL;
  private readonly auth: string;
  private n = 0;
  private readonly templates: Record<'create' | 'command' | 'receive' | 'delete', string>;

  constructor(url: string, user: { username: string; password: string }) {
    this.url = new URL(url);
    this.auth = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
    const msg = (action: string, body: Body, shell: boolean): string => {
      const h: Headers = requestHeaders({ to: url, action, messageId: 'uuid:MESSAGE-ID', resourceUri: ResourceURI.Cmd, maxEnvelopeSize: 153600, operationTimeout: 20_000 });
      if (shell) h.selectors = { ShellId: HOLE_SHELL };
      return encodeMessage({ headers: h, body }, 'request');
    };
    this.templates = {
      create: msg(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }, false),
      command: msg(Action.Command, { kind: 'CommandLine', command: 'true', arguments: [] }, true),
      receive: msg(Action.Receive, { kind: 'Receive', commandId: HOLE_COMMAND, streams: ['stdout', 'stderr'] }, true),
      delete: msg(Action.Delete, { kind: 'Empty' }, true),
    };
  }

  private open(): Socket {
    if (this.socket) return this.socket;
    const s = connect(Number(this.url.port), this.url.hostname);
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + len);
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(body);
    });
    // A listener that goes away fails the bench rather than hanging it.
    const gone = (err?: Error): void => {
      this.socket = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(err ?? new Error('the listener closed the connection'));
    };
    s.on('error', gone);
    s.on('close', () => gone());
    this.socket = s;
    return s;
  }

  private post(template: string, shellId = '', commandId = ''): Promise<string> {
    const body = Buffer.from(template.replace('MESSAGE-ID', `00000000-0000-4000-8000-${(++this.n).toString(16).padStart(12, '0')}`)
      .replace(HOLE_SHELL, shellId).replace(HOLE_COMMAND, commandId));
    const s = this.open();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      s.write(`POST ${this.url.pathname} HTTP/1.1\r\nHost: ${this.url.host}\r\nAuthorization: ${this.auth}\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ${body.length}\r\n\r\n`);
      s.write(body);
    });
  }

  /** Create, Command, Receive until Done, Delete; returns the exit code. */
  async run(): Promise<number> {
    const created = await this.post(this.templates.create);
    const shellId = /Name="ShellId">([^<]+)</.exec(created)?.[1];
    if (!shellId) throw new Error(`bare client: no ShellId in ${created.slice(0, 300)}`);
    const started = await this.post(this.templates.command, shellId);
    const commandId = /CommandId>([^<]+)</.exec(started)?.[1];
    if (!commandId) throw new Error(`bare client: no CommandId in ${started.slice(0, 300)}`);
    let code: number | undefined;
    while (code === undefined) {
      const r = await this.post(this.templates.receive, shellId, commandId);
      if (r.includes(CommandStateURI.Done)) code = Number(/ExitCode>(\d+)</.exec(r)?.[1] ?? NaN);
      else if (!r.includes('ReceiveResponse')) throw new Error(`bare client: ${r.slice(0, 300)}`);
    }
    await this.post(this.templates.delete, shellId);
    return code;
  }

  close(): void {
    this.socket?.destroy();
  }
}
