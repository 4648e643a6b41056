/**
 * Get-PSSession at scale and memory per disconnected shell (issue 20), against our listener in a
 * process of its own (bench/session-listener.ts), on loopback, HTTP, Basic:
 *
 *  - `session list: 2,000 shells vs 1`: `wsman session list`'s work (LocalSessions.list: the
 *    listing, every session recorded in a state file, the file written once), median of 4, ms;
 *    baseline the same listing of 1 shell. And its requests (counted by the listener), same baseline.
 *  - `wsman session list (process)`: the same as a user runs it (`node --import tsx src/cli/main.ts
 *    session list --connection-uri … --json`), whole-process wall time, best of 2 after a warm-up; baseline 1 shell.
 *  - `Get-PSSession + commands: 2,000 shells vs 1`: the library's Get-PSSession with the
 *    commands of each shell (SessionManager.getSessions, commands on, listing envelope size),
 *    one shell in ten with a disconnected `sleep` command (the 1-shell baseline has one too);
 *    median of 4 after a warm-up, ms, and its requests. The commands come in one enumeration
 *    for all shells (ShellId `*`); against Windows it would be one per shell (2,000 more requests).
 *  - `listener RSS per disconnected shell at 1,000 shells`: the listener's RSS after creating and
 *    disconnecting 1,000 shells minus before (after GC), / 1,000, KiB; baseline the 64 KiB goal.
 *    Also its heap per shell.
 *
 * Shells are made with Create + Disconnect, 8 at a time (no process per shell).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WsmanClient } from '../src/client/client.js';
import { Shell, newGuid } from '../src/client/shell.js';
import { SessionManager } from '../src/client/sessions/index.js';
import { LocalSessions } from '../src/client/sessions/local.js';
import { SessionStateFile } from '../src/client/sessions/statefile.js';
import { LISTING_ENVELOPE_SIZE } from '../src/client/sessions/enumerate.js';
import type { ClientOptions } from '../src/client/options.js';
import type { BenchResult } from './types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(HERE, '..', 'src', 'cli', 'main.ts');
const MANY = 2000;
const MEM_AT = 1000;

interface Child { proc: ChildProcess; url: string; ask<T>(what: string): Promise<T> }

async function startChild(): Promise<Child> {
  const proc = fork(path.join(HERE, 'session-listener.ts'), [], {
    execArgv: ['--expose-gc', '--import', 'tsx'], env: { ...process.env, BENCH_MAX_SHELLS: String(MANY + 10) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (m) => resolve((m as { url: string }).url));
    proc.once('exit', (code) => reject(new Error(`listener exited (${code})`)));
  });
  const ask = <T>(what: string): Promise<T> => new Promise((resolve) => {
    proc.once('message', (m) => resolve(m as T));
    proc.send(what);
  });
  return { proc, url, ask };
}

/** Create and disconnect `n` shells, 8 at a time; every `every`-th gets a `sleep` command first. */
async function fill(options: ClientOptions, n: number, every = 0): Promise<void> {
  const client = new WsmanClient(options);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const sh = await Shell.open(client, { shellId: newGuid(), name: `bench-${next}` });
      if (every > 0 && i % every === 0) await sh.start('sleep', ['900']);
      await sh.disconnect();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await client.close();
}

async function requestsOf(c: Child, fn: () => Promise<void>): Promise<number> {
  const before = (await c.ask<{ requests: number }>('count')).requests;
  await fn();
  return (await c.ask<{ requests: number }>('count')).requests - before;
}

/** One `wsman session list` worth of work, with a fresh state file; returns its time in ms. */
async function sessionList(options: ClientOptions, expect: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsman-bench-'));
  try {
    const t0 = performance.now();
    const ctx = new LocalSessions(new SessionStateFile(path.join(dir, 'sessions.json')));
    const listed = await ctx.list([options], {});
    await ctx.finish();
    const ms = performance.now() - t0;
    if (listed.length !== expect) throw new Error(`listed ${listed.length} shells, expected ${expect}`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `wsman session list --connection-uri …` as a process (tsx), fresh state dir: wall time in ms. */
async function cliList(url: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsman-bench-'));
  try {
    const t0 = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', MAIN, 'session', 'list', '--connection-uri', url, '--credential', 'alice',
        '--authentication', 'basic', '--allow-unencrypted', '--json'], {
        env: { ...process.env, WSMAN_PASSWORD: 'secret', WSMAN_STATE_DIR: dir }, stdio: ['ignore', 'ignore', 'inherit'],
      });
      p.on('close', resolve);
    });
    if (code !== 0) throw new Error(`wsman session list exited ${code}`);
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function medianCli(url: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await cliList(url));
  times.shift(); // warm-up (tsx's cache)
  return Math.min(...times);
}

