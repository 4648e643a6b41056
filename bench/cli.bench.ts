/**
 * The command line's own cost, from process start to exit, as a user or a script calling
 * `wsman run` in a loop pays it: the built CLI (dist/cli/main.js, which `npm ci` builds) against
 * our listener in a helper process (bench/client-listeners.ts), next to a bare `node -e 0` started
 * the same way in the same run (the baseline: Node's own start-up, which no CLI in Node avoids).
 * Runs are interleaved and medians kept (this VM's speed drifts).
 *
 *  - `cli: wsman run -- true`: connection, logon, Create, Command, Receive, Delete, exit.
 *  - `cli: wsman --version`: start-up alone (no command module is loaded).
 *  - `cli: wsman identify`: one unauthenticated request.
 *
 * Skips, saying why, when dist/ is not built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { BenchResult } from './types.js';
import { startListeners } from './endpoints.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const RUNS = 9;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time of one process from spawn to exit, in ms; throws when it fails. */
function timed(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${(r.stderr || r.error?.message || '').trim()}`);
  return ms;
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(CLI)) {
    process.stderr.write('cli bench: skipped, dist/cli/main.js is not built (npm run build)\n');
    return [];
  }
  const listener = await startListeners(1);
  if (!listener) return [];
  try {
    const env = { ...process.env, WSMAN_PASSWORD: 'secret' };
    const cases: Record<string, string[]> = {
      node: ['-e', '0'],
      version: [CLI, '--version'],
      run: [CLI, 'run', '--connection-uri', listener.urls[0]!, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--', 'true'],
      identify: [CLI, 'identify', listener.urls[0]!, '--unauthenticated'],
    };
    const times: Record<string, number[]> = {};
    for (const args of Object.values(cases)) timed(args, env); // warm the file cache and the listener
    for (let i = 0; i < RUNS; i++) {
      for (const [name, args] of Object.entries(cases)) (times[name] ??= []).push(timed(args, env));
    }
    const node = median(times.node!);
    const row = (name: string, label: string): BenchResult => {
      const v = median(times[name]!);
      return { name: `cli: ${label} (process start to exit, vs node -e 0)`, unit: 'ms', value: v, baseline: node, ratio: v / node };
    };
    return [
      row('run', 'wsman run -- true against our listener'),
      row('identify', 'wsman identify --unauthenticated'),
      row('version', 'wsman --version'),
    ];
  } finally {
    await listener.stop();
  }
}
