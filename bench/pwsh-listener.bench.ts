/**
 * PowerShell through our listener against `pwsh -s` reached directly over stdio (the floor), with
 * the same client (RunspacePool / PowerShell of src/client/psrp) in the same run; ratio =
 * listener / direct:
 * - small pipelines (`1+1`) per second in one pool;
 * - output objects per second of `1..200000`;
 * - the time to open a pool (New-PSSession: pwsh started, negotiation, Opened), median of 5;
 * - memory per idle PowerShell shell: the resident memory of its pwsh processes (a .NET tool's
 *   pwsh is a launcher with `dotnet pwsh.dll` below it: both count) plus the listener's growth
 *   per shell (its process RSS, measured with 4 idle shells open), against one direct `pwsh -s`.
 * The listener runs in a helper process (bench/pwsh-listener.ts). Skipped without pwsh.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { RunspacePool, PowerShell, type RunspaceTarget } from '../src/client/psrp/powershell.js';
import { findPwsh } from '../src/server/pwsh-find.js';
import { startListeners } from './endpoints.js';
import type { BenchResult } from './types.js';

const IDLE_SHELLS = 4;

/** Resident memory of a process in bytes (VmRSS), 0 when it is gone. */
function rss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pwsh -s processes below `root` (any depth). */
function pwshBelow(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid), n = 0; p !== undefined && n < 20; p = parent.get(p), n++) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => {
    if (!below(pid)) return false;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((a) => /pwsh(\.dll)?$/.test(a)) && argv.includes('-s');
    } catch {
      return false;
    }
  });
}

async function throughput(target: RunspaceTarget): Promise<{ pipelines: number; objects: number }> {
  const pool = await RunspacePool.open(target);
  try {
    await PowerShell.create(pool).addScript('1').invoke();
    let n = 0;
    const t0 = process.hrtime.bigint();
    while (process.hrtime.bigint() - t0 < 3_000_000_000n) {
      await PowerShell.create(pool).addScript('1+1').invoke();
      n++;
    }
    const pipelines = n / (Number(process.hrtime.bigint() - t0) / 1e9);
    const t1 = process.hrtime.bigint();
    const out = await PowerShell.create(pool).addScript('1..200000').invoke();
    const objects = out.length / (Number(process.hrtime.bigint() - t1) / 1e9);
    if (out.length !== 200000) throw new Error(`1..200000 gave ${out.length} objects`);
    return { pipelines, objects };
  } finally {
    await pool.close();
  }
}

/** Median time in ms to open a pool (New-PSSession: pwsh started, Opened) over `n` opens, each closed after. */
async function openLatency(target: RunspaceTarget, n = 5): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const pool = await RunspacePool.open(target);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await pool.close();
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(n / 2)]!;
}

/** Let pwsh settle after opening (JIT, GC) before its memory is read. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 3000));

export async function run(): Promise<BenchResult[]> {
  const pwsh = findPwsh();
  if (!pwsh) {
    process.stderr.write('bench pwsh-listener: no pwsh found (PATH, /opt/powershell, ~/.dotnet/tools): skipped\n');
    return [];
  }
  const direct: RunspaceTarget = { outOfProcess: { executable: pwsh } };
  const listeners = await startListeners(1, 0, 'pwsh-listener.ts', [pwsh]);
  if (!listeners) return [];
  try {
    const viaListener: RunspaceTarget = {
      endpoint: { connectionUri: listeners.urls[0]! }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true,
    };
    const floor = await throughput(direct);
    const ours = await throughput(viaListener);
    const openDirect = await openLatency(direct);
    const openOurs = await openLatency(viaListener);

    // Memory of one idle shell: direct pwsh -s …
    const d = await RunspacePool.open(direct);
    await settle();
    const directRss = pwshBelow(process.pid).reduce((s, p) => s + rss(p), 0);
    await d.close();
    // … and through the listener: its pwsh processes plus the listener's own growth.
    const helper = listeners.pid!;
    const before = rss(helper);
    const pools: RunspacePool[] = [];
    for (let i = 0; i < IDLE_SHELLS; i++) pools.push(await RunspacePool.open(viaListener));
    await settle();
    const pids = pwshBelow(helper);
    const perShell = (pids.reduce((s, p) => s + rss(p), 0) + Math.max(0, rss(helper) - before)) / IDLE_SHELLS;
    await Promise.all(pools.map((p) => p.close()));

    const mb = 1024 * 1024;
    return [
      { name: 'pwsh via listener vs pwsh -s direct: small pipelines (1+1) per second in one pool', unit: 'pipelines/s', value: ours.pipelines, baseline: floor.pipelines, ratio: ours.pipelines / floor.pipelines },
      { name: 'pwsh via listener vs pwsh -s direct: output objects per second (1..200000)', unit: 'objects/s', value: ours.objects, baseline: floor.objects, ratio: ours.objects / floor.objects },
      { name: 'pwsh via listener vs pwsh -s direct: time to open a pool (pwsh started to Opened), median of 5', unit: 'ms', value: openOurs, baseline: openDirect, ratio: openOurs / openDirect },
      { name: `pwsh via listener vs pwsh -s direct: memory per idle PowerShell shell (pwsh RSS + listener growth, ${IDLE_SHELLS} shells)`, unit: 'MB', value: perShell / mb, baseline: directRss / mb, ratio: perShell / directRss },
    ];
  } finally {
    await listeners.stop();
  }
}
