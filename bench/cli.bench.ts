/**
 * The command line's own cost, from process start to exit, as a user or a script calling
 * `wsman run` in a loop pays it: the bundled CLI (dist/cli/wsman.cjs, the package's bin, which
 * `npm ci` builds) against our listener in a helper process (bench/client-listeners.ts), next to
 * a bare `node -e 0` started the same way in the same run (the floor: Node's own start-up, which no
 * CLI in Node avoids) and to Go's masterzen/winrm (the client of Packer and Terraform) running the
 * same command as a one-shot binary (bench/go/run_gowinrm.go, built here when Go and Debian's
 * golang-github-masterzen-winrm-dev are installed; that row is skipped, saying why, otherwise).
 * Runs are interleaved and medians kept (this VM's speed drifts).
 *
 * Every process runs without NODE_EXTRA_CA_CERTS, as on a user's machine: Node reads that file at
 * start-up, before any script (about 40 ms for Debian's bundle of CAs here), where Go reads its CAs
 * only for TLS. When the bench's own environment sets it (this sandbox does), one more row shows
 * what it costs: `node -e 0` with it against without.
 *
 *  - `cli: wsman run -- echo hi` against node -e 0, and against the Go binary: connection, logon,
 *    Create, Command, Receive, Delete, exit. Goal (issue 20): at most 2x the Go binary.
 *  - `cli: wsman --version`: start-up alone (no command module is loaded).
 *  - `cli: wsman identify`: one unauthenticated request.
 *  - `cli: wsman run -- head -c 100000000 /dev/zero | wc -c`: streaming through the CLI, as the
 *    first row of issue 20 measured it (18-25 MB/s then), against `head -c … | wc -c` alone; the
 *    best of 3, MB/s.
 *
 * Skips, saying why, when dist/ is not built.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { BenchResult } from './types.js';
import { startListeners } from './endpoints.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'wsman.cjs');
const GOPATH = '/usr/share/gocode';
const RUNS = 9;
/** Bytes streamed by the CLI streaming row. */
const STREAM_BYTES = 100_000_000;

/** Marks a case that runs a program of its own rather than node. */
const GO_MARK = '\0go';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The Go one-shot client built in `dir`, or undefined (saying why) when Go or masterzen/winrm is missing. */
function buildGo(dir: string): string | undefined {
  if (!existsSync(path.join(GOPATH, 'src/github.com/masterzen/winrm'))) {
    process.stderr.write('cli bench: Go row skipped, masterzen/winrm is not installed (golang-github-masterzen-winrm-dev)\n');
    return undefined;
  }
  try {
    copyFileSync(path.join(ROOT, 'bench', 'go', 'run_gowinrm.go'), path.join(dir, 'main.go'));
    execFileSync('go', ['build', '-o', 'run_gowinrm', 'main.go'], {
      cwd: dir, stdio: 'ignore', timeout: 300_000,
      env: { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: path.join(tmpdir(), 'wsman-gocache') },
    });
    return path.join(dir, 'run_gowinrm');
  } catch (e) {
    process.stderr.write(`cli bench: Go row skipped, the Go client did not build (${(e as Error).message.split('\n')[0]})\n`);
    return undefined;
  }
}

