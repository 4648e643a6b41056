/**
 * Listener benchmarks (issue 3): Identify requests/s against the listener vs a bare node:http
 * server answering a same-size fixed body (same load generator, same run); full command round
 * trips/s with Basic; Receive throughput of a 200 MB stdout command at MaxEnvelopeSize 512000;
 * heap per idle shell at 1,000 shells. Everything on 127.0.0.1.
 */
import { userInfo } from 'node:os';
import { createServer, request, Agent } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { Action, ResourceURI, encodeMessage, type Body, type Headers } from '../src/core/index.js';
import { WsmanListener } from '../src/server/listener.js';
import { UserStore, hashPassword } from '../src/server/users.js';
import { createLogger } from '../src/server/log.js';
import { defaultConfig } from '../src/server/config.js';
import type { BenchResult } from './types.js';
import { BENCH_AUTH, postSoap } from './endpoints.js';


export const AUTH = BENCH_AUTH;
const post = postSoap;
export const IDENTIFY = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';

function headers(action: string, extra: Partial<Headers> = {}): Headers {
  return { to: 'http://x/wsman', replyTo: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', action,
    messageId: `uuid:${crypto.randomUUID()}`, resourceUri: ResourceURI.Cmd, maxEnvelopeSize: 153600, operationTimeout: 20000, ...extra };
}

function env(action: string, body: Body, extra: Partial<Headers> = {}): string {
  return encodeMessage({ headers: headers(action, extra), body }, 'request');
}

async function startListener(maxShells = 30, bufferBytes?: number): Promise<{ listener: WsmanListener; url: URL }> {
  const users = new UserStore();
  users.add({ name: 'bench', hash: await hashPassword('bench', 1024), runAs: userInfo().username });
  const config = defaultConfig();
  config.configurations[0]!.maxShellsPerUser = maxShells;
  if (bufferBytes) {
    // One command buffers this much while disconnected: lift the shell and user memory quotas too.
    config.configurations[0]!.outputBufferBytes = bufferBytes;
    config.configurations[0]!.maxMemoryPerShellMB = 0;
    config.maxMemoryPerUserMB = 0;
  }
  config.clientKeepAliveMs = 0;
  const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent') });
  const [ep] = await listener.start();
  return { listener, url: new URL(ep!.url) };
}

const shellIdRe = /<w:Selector Name="ShellId">([^<]+)</;
const commandIdRe = /<rsp:CommandId>([^<]+)</;

async function createShell(agent: Agent, url: URL): Promise<string> {
  const r = await post(agent, url, env(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }));
  const id = shellIdRe.exec(r.text)?.[1];
  if (!id) throw new Error(`create failed: ${r.text.slice(0, 300)}`);
  return id;
}

