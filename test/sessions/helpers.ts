/** Helpers for session tests: an in-process listener (alice, bob), client options, the CLI as a subprocess. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../../src/server/index.js';
import { defaultConfig, type ListenerConfig } from '../../src/server/config.js';
import type { ClientOptions } from '../../src/client/options.js';
import type { WsmanClient } from '../../src/client/client.js';
import { CLI } from '../helpers/cli.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const ALICE = { username: 'alice', password: 'secret' };
export const BOB = { username: 'bob', password: 'builder' };

export interface SessionListener {
  listener: WsmanListener;
  url: string;
  stop(): Promise<void>;
}

let hashes: [string, string] | undefined;

/** A listener on 127.0.0.1:0 over HTTP; `tune` adjusts its configuration. */
export async function startListener(tune: (c: ListenerConfig) => void = () => undefined, extra: { pwsh?: string } = {}): Promise<SessionListener> {
  hashes ??= [await hashPassword(ALICE.password, 1024), await hashPassword(BOB.password, 1024)];
  const users = new UserStore();
  // Run as the listener's own account: a root listener refuses users without a local account.
  users.add({ name: ALICE.username, hash: hashes[0], runAs: userInfo().username });
  users.add({ name: BOB.username, hash: hashes[1], runAs: userInfo().username });
  const config = defaultConfig();
  tune(config);
  const listener = new WsmanListener({
    users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent'), sweepIntervalMs: 100, ...extra,
  });
  const [ep] = await listener.start();
  return { listener, url: ep!.url, stop: () => listener.stop() };
}

/** Client options for a user of the listener. */
export function optionsFor(url: string, user = ALICE): ClientOptions {
  return { endpoint: { connectionUri: url }, credential: user, authentication: 'basic', allowUnencrypted: true };
}

/** The body size of every answer `client` gets from now on, in order (its `exchange` wrapped). */
export function recordBodySizes(client: WsmanClient): number[] {
  const sizes: number[] = [];
  const ex = client.exchange.bind(client);
  client.exchange = async (...a: Parameters<WsmanClient['exchange']>) => {
    const r = await ex(...a);
    sizes.push(r.response.body.length);
    return r;
  };
  return sizes;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `fn` is true (or throw after `ms`). */
export async function until(fn: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** A fresh state directory for the CLI. */
export function stateDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'wsman-sessions-'));
}

/** Start `wsman ARGS` (the bundled CLI) as a separate process. */
export function spawnWsman(args: string[], env: Record<string, string> = {}, password = ALICE.password): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT, env: { ...process.env, WSMAN_PASSWORD: password, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Run `wsman ARGS` to the end. */
export function wsman(args: string[], env: Record<string, string> = {}, password = ALICE.password): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnWsman(args, env, password);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parse a Format-Table style table into rows of column → value. */
export function parseTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = lines.findIndex((l) => /^Id\s+Name\s+/.test(l));
  if (head < 0) return [];
  const header = lines[head]!;
  const dashes = lines[head + 1] ?? '';
  const cols: { name: string; start: number; end: number }[] = [];
  const re = /-+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(dashes)) !== null) cols.push({ name: '', start: m.index, end: m.index + m[0].length });
  cols.forEach((c, i) => {
    c.name = header.slice(c.start, cols[i + 1]?.start ?? header.length).trim();
    c.end = cols[i + 1]?.start ?? Number.MAX_SAFE_INTEGER;
  });
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(head + 2)) {
    if (!/^\s*\d+\s/.test(line)) break;
    const row: Record<string, string> = {};
    for (const c of cols) row[c.name] = line.slice(c.start, c.end).trim();
    rows.push(row);
  }
  return rows;
}
