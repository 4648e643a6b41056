/**
 * Sealing bench (issue 6): Receive throughput of a large stdout through the listener over plain HTTP
 * with NTLM message encryption (Negotiate, every request and response sealed) against Basic over
 * plain HTTP (--allow-unencrypted), same listener, same run, same client loop. The client is raw
 * node:http on one keep-alive connection: it seals each Receive and unseals each answer with
 * src/auth (as our transport and pywinrm do) and counts stdout bytes without parsing the XML, so
 * the difference is the cost of sealing on both ends. Target: ratio ≥ 0.5.
 */
import { userInfo } from 'node:os';
import { request, Agent } from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Action, ResourceURI, encodeMessage, type Body, type Headers } from '../src/core/index.js';
import { WsmanListener } from '../src/server/listener.js';
import { UserStore, hashPassword } from '../src/server/users.js';
import { createLogger } from '../src/server/log.js';
import { defaultConfig } from '../src/server/config.js';
import { NegotiateClientContext } from '../src/auth/negotiate.js';
import { ntHash, sealBody, unsealBody } from '../src/auth/index.js';
import type { BenchResult } from './types.js';


const SIZE = 128 * 1024 * 1024;
const MAX_ENVELOPE = 512000;
const SOAP = 'application/soap+xml;charset=UTF-8';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function post(agent: Agent, url: URL, body: Uint8Array, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': SOAP, 'Content-Length': body.length, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parts.length === 1 ? parts[0]! : Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function envelope(action: string, body: Body, extra: Partial<Headers> = {}): Buffer {
  return Buffer.from(encodeMessage({ headers: {
    to: 'http://x/wsman', replyTo: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', action,
    messageId: `uuid:${crypto.randomUUID()}`, resourceUri: ResourceURI.Cmd, maxEnvelopeSize: MAX_ENVELOPE, operationTimeout: 20000, ...extra,
  }, body }, 'request'));
}

/** One authenticated connection: Basic (a header on each request) or Negotiate (sealed bodies). */
interface Channel {
  exchange(body: Buffer): Promise<Buffer>;
  close(): void;
}

function basicChannel(url: URL): Channel {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const auth = 'Basic ' + Buffer.from('bench:bench').toString('base64');
  return {
    async exchange(body) {
      const r = await post(agent, url, body, { Authorization: auth });
      if (r.status !== 200 && r.status !== 500) throw new Error(`HTTP ${r.status}`);
      return r.body;
    },
    close: () => agent.destroy(),
  };
}

async function negotiateChannel(url: URL): Promise<Channel> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ctx = new NegotiateClientContext({ username: 'bench', password: 'bench' });
  const token = (h: string | string[] | undefined): Buffer => {
    const v = (Array.isArray(h) ? h : [h ?? '']).find((x) => x.startsWith('Negotiate '));
    return Buffer.from(v?.slice(10) ?? '', 'base64');
  };
  let leg = ctx.step();
  for (;;) {
    const r = await post(agent, url, Buffer.alloc(0), { Authorization: `Negotiate ${Buffer.from(leg.token!).toString('base64')}` });
    if (r.status === 200) {
      const last = token(r.headers['www-authenticate']);
      if (last.length) ctx.step(last);
      break;
    }
    if (r.status !== 401) throw new Error(`handshake: HTTP ${r.status}`);
    leg = ctx.step(token(r.headers['www-authenticate']));
  }
  return {
    async exchange(body) {
      const sealed = sealBody(ctx, body);
      const r = await post(agent, url, sealed.body, { 'Content-Type': sealed.contentType });
      if (r.status !== 200 && r.status !== 500) throw new Error(`HTTP ${r.status}`);
      const p = unsealBody(ctx, r.body).plaintext;
      return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    },
    close: () => agent.destroy(),
  };
}

const OPEN = Buffer.from('<rsp:Stream Name="stdout"');
const DONE = Buffer.from('CommandState/Done');

