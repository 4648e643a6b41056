/**
 * Identify under load with the listener logging at its default level (info: one line per
 * request), against a bare node:http server answering the same bytes, same load generator
 * (bench/listener.bench.ts's worker: 16 keep-alive connections, 3 s after a 0.5 s warm-up).
 *
 *  - `listener: Identify req/s, log info (default writer) vs bare node:http`: lines go through
 *    the default batchedWriter (one write per event-loop turn), here to /dev/null.
 *  - `listener: Identify req/s, log info (a write per line) vs bare node:http`: the former
 *    default, one synchronous write per line, to /dev/null: what the batching saves.
 *  - `listener: Identify req/s, log silent vs bare node:http`: no log lines at all (the floor
 *    logging can reach).
 */
import { createServer, Agent, request } from 'node:http';
import { openSync, closeSync, writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { WsmanListener } from '../src/server/listener.js';
import { UserStore, hashPassword } from '../src/server/users.js';
import { createLogger, batchedWriter, type Logger } from '../src/server/log.js';
import { defaultConfig } from '../src/server/config.js';
import { inWorker, IDENTIFY, AUTH, type Job } from './listener.bench.js';
import type { BenchResult } from './types.js';

async function startListener(logger: Logger): Promise<{ listener: WsmanListener; url: URL }> {
  const users = new UserStore();
  users.add({ name: 'bench', hash: await hashPassword('bench', 1024), runAs: userInfo().username });
  const config = defaultConfig();
  config.clientKeepAliveMs = 0;
  const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger });
  const [ep] = await listener.start();
  return { listener, url: new URL(ep!.url) };
}

function sample(url: URL): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: false });
    const data = Buffer.from(IDENTIFY);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': data.length, Authorization: AUTH } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const job = (u: URL, ms: number): Job => ({ kind: 'load', url: u.href, body: IDENTIFY, ms, concurrency: 16, auth: AUTH });

export async function run(): Promise<BenchResult[]> {
  const fd = openSync('/dev/null', 'w');
  const writer = batchedWriter((chunk) => { writeSync(fd, chunk); });
  const results: BenchResult[] = [];
  try {
    const batched = await startListener(createLogger('info', writer));
    const perLine = await startListener(createLogger('info', (line) => { writeSync(fd, line); }));
    const silent = await startListener(createLogger('silent'));
    const fixed = await sample(batched.url);
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
    for (const u of [batched.url, perLine.url, silent.url, bareUrl]) await inWorker(job(u, 500));
    // Interleaved, so a busy moment of the shared machine falls on each side alike.
    let b = 0;
    let p = 0;
    let base = 0;
    let q = 0;
    for (let i = 0; i < 2; i++) {
      q += await inWorker(job(silent.url, 1500));
      b += await inWorker(job(batched.url, 1500));
      base += await inWorker(job(bareUrl, 1500));
      p += await inWorker(job(perLine.url, 1500));
    }
    const r = (v: number): number => Math.round((v / base) * 1000) / 1000;
    results.push({ name: 'listener: Identify req/s, log info (default writer) vs bare node:http', unit: 'req/s', value: Math.round(b / 2), baseline: Math.round(base / 2), ratio: r(b) });
    results.push({ name: 'listener: Identify req/s, log info (a write per line) vs bare node:http', unit: 'req/s', value: Math.round(p / 2), baseline: Math.round(base / 2), ratio: r(p) });
    await new Promise<void>((res) => bare.close(() => res()));
    bare.closeAllConnections();
    results.push({ name: 'listener: Identify req/s, log silent vs bare node:http', unit: 'req/s', value: Math.round(q / 2), baseline: Math.round(base / 2), ratio: r(q) });
    await batched.listener.stop();
    await silent.listener.stop();
    await perLine.listener.stop();
  } finally {
    writer.flush();
    closeSync(fd);
  }
  return results;
}
