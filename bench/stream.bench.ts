/**
 * Streaming throughput end to end on loopback (issue 20): our client library (invokeCommand)
 * receiving the stdout of `head -c 100000000 /dev/zero` from our listener (in a helper process,
 * bench/client-listeners.ts), at MaxEnvelopeSize 512000 and at Windows' default 153600. Baseline:
 * the same command run locally into this process (the pipe's own speed), in the same run. With
 * pywinrm installed, its `run_cmd` of the same command against the same listener (its default
 * envelope, 153600) is a row too, with the ratio ours / pywinrm. MB = 10^6 bytes of stdout.
 * The CPU of the listener process and of this process during each transfer are rows too: on a
 * shared machine the wall time says as much about the other load as about us. Each figure is the
 * best of two transfers, taken in turn. And NTLM-sealed (Negotiate over HTTP) against Basic, both
 * through our client at 512000 (the issue's sealed ÷ plain).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { WsmanClient } from '../src/client/client.js';
import { invokeCommand } from '../src/client/invoke.js';
import type { BenchResult } from './run.js';
import { startListeners } from './endpoints.js';

const SIZE = 100_000_000;
const ARGS = ['-c', String(SIZE), '/dev/zero'];

async function raw(): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn('head', ARGS, { stdio: ['ignore', 'pipe', 'inherit'] });
  let n = 0;
  child.stdout.on('data', (c: Buffer) => { n += c.length; });
  await new Promise((resolve) => child.on('close', resolve));
  if (n !== SIZE) throw new Error(`head gave ${n} bytes`);
  return SIZE / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** CPU time of a process in ms (Linux /proc), or NaN. */
function cpuOfPid(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

interface Run { mbs: number; listenerCpuMs: number; clientCpuMs: number }

async function ours(url: string, pid: number | undefined, maxEnvelopeSize: number, authentication: 'basic' | 'negotiate' = 'basic'): Promise<Run> {
  const client = new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication, allowUnencrypted: true, maxEnvelopeSize });
  await invokeCommand(client, { command: 'true' }); // connection and logon
  let n = 0;
  const l0 = cpuOfPid(pid);
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await invokeCommand(client, { command: 'head', args: ARGS, onData: (_s, c) => { n += c.length; } });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const c = process.cpuUsage(c0);
  await client.close();
  if (n !== SIZE) throw new Error(`received ${n} bytes`);
  return { mbs: SIZE / 1e6 / s, listenerCpuMs: cpuOfPid(pid) - l0, clientCpuMs: (c.user + c.system) / 1000 };
}

const PYWINRM = `
import sys, time, winrm
s = winrm.Session(sys.argv[1], auth=('alice', 'secret'), transport='basic')
t = time.time()
r = s.run_cmd('head', ['-c', sys.argv[2], '/dev/zero'])
d = time.time() - t
assert len(r.std_out) == int(sys.argv[2]), len(r.std_out)
print(d)
`;

const PY = '/usr/bin/python3';

/** Best of `n` (the fastest transfer, with its own CPU figures). */
function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.mbs > a.mbs ? b : a));
}

function pywinrm(url: string): number | undefined {
  // Debian's python3-winrm is for the system Python (as in the interop tests and client.bench.ts).
  const probe = spawnSync(PY, ['-c', 'import winrm'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stderr.write(`bench: stream: pywinrm row skipped (${PY} -c "import winrm" failed: apt install python3-winrm)\n`);
    return undefined;
  }
  const r = spawnSync(PY, ['-c', PYWINRM, url, String(SIZE)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`bench: stream: pywinrm failed: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}\n`);
    return undefined;
  }
  return SIZE / 1e6 / Number(r.stdout.trim());
}

export async function run(): Promise<BenchResult[]> {
  const listeners = await startListeners(1);
  if (!listeners) return [];
  try {
    const url = listeners.urls[0]!;
    const floor = await raw();
    const bigs: Run[] = [];
    const wins: Run[] = [];
    const sealed: Run[] = [];
    for (let i = 0; i < 2; i++) {
      bigs.push(await ours(url, listeners.pid, 512_000));
      wins.push(await ours(url, listeners.pid, 153_600));
      sealed.push(await ours(url, listeners.pid, 512_000, 'negotiate'));
    }
    const [big, win, seal] = [best(bigs), best(wins), best(sealed)];
    const py = pywinrm(url);
    const rows: BenchResult[] = [];
    for (const [size, r] of [[512000, big], [153600, win]] as const) {
      rows.push({ name: `stream: client Receive, 100 MB stdout, MaxEnvelopeSize ${size} (vs the command locally)`, unit: 'MB/s', value: r.mbs, baseline: floor, ratio: r.mbs / floor });
      // CPU is what a loaded machine does not blur: the wall-time rows above depend on the other load.
      rows.push({ name: `stream: listener CPU per 100 MB at ${size}`, unit: 'ms', value: r.listenerCpuMs });
      rows.push({ name: `stream: client CPU per 100 MB at ${size}`, unit: 'ms', value: r.clientCpuMs });
    }
    rows.push({ name: 'stream: client Receive NTLM-sealed (Negotiate over HTTP) vs Basic, 100 MB at 512000', unit: 'MB/s', value: seal.mbs, baseline: big.mbs, ratio: seal.mbs / big.mbs });
    rows.push({ name: 'stream: listener CPU per 100 MB sealed at 512000', unit: 'ms', value: seal.listenerCpuMs });
    rows.push({ name: 'stream: client CPU per 100 MB sealed at 512000', unit: 'ms', value: seal.clientCpuMs });
    if (py !== undefined) rows.push({ name: 'stream: client Receive at 153600 vs pywinrm run_cmd (its default envelope), same listener', unit: 'MB/s', value: win.mbs, baseline: py, ratio: win.mbs / py });
    return rows;
  } finally {
    await listeners.stop();
  }
}