/** POST returning the raw body bytes (the Receive loop never turns 500 KB into a string). */
function postRaw(agent: Agent, url: URL, body: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': data.length, Authorization: AUTH } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parts.length === 1 ? parts[0]! : Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const STDOUT_OPEN = Buffer.from('<rsp:Stream Name="stdout"');
const DONE = Buffer.from('CommandState/Done');

/** Receive until Done, counting stdout bytes cheaply (no XML parse, no string copy on the client). */
async function drain(agent: Agent, url: URL, shellId: string, commandId: string, maxEnvelopeSize: number): Promise<number> {
  let bytes = 0;
  for (;;) {
    const r = await postRaw(agent, url, env(Action.Receive, { kind: 'Receive', commandId, streams: ['stdout', 'stderr'] }, { selectors: { ShellId: shellId }, maxEnvelopeSize }));
    if (r.status !== 200) {
      if (r.body.includes('2150858793')) continue;
      throw new Error(`receive failed: HTTP ${r.status}`);
    }
    if (r.body.length > maxEnvelopeSize) throw new Error('response exceeded MaxEnvelopeSize');
    let at = 0;
    for (;;) {
      const open = r.body.indexOf(STDOUT_OPEN, at);
      if (open < 0) break;
      const gt = r.body.indexOf(0x3e, open); // '>'
      if (r.body[gt - 1] === 0x2f) { // '/>' : an empty End block
        at = gt;
        continue;
      }
      const lt = r.body.indexOf(0x3c, gt); // '<'
      const n = lt - gt - 1;
      const pad = (r.body[lt - 1] === 0x3d ? 1 : 0) + (r.body[lt - 2] === 0x3d ? 1 : 0);
      bytes += (n / 4) * 3 - pad;
      at = lt;
    }
    if (r.body.includes(DONE)) return bytes;
  }
}

async function roundTrip(agent: Agent, url: URL): Promise<void> {
  const shellId = await createShell(agent, url);
  const sel = { selectors: { ShellId: shellId } };
  const c = await post(agent, url, env(Action.Command, { kind: 'CommandLine', command: 'true', arguments: [] }, sel));
  const commandId = commandIdRe.exec(c.text)?.[1];
  if (!commandId) throw new Error('command failed');
  await drain(agent, url, shellId, commandId, 153600);
  await post(agent, url, env(Action.Signal, { kind: 'Signal', commandId, code: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate' }, sel));
  await post(agent, url, env(Action.Delete, { kind: 'Empty' }, sel));
}

/**
 * Load jobs run in a worker thread, so the generator does not share the listener's event loop.
 * The worker is plain JavaScript (workers do not inherit the TypeScript loader); it does what
 * `load` and `drain` above do.
 */
export type Job =
  | { kind: 'load'; url: string; body: string; ms: number; concurrency: number; auth: string }
  | { kind: 'drain'; url: string; body: string; maxEnvelopeSize: number; auth: string };

const WORKER_SOURCE = `
const { request, Agent } = require('node:http');
const { parentPort, workerData: job } = require('node:worker_threads');
function post(agent, url, body) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': data.length, Authorization: job.auth } }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: parts.length === 1 ? parts[0] : Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}
async function load() {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  let count = 0;
  const end = Date.now() + job.ms;
  await Promise.all(Array.from({ length: job.concurrency }, async () => {
    while (Date.now() < end) {
      const r = await post(agent, url, job.body);
      if (r.status !== 200) throw new Error('HTTP ' + r.status);
      count++;
    }
  }));
  agent.destroy();
  return count / (job.ms / 1000);
}
const OPEN = Buffer.from('<rsp:Stream Name="stdout"');
const DONE = Buffer.from('CommandState/Done');
async function drain() {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let bytes = 0;
  for (;;) {
    const r = await post(agent, url, job.body.replace(/<a:MessageID>[^<]*</, '<a:MessageID>uuid:' + crypto.randomUUID() + '<'));
    if (r.status !== 200) {
      if (r.body.includes('2150858793')) continue;
      throw new Error('receive failed: HTTP ' + r.status);
    }
    if (r.body.length > job.maxEnvelopeSize) throw new Error('response exceeded MaxEnvelopeSize');
    let at = 0;
    for (;;) {
      const open = r.body.indexOf(OPEN, at);
      if (open < 0) break;
      const gt = r.body.indexOf(0x3e, open);
      if (r.body[gt - 1] === 0x2f) { at = gt; continue; }
      const lt = r.body.indexOf(0x3c, gt);
      const pad = (r.body[lt - 1] === 0x3d ? 1 : 0) + (r.body[lt - 2] === 0x3d ? 1 : 0);
      bytes += ((lt - gt - 1) / 4) * 3 - pad;
      at = lt;
    }
    if (r.body.includes(DONE)) { agent.destroy(); return bytes; }
  }
}
(job.kind === 'load' ? load() : drain()).then((v) => parentPort.postMessage(v), (e) => { throw e; });
`;

export function inWorker(job: Job): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: job });
    w.once('message', (v: number) => resolve(v));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`bench worker exited with ${code}`))));
  });
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;

  // 1. Identify req/s vs bare node:http with the same-size body, same generator.
  {
    const { listener, url } = await startListener();
    const agent = new Agent({ keepAlive: true });
    const sample = await post(agent, url, IDENTIFY);
    agent.destroy();
    const fixed = Buffer.from(sample.text, 'latin1');
    const bare = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('Content-Type', 'application/soap+xml;charset=UTF-8');
        res.setHeader('Content-Length', fixed.length);
        res.end(fixed);
      });
    });
    bare.keepAliveTimeout = 120_000;
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const bareUrl = new URL(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/wsman`);
    const job = (u: URL, ms: number): Job => ({ kind: 'load', url: u.href, body: IDENTIFY, ms, concurrency: 16, auth: AUTH });
    await inWorker(job(url, 500));
    await inWorker(job(bareUrl, 500));
    const ours = await inWorker(job(url, 3000));
    const base = await inWorker(job(bareUrl, 3000));
    results.push({ name: 'listener: Identify requests/s (keep-alive, Basic) vs bare node:http', unit: 'req/s', value: Math.round(ours), baseline: Math.round(base), ratio: Math.round((ours / base) * 1000) / 1000 });
    await new Promise<void>((r) => bare.close(() => r()));
    bare.closeAllConnections();
    await listener.stop();
  }

  // 2. Full command round trips/s (Create, Command true, Receive, Signal, Delete).
  {
    const { listener, url } = await startListener();
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    for (let i = 0; i < 5; i++) await roundTrip(agent, url);
    const n = 100;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await roundTrip(agent, url);
    const s = (performance.now() - t0) / 1000;
    results.push({ name: 'listener: command round trips/s (Create, Command true, Receive, Signal, Delete; Basic)', unit: 'trips/s', value: Math.round((n / s) * 10) / 10 });
    agent.destroy();
    await listener.stop();
  }

  // 3. Receive throughput: 200 MB of stdout at MaxEnvelopeSize 512000.
  {
    const { listener, url } = await startListener();
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const shellId = await createShell(agent, url);
    const size = 200 * 1024 * 1024;
    const c = await post(agent, url, env(Action.Command, { kind: 'CommandLine', command: `head -c ${size} /dev/zero`, arguments: [] }, { selectors: { ShellId: shellId } }));
    const commandId = commandIdRe.exec(c.text)![1]!;
    const t0 = performance.now();
    const body = env(Action.Receive, { kind: 'Receive', commandId, streams: ['stdout', 'stderr'] }, { selectors: { ShellId: shellId }, maxEnvelopeSize: 512000 });
    const bytes = await inWorker({ kind: 'drain', url: url.href, body, maxEnvelopeSize: 512000, auth: AUTH });
    const s = (performance.now() - t0) / 1000;
    if (bytes !== size) throw new Error(`received ${bytes} of ${size} bytes`);
    results.push({ name: 'listener: Receive throughput, 200 MB stdout, MaxEnvelopeSize 512000', unit: 'MB/s', value: Math.round((size / 1048576 / s) * 10) / 10 });
    agent.destroy();
    await listener.stop();
  }

  // 4. Heap per idle shell at 1,000 shells.
  {
    const { listener, url } = await startListener(2000);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    await createShell(agent, url);
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const n = 1000;
    for (let i = 0; i < n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i) }, () => createShell(agent, url)));
    gc?.();
    const after = process.memoryUsage().heapUsed;
    results.push({ name: `listener: heap per idle shell at ${n} shells${gc ? '' : ' (no --expose-gc: approximate)'}`, unit: 'KB', value: Math.round(((after - before) / n / 1024) * 100) / 100 });
    agent.destroy();
    await listener.stop();
  }

  // 5. 1,000 disconnected shells: full enumeration time (Enumerate + Pulls) and heap per shell.
  {
    const { listener, url } = await startListener(2000);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const session = { sessionId: 'uuid:BE0C0000-0000-0000-0000-000000000001' };
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const n = 1000;
    const ids: string[] = [];
    for (let i = 0; i < n; i += 8) {
      ids.push(...await Promise.all(Array.from({ length: Math.min(8, n - i) }, async () => {
        const r = await post(agent, url, env(Action.Create, { kind: 'Shell', shell: { name: `s${i}`, inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }, session));
        return shellIdRe.exec(r.text)![1]!;
      })));
    }
    for (let i = 0; i < n; i += 8) {
      await Promise.all(ids.slice(i, i + 8).map((id) => post(agent, url, env(Action.Disconnect, { kind: 'Disconnect' }, { ...session, selectors: { ShellId: id } }))));
    }
    gc?.();
    const after = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    let seen = 0;
    const first = await post(agent, url, env(Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, { resourceUri: ResourceURI.Shell, maxEnvelopeSize: 512000 }));
    seen += first.text.split('<rsp:State>Disconnected</rsp:State>').length - 1;
    let ctx = /<n:EnumerationContext>([^<]*)</.exec(first.text)?.[1] ?? '';
    while (ctx) {
      const p = await post(agent, url, env(Action.Pull, { kind: 'Pull', context: ctx, maxElements: 32000 }, { resourceUri: ResourceURI.Shell, maxEnvelopeSize: 512000 }));
      seen += p.text.split('<rsp:State>Disconnected</rsp:State>').length - 1;
      ctx = p.text.includes('EndOfSequence') ? '' : /<n:EnumerationContext>([^<]*)</.exec(p.text)?.[1] ?? '';
    }
    const ms = performance.now() - t0;
    if (seen !== n) throw new Error(`enumerated ${seen} of ${n} disconnected shells`);
    results.push({ name: `listener: enumerate ${n} disconnected shells (Enumerate + Pulls, MaxEnvelopeSize 512000)`, unit: 'ms', value: Math.round(ms * 10) / 10 });
    results.push({ name: `listener: heap per disconnected shell at ${n} shells`, unit: 'KB', value: Math.round(((after - before) / n / 1024) * 100) / 100 });
    agent.destroy();
    await listener.stop();
  }

  // 6. Reconnect and receive 100 MB of output buffered while disconnected.
  {
    const size = 100 * 1024 * 1024;
    const { listener, url } = await startListener(30, size + (1 << 20));
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const session = { sessionId: 'uuid:BE0C0000-0000-0000-0000-000000000002' };
    const r = await post(agent, url, env(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }, session));
    const shellId = shellIdRe.exec(r.text)![1]!;
    const sel = { ...session, selectors: { ShellId: shellId } };
    const c = await post(agent, url, env(Action.Command, { kind: 'CommandLine', command: `head -c ${size} /dev/zero`, arguments: [] }, sel));
    const commandId = commandIdRe.exec(c.text)![1]!;
    await post(agent, url, env(Action.Disconnect, { kind: 'Disconnect' }, sel));
    const shell = listener.core.store.get(shellId)!;
    while (!shell.command(commandId)!.isDone) await new Promise((res) => setTimeout(res, 20));
    const t0 = performance.now();
    await post(agent, url, env(Action.Reconnect, { kind: 'Reconnect' }, sel));
    const body = env(Action.Receive, { kind: 'Receive', commandId, streams: ['stdout', 'stderr'] }, { ...sel, maxEnvelopeSize: 512000 });
    const bytes = await inWorker({ kind: 'drain', url: url.href, body, maxEnvelopeSize: 512000, auth: AUTH });
    const s = (performance.now() - t0) / 1000;
    if (bytes !== size) throw new Error(`received ${bytes} of ${size} buffered bytes`);
    results.push({ name: 'listener: Reconnect + Receive of 100 MB buffered while disconnected', unit: 'MB/s', value: Math.round((size / 1048576 / s) * 10) / 10 });
    agent.destroy();
    await listener.stop();
  }
  return results;
}

// Run directly: `node --expose-gc --import tsx bench/listener.bench.ts`
if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
