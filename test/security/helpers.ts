/**
 * Helpers for the security tests: throw-away local accounts (root only), an in-process listener
 * with chosen users, and `wsman listen` as a separate process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WsmanListener, type ListenerOptions } from '../../src/server/listener.js';
import { UserStore, hashPassword, type ListenerUser } from '../../src/server/users.js';
import { createLogger, type Logger } from '../../src/server/log.js';
import { CLI } from '../helpers/cli.js';

export const isRoot = process.getuid?.() === 0;
export const ROOT_ONLY = 'needs root: it creates local accounts and a listener that switches users (CI runs as root)';
export const ROOT_DIR = path.resolve(import.meta.dirname, '../..');
/** The bundled CLI (test/helpers/cli.ts). */
export const MAIN = CLI;

export interface TestAccount { name: string; uid: number; gid: number; home: string; dir: string }

/** A throw-away local account with its home under a fresh /tmp directory (removeAccount deletes both). */
export function createAccount(): TestAccount {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsmt-'));
  chmodSync(dir, 0o755);
  const name = `wsmt${randomBytes(4).toString('hex')}`;
  const home = path.join(dir, 'home');
  for (let i = 0; ; i++) {
    try {
      execFileSync('useradd', ['--create-home', '--home-dir', home, '--shell', '/bin/sh', '--user-group', name], { stdio: 'pipe' });
      break;
    } catch (err) {
      if (i >= 20) throw err; // /etc/passwd locked by another test: try again
      execFileSync('sleep', ['0.2']);
    }
  }
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { name, uid, gid, home, dir };
}

export function removeAccount(a: TestAccount): void {
  for (let i = 0; i < 20; i++) {
    try {
      execFileSync('userdel', ['--force', a.name], { stdio: 'pipe' });
      break;
    } catch {
      execFileSync('sleep', ['0.2']);
    }
  }
  rmSync(a.dir, { recursive: true, force: true });
}

let hash: string | undefined;
/** Every test user's password. */
export const PASSWORD = 'S3cret!pw';

/** Basic credentials for `name` with PASSWORD. */
export function basic(name: string): string {
  return 'Basic ' + Buffer.from(`${name}:${PASSWORD}`).toString('base64');
}

/** Log lines a listener wrote, parsed. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) };
}

/** An in-process listener on 127.0.0.1:0 whose users (password PASSWORD) are `users`. */
export async function listenerWith(users: Omit<ListenerUser, 'hash'>[], opts: Partial<ListenerOptions> = {}): Promise<{ listener: WsmanListener; url: string; stop: () => Promise<void> }> {
  hash ??= await hashPassword(PASSWORD, 1024);
  const store = new UserStore();
  for (const u of users) store.add({ ...u, hash: hash });
  const listener = new WsmanListener({ users: store, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent'), ...opts });
  const [ep] = await listener.start();
  return { listener, url: ep!.url, stop: () => listener.stop() };
}

/** `wsman listen ARGS` as its own process (optionally under `wrap`, e.g. strace); resolves with its URL. */
export async function startCliListener(args: string[], o: { wrap?: string[]; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const argv = [...(o.wrap ?? []), process.execPath, MAIN, 'listen', '--port', '0', '--no-https', '--allow-unencrypted', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [o.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: o.env ?? process.env, cwd: ROOT_DIR });
  if (o.stdin !== undefined) child.stdin!.end(o.stdin);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`listener exited (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err };
}

/** Stop a listener started by startCliListener. */
export async function stopCliListener(l: { child: ChildProcess } | undefined): Promise<void> {
  if (!l || l.child.exitCode !== null || l.child.signalCode !== null) return;
  const exited = new Promise((r) => l.child.once('exit', r));
  l.child.kill('SIGTERM');
  await exited;
}

