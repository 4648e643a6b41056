/**
 * Resource quotas of the listener (issue 15), measured on a listener in its own process
 * (bench/quota-listener.ts, default configuration) so that the figures are the listener's alone:
 * - RSS peak with 150 output-only commands (`yes`, 6 shells of 25, MaxProcessesPerShell) whose
 *   output nobody reads, and RSS 60 s after their shells are deleted (no forced collection: what
 *   an operator would see), then after a forced collection. Baseline: RSS before the commands.
 * - RSS peak under a 200 MB stdin flood: 360 KB Sends, 16 at a time, to a command that never
 *   reads (`sleep`), each with OperationTimeout 500 ms. Baseline: RSS before the flood.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Action, ResourceURI, encodeMessage, type Body, type Headers } from '../src/core/index.js';
import type { BenchResult } from './types.js';
import { postSoap } from './endpoints.js';
import type { MemReport } from './quota-listener.js';

const MB = 1048576;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Listener { url: URL; mem: (gc?: boolean) => Promise<MemReport>; stop: () => Promise<void> }

async function startListener(config: Record<string, unknown> = {}): Promise<Listener> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'quota-listener.ts');
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', file, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', () => reject(new Error('the listener did not start')));
  });
  let queue = Promise.resolve();
  const mem = (gc = false): Promise<MemReport> => {
    const p = queue.then(() => new Promise<MemReport>((resolve) => {
      child.once('message', (m) => resolve(m as MemReport));
      child.send({ op: 'mem', gc });
    }));
    queue = p.then(() => undefined);
    return p;
  };
  return {
    url: new URL(line),
    mem,
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.disconnect();
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const post = (url: URL, body: string): Promise<{ status: number; text: string }> => postSoap(agent, url, body);

function env(action: string, body: Body, extra: Partial<Headers> = {}): string {
  return encodeMessage({ headers: { to: 'http://x/wsman', replyTo: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', action,
    messageId: `uuid:${crypto.randomUUID()}`, resourceUri: ResourceURI.Cmd, maxEnvelopeSize: 512000, operationTimeout: 20000, ...extra }, body }, 'request');
}

async function createShell(url: URL): Promise<string> {
  const r = await post(url, env(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }));
  const id = /<w:Selector Name="ShellId">([^<]+)</.exec(r.text)?.[1];
  if (!id) throw new Error(`create failed: ${r.text.slice(0, 300)}`);
  return id;
}

async function startCommand(url: URL, shellId: string, command: string): Promise<string> {
  const r = await post(url, env(Action.Command, { kind: 'CommandLine', command, arguments: [] }, { selectors: { ShellId: shellId } }));
  const id = /<rsp:CommandId>([^<]+)</.exec(r.text)?.[1];
  if (!id) throw new Error(`command failed: ${r.text.slice(0, 300)}`);
  return id;
}

/** Sample RSS every `ms` until `work` settles; resolves with the peak. */
async function peakDuring(l: Listener, work: Promise<unknown>, ms = 250): Promise<number> {
  let done = false;
  let peak = 0;
  const w = work.finally(() => { done = true; });
  while (!done) {
    peak = Math.max(peak, (await l.mem()).rss);
    await Promise.race([sleep(ms), w]);
  }
  await w;
  return Math.max(peak, (await l.mem()).rss);
}

const mb = (n: number): number => Math.round((n / MB) * 10) / 10;

async function outputFlood(): Promise<BenchResult[]> {
  const l = await startListener();
  try {
    const start = (await l.mem(true)).rss;
    const shells: string[] = [];
    for (let s = 0; s < 6; s++) {
      const id = await createShell(l.url);
      shells.push(id);
      for (let c = 0; c < 25; c++) await startCommand(l.url, id, 'yes');
    }
    // Unread for 10 s: every producer reaches its budget.
    const peak = await peakDuring(l, sleep(10_000));
    await Promise.all(shells.map((id) => post(l.url, env(Action.Delete, { kind: 'Empty' }, { selectors: { ShellId: id } }))));
    let after = 0;
    let back = NaN;
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      await sleep(2000);
      after = (await l.mem()).rss;
      if (Number.isNaN(back) && after <= start + 50 * MB) back = (Date.now() - t0) / 1000;
    }
    const collected = (await l.mem(true)).rss;
    return [
      { name: 'listener quotas: RSS peak, 150 output-only commands (yes, unread, 6 shells x 25)', unit: 'MB', value: mb(peak), baseline: mb(start), ratio: peak / start },
      { name: 'listener quotas: RSS 60 s after Delete of those shells (no forced GC)', unit: 'MB', value: mb(after), baseline: mb(start), ratio: after / start },
      { name: 'listener quotas: seconds after Delete until RSS is within 50 MB of the start (NaN: not in 60 s)', unit: 's', value: back },
      { name: 'listener quotas: RSS after Delete and a forced GC', unit: 'MB', value: mb(collected), baseline: mb(start), ratio: collected / start },
    ];
  } finally {
    await l.stop();
  }
}

async function stdinFlood(): Promise<BenchResult[]> {
  const l = await startListener();
  try {
    const shellId = await createShell(l.url);
    const commandId = await startCommand(l.url, shellId, 'sleep 600');
    const start = (await l.mem(true)).rss;
    const size = 360_000;
    const total = 200 * MB;
    const body = env(Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId, data: Buffer.alloc(size, 0x61) }] },
      { selectors: { ShellId: shellId }, operationTimeout: 500 });
    let sent = 0;
    let accepted = 0;
    let timedOut = 0;
    const worker = async (): Promise<void> => {
      while (sent < total) {
        sent += size;
        const r = await post(l.url, body.replace(/uuid:[0-9a-f-]{36}/i, `uuid:${crypto.randomUUID()}`));
        if (r.status === 200) accepted++;
        else if (r.text.includes('2150858793')) timedOut++;
        else throw new Error(`Send: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      }
    };
    const peak = await peakDuring(l, Promise.all(Array.from({ length: 16 }, worker)));
    process.stderr.write(`bench: stdin flood: ${accepted} Sends accepted, ${timedOut} timed out\n`);
    return [
      { name: `listener quotas: RSS peak under a 200 MB stdin flood (360 KB Sends x16 to sleep; ${accepted} accepted, ${timedOut} w:TimedOut)`, unit: 'MB', value: mb(peak), baseline: mb(start), ratio: peak / start },
    ];
  } finally {
    await l.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const results = [...await outputFlood(), ...await stdinFlood()];
  agent.destroy();
  return results;
}

// Run directly: `node --import tsx bench/quotas.bench.ts`
if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