/** Get-PSSession with commands, as the library does it: its time in ms; checks the shells and commands found. */
async function withCommands(options: ClientOptions, shells: number, commands: number): Promise<number> {
  const t0 = performance.now();
  const m = new SessionManager();
  const listed = await m.getSessions(options, {}, { maxEnvelopeSize: LISTING_ENVELOPE_SIZE });
  const ms = performance.now() - t0;
  await m.closeConnections();
  const found = listed.reduce((a, s) => a + s.remoteCommands.length, 0);
  if (listed.length !== shells || found !== commands) throw new Error(`listed ${listed.length} shells and ${found} commands, expected ${shells} and ${commands}`);
  return ms;
}

async function measure(c: Child, options: ClientOptions, n: number, commands: number): Promise<{ ms: number; requests: number; cmdMs: number; cmdRequests: number }> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await sessionList(options, n));
  times.shift(); // warm-up
  times.sort((a, b) => a - b);
  const requests = await requestsOf(c, async () => { await sessionList(options, n); });
  const cmdTimes: number[] = [];
  for (let i = 0; i < 5; i++) cmdTimes.push(await withCommands(options, n, commands));
  cmdTimes.shift(); // warm-up
  cmdTimes.sort((a, b) => a - b);
  const cmdRequests = await requestsOf(c, async () => { await withCommands(options, n, commands); });
  return { ms: times[Math.floor(times.length / 2)]!, requests, cmdMs: cmdTimes[Math.floor(cmdTimes.length / 2)]!, cmdRequests };
}

export async function run(): Promise<BenchResult[]> {
  const c = await startChild();
  const options: ClientOptions = { endpoint: { connectionUri: c.url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true };
  const out: BenchResult[] = [];
  try {
    // Warm the listener (and its allocator) with a shell made and deleted.
    const warm = new WsmanClient(options);
    await (await Shell.open(warm, { shellId: newGuid() })).close();
    await warm.close();
    const m0 = (await c.ask<{ mem: NodeJS.MemoryUsage }>('mem')).mem;
    await fill(options, 1, 1);
    const one = await measure(c, options, 1, 1);
    const oneCli = await medianCli(c.url);
    await fill(options, MEM_AT - 1);
    const m1 = (await c.ask<{ mem: NodeJS.MemoryUsage }>('mem')).mem;
    const rss = (m1.rss - m0.rss) / MEM_AT / 1024;
    const heap = (m1.heapUsed - m0.heapUsed) / MEM_AT / 1024;
    out.push({ name: 'listener RSS per disconnected shell at 1,000 shells', unit: 'KiB', value: rss, baseline: 64 });
    out.push({ name: 'listener heap per disconnected shell at 1,000 shells', unit: 'KiB', value: heap });
    // The commands (one shell in ten in all) go on shells made after the memory rows.
    await fill(options, MANY - MEM_AT, (MANY - MEM_AT) / (MANY / 10));
    const many = await measure(c, options, MANY, 1 + MANY / 10);
    const manyCli = await medianCli(c.url);
    out.push({ name: 'wsman session list (process): 2,000 disconnected shells vs 1', unit: 'ms', value: manyCli, baseline: oneCli });
    out.push({ name: 'session list: 2,000 disconnected shells vs 1', unit: 'ms', value: many.ms, baseline: one.ms });
    out.push({ name: 'session list: 2,000 disconnected shells vs 1, requests', unit: 'requests', value: many.requests, baseline: one.requests });
    out.push({ name: 'Get-PSSession + commands: 2,000 shells (201 commands) vs 1 (1 command)', unit: 'ms', value: many.cmdMs, baseline: one.cmdMs });
    out.push({ name: 'Get-PSSession + commands: 2,000 shells (201 commands) vs 1 (1 command), requests', unit: 'requests', value: many.cmdRequests, baseline: one.cmdRequests });
  } finally {
    c.proc.send('stop');
    await new Promise((r) => c.proc.once('exit', r));
  }
  return out;
}