/** Wall time of one process (`node ARGS`, or the program `args[0]` when it is a path of its own) from spawn to exit, in ms; throws when it fails. */
function timed(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const [file, rest] = args[0] === GO_MARK ? [args[1]!, args.slice(2)] : [process.execPath, args];
  const t0 = performance.now();
  const r = spawnSync(file, rest, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${(r.stderr || r.error?.message || '').trim()}`);
  return ms;
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(CLI)) {
    process.stderr.write('cli bench: skipped, dist/cli/wsman.cjs is not built (npm run build)\n');
    return [];
  }
  const listener = await startListeners(1);
  if (!listener) return [];
  const goDir = mkdtempSync(path.join(tmpdir(), 'wsman-cli-bench-'));
  try {
    const go = buildGo(goDir);
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    const env: NodeJS.ProcessEnv = { ...process.env, WSMAN_PASSWORD: 'secret' };
    delete env.NODE_EXTRA_CA_CERTS;
    const cases: Record<string, string[]> = {
      node: ['-e', '0'],
      version: [CLI, '--version'],
      run: [CLI, 'run', '--connection-uri', listener.urls[0]!, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--', 'echo', 'hi'],
      identify: [CLI, 'identify', listener.urls[0]!, '--unauthenticated'],
      ...(go ? { go: [GO_MARK, go, listener.urls[0]!, 'alice', 'secret', 'echo hi'] } : {}),
    };
    const times: Record<string, number[]> = {};
    for (const args of Object.values(cases)) timed(args, env); // warm the file cache and the listener
    for (let i = 0; i < RUNS; i++) {
      for (const [name, args] of Object.entries(cases)) (times[name] ??= []).push(timed(args, env));
      if (extraCa) (times.nodeCa ??= []).push(timed(cases.node!, { ...env, NODE_EXTRA_CA_CERTS: extraCa }));
    }
    const node = median(times.node!);
    const row = (name: string, label: string): BenchResult => {
      const v = median(times[name]!);
      return { name: `cli: ${label} (process start to exit, vs node -e 0)`, unit: 'ms', value: v, baseline: node, ratio: v / node };
    };
    const goRows: BenchResult[] = [];
    if (go) {
      const v = median(times.run!);
      const g = median(times.go!);
      goRows.push({ name: 'cli: wsman run -- echo hi vs Go masterzen/winrm doing the same (process start to exit)', unit: 'ms', value: v, baseline: g, ratio: v / g });
    }
    const caRows: BenchResult[] = [];
    if (times.nodeCa) {
      const v = median(times.nodeCa);
      caRows.push({ name: 'cli: node -e 0 with this environment\'s NODE_EXTRA_CA_CERTS vs without (what every Node process pays here)', unit: 'ms', value: v, baseline: node, ratio: v / node });
    }
    // Streaming: the whole pipeline's wall time, best of 3 (shell, CLI start-up included).
    const pipe = (cmd: string): number => {
      const t0 = performance.now();
      const r = spawnSync('/bin/sh', ['-c', `${cmd} | wc -c`], { env, encoding: 'utf8', timeout: 120_000 });
      const ms = performance.now() - t0;
      if (r.status !== 0 || r.stdout.trim() !== String(STREAM_BYTES)) throw new Error(`${cmd}: ${r.status} ${(r.stderr || r.stdout).trim().slice(0, 200)}`);
      return STREAM_BYTES / 1e3 / ms;
    };
    const local = `head -c ${STREAM_BYTES} /dev/zero`;
    const viaCli = `"${process.execPath}" "${CLI}" run --connection-uri ${listener.urls[0]!} --credential alice --authentication basic --allow-unencrypted -- ${local}`;
    const streams = { local: [] as number[], cli: [] as number[] };
    for (let i = 0; i < 3; i++) {
      streams.local.push(pipe(local));
      streams.cli.push(pipe(viaCli));
    }
    const [cliMbs, localMbs] = [Math.max(...streams.cli), Math.max(...streams.local)];
    return [
      { name: `cli: wsman run -- head -c ${STREAM_BYTES} /dev/zero | wc -c, our listener (vs the command alone, | wc -c)`, unit: 'MB/s', value: cliMbs, baseline: localMbs, ratio: cliMbs / localMbs },
      row('run', 'wsman run -- echo hi against our listener'),
      ...goRows,
      row('identify', 'wsman identify --unauthenticated'),
      row('version', 'wsman --version'),
      ...caRows,
    ];
  } finally {
    await listener.stop();
    rmSync(goDir, { recursive: true, force: true });
  }
}