/** Run `head -c SIZE /dev/zero` and Receive it all; returns MB/s of stdout. */
async function throughput(ch: Channel): Promise<number> {
  const created = (await ch.exchange(envelope(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }))).toString();
  const shellId = /<w:Selector Name="ShellId">([^<]+)</.exec(created)?.[1];
  if (!shellId) throw new Error(`create failed: ${created.slice(0, 200)}`);
  const cmd = (await ch.exchange(envelope(Action.Command, { kind: 'CommandLine', command: `head -c ${SIZE} /dev/zero`, arguments: [] }, { selectors: { ShellId: shellId } }))).toString();
  const commandId = /<rsp:CommandId>([^<]+)</.exec(cmd)?.[1];
  if (!commandId) throw new Error('command failed');
  const t0 = performance.now();
  let bytes = 0;
  for (;;) {
    const body = await ch.exchange(envelope(Action.Receive, { kind: 'Receive', commandId, streams: ['stdout', 'stderr'] }, { selectors: { ShellId: shellId } }));
    let at = 0;
    for (;;) {
      const open = body.indexOf(OPEN, at);
      if (open < 0) break;
      const gt = body.indexOf(0x3e, open);
      if (body[gt - 1] === 0x2f) { at = gt; continue; }
      const lt = body.indexOf(0x3c, gt);
      const pad = (body[lt - 1] === 0x3d ? 1 : 0) + (body[lt - 2] === 0x3d ? 1 : 0);
      bytes += ((lt - gt - 1) / 4) * 3 - pad;
      at = lt;
    }
    if (body.includes(DONE)) break;
  }
  const s = (performance.now() - t0) / 1000;
  if (bytes !== SIZE) throw new Error(`received ${bytes} of ${SIZE} bytes`);
  await ch.exchange(envelope(Action.Delete, { kind: 'Empty' }, { selectors: { ShellId: shellId } }));
  return SIZE / 1048576 / s;
}

/** Best of three, alternating, so that warm-up and noise hit both alike. */
async function compare(url: URL): Promise<{ basic: number; sealed: number }> {
  let basic = 0;
  let sealed = 0;
  for (let i = 0; i < 3; i++) {
    const b = basicChannel(url);
    basic = Math.max(basic, await throughput(b));
    b.close();
    const n = await negotiateChannel(url);
    sealed = Math.max(sealed, await throughput(n));
    n.close();
  }
  return { basic, sealed };
}

/** The listener in a child process: it seals while we unseal, as on two machines. */
async function childListener(): Promise<{ url: URL; stop: () => void }> {
  const script = fileURLToPath(new URL('./sealing-listener.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.trim());
    });
    child.on('exit', () => reject(new Error('sealing listener exited')));
  });
  return { url: new URL(line), stop: () => child.stdin.end() };
}

const round = (x: number): number => Math.round(x * 10) / 10;

export async function run(): Promise<BenchResult[]> {
  const users = new UserStore();
  users.add({ name: 'bench', hash: await hashPassword('bench', 1024), ntHash: ntHash('bench'), runAs: userInfo().username });
  const config = defaultConfig();
  config.clientKeepAliveMs = 0;
  const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent') });
  const url = new URL((await listener.start())[0]!.url);
  const results: BenchResult[] = [];
  try {
    const { basic, sealed } = await compare(url);
    results.push({ name: 'sealing: Receive throughput over HTTP, NTLM sealed (Negotiate) vs Basic, 128 MB stdout, MaxEnvelopeSize 512000, client and listener in one process',
      unit: 'MB/s', value: round(sealed), baseline: round(basic), ratio: Math.round((sealed / basic) * 1000) / 1000 });
  } finally {
    await listener.stop();
  }
  const child = await childListener();
  try {
    const { basic, sealed } = await compare(child.url);
    results.push({ name: 'sealing: Receive throughput over HTTP, NTLM sealed (Negotiate) vs Basic, 128 MB stdout, MaxEnvelopeSize 512000, listener in its own process',
      unit: 'MB/s', value: round(sealed), baseline: round(basic), ratio: Math.round((sealed / basic) * 1000) / 1000 });
  } finally {
    child.stop();
  }
  return results;
}
