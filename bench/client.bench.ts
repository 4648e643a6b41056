/**
 * Client benches on loopback (HTTP, Basic; our listener with --allow-unencrypted, or simulated computers):
 *
 *  - `client: 100 x true`: 100 commands `true` through invokeCommand in this process (Create,
 *    Command, Receive, Delete: a command that is Done needs no Signal before its shell's Delete),
 *    against the same 100 through pywinrm (`Session.run_cmd`: Create, Command, Receive, Signal,
 *    Delete; timed inside Python so interpreter start-up is not counted), same listener, same
 *    run. Ratio = ours / pywinrm (target ≤ 0.5). Both share the listener's time per command,
 *    which bounds the ratio from below: `bare client` (bench/bare-client.ts: the same four
 *    requests as prepared envelopes on one socket, next to no CPU) measures that bound.
 *    `client CPU per round trip vs pywinrm` shows what each client itself costs, and
 *    `the clients alone` runs both against a simulated computer (bench/remote-computers.ts)
 *    that answers at once, with no listener or process to share, and `a minimal endpoint` the
 *    same with one fork per command, the least any listener here must spend to run a command
 *    (the ratio's bound through any listener on this machine); `warm` rows repeat ours after
 *    1500 more commands, once V8 has optimised the code (the runs above are mostly before that),
 *    and `through our listener, ours warm` repeats the target's comparison with that warm code.
 *  - `client: fan-out 200 endpoints, ThrottleLimit 32`: one `true` on each of 200 endpoints
 *    through invokeOnComputers (a new connection and a logon each), against (200 / 32) × one
 *    round trip: the same alone on one of them, just before (new client, median of 9). Target
 *    ≤ 1.3; the simulated fan-out is run three times and the median kept. 200 commands on 32
 *    slots take at least 7 round trips, so 7 / 6.25 = 1.12 is the floor. Three kinds of endpoint:
 *     1. simulated remote computers (bench/remote-computers.ts) answering each request 40 ms
 *        after it arrives, at almost no CPU here: as a real fan-out, where each computer runs
 *        the listener and the command on its own CPU. This is the client's fan-out, and the
 *        figure the target is about.
 *     2. our listener, 200 of them on loopback in one helper process;
 *     3. the same behind a relay adding 20 ms each way.
 *    In 2 and 3 the 200 listeners, their 200 processes and the client share this machine's two
 *    cores, and that CPU, not waiting, sets the wall time (the listener process's CPU is
 *    reported beside it): they measure this machine more than the client.
 *  - issue 20's `200 × Basic within 1.2× of 200 × Negotiate` (bench/basic-fanout.ts): the
 *    listener process's CPU for the fan-out on loopback with Basic, alice's hash at the real
 *    scrypt cost (as `wsman user add` writes it; the rows above use a cheap one), against the
 *    same with Negotiate; once with the hash made in memory, once read from a users file.
 * The listeners run in a helper process (bench/client-listeners.ts) so that their CPU does not
 * share the client's event loop. Skips (with a message) when the listener or pywinrm is missing.
 */
import { spawnSync } from 'node:child_process';
import { WsmanClient } from '../src/client/client.js';
import { invokeCommand, invokeOnComputers, type FanOutResult } from '../src/client/invoke.js';
import type { ClientOptions } from '../src/client/options.js';
import type { BenchResult } from './run.js';
import { BareClient } from './bare-client.js';
import { startListeners, cpuOfPid, type Listeners } from './endpoints.js';
import { basicVsNegotiate } from './basic-fanout.js';

const USER = { username: 'alice', password: 'secret' };
const N = 100;
/** Commands run before the warm figures: enough for V8 to have optimised the hot paths. */
const WARM = 1500;
const ENDPOINTS = 200;
const THROTTLE = 32;
/** One-way delay of the relay in the last fan-out (a 40 ms round trip, a nearby data centre). */
const RELAY_DELAY_MS = 20;
/** How long a simulated remote computer takes to answer a request (network round trip and work). */
const REMOTE_DELAY_MS = 40;

function options(url: string): ClientOptions {
  return { endpoint: { connectionUri: url }, credential: USER, authentication: 'basic', allowUnencrypted: true };
}

interface Sequential { wallMs: number; clientCpuMs: number; listenerCpuMs: number | undefined }

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : ((s[m - 1]! + s[m]!) / 2);
}

async function oursSequential(url: string, pid: number | undefined): Promise<Sequential> {
  const client = new WsmanClient(options(url));
  for (let i = 0; i < 30; i++) await invokeCommand(client, { command: 'true' }); // warm-up: connection, JIT on both sides
  const cpu0 = process.cpuUsage();
  const l0 = cpuOfPid(pid);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await invokeCommand(client, { command: 'true' });
    if (r.exitCode !== 0) throw new Error(`true exited ${r.exitCode}`);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const l1 = cpuOfPid(pid);
  await client.close();
  return { wallMs, clientCpuMs: (cpu.user + cpu.system) / 1000, listenerCpuMs: l0 !== undefined && l1 !== undefined ? l1 - l0 : undefined };
}

/** Wall time of N commands through BareClient (bench/bare-client.ts): the listener's share alone. */
async function bareSequential(url: string): Promise<number> {
  const bare = new BareClient(url, USER);
  try {
    for (let i = 0; i < 30; i++) await bare.run();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const code = await bare.run();
      if (code !== 0) throw new Error(`true exited ${code} (bare client)`);
    }
    return performance.now() - t0;
  } finally {
    bare.close();
  }
}

const PY = `
import sys, time, resource, winrm
url, n = sys.argv[1], int(sys.argv[2])
s = winrm.Session(url, auth=('${USER.username}', '${USER.password}'), transport='basic')
for _ in range(30):
    s.run_cmd('true')
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0 = cpu()
t0 = time.perf_counter()
for _ in range(n):
    r = s.run_cmd('true')
    assert r.status_code == 0, r.status_code
print((time.perf_counter() - t0) * 1000, (cpu() - c0) * 1000)
`;

/** Wall and CPU time of N run_cmd in pywinrm, in ms; undefined when pywinrm is not installed. */
function pywinrm(url: string): { wallMs: number; cpuMs: number } | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', PY, url, String(N)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    process.stderr.write(`client bench: pywinrm baseline skipped (${(r.stderr || r.error?.message || 'failed').trim().split('\n').pop()})\n`);
    return undefined;
  }
  const [wallMs, cpuMs] = r.stdout.trim().split(/\s+/).map(Number);
  return { wallMs: wallMs ?? NaN, cpuMs: cpuMs ?? NaN };
}

async function fanOut(delayMs: number, remote = false): Promise<BenchResult[]> {
  const listeners = await startListeners(ENDPOINTS, delayMs, remote ? 'remote-computers.ts' : 'client-listeners.ts');
  if (!listeners) return [];
  try {
    const first = listeners.urls[0];
    if (!first) return [];
    // One round trip alone, as each computer of the fan-out gets it (a new client: a new
    // connection and a logon, then Create..Delete): the median of 9, after a warm-up.
    const one = async (): Promise<number> => {
      const t = performance.now();
      const c = new WsmanClient(options(first));
      try {
        await invokeCommand(c, { command: 'true' });
      } finally {
        await c.close();
      }
      return performance.now() - t;
    };
    await one();
    const single: number[] = [];
    for (let i = 0; i < 9; i++) single.push(await one());
    const rt = median(single);
    // The simulated fan-out is cheap: three runs, the median (this VM's speed drifts).
    const runs: { total: number; cpuMs: number; listenerMs: number | undefined; results: FanOutResult[] }[] = [];
    for (let r = 0; r < (remote ? 3 : 1); r++) {
      const cpu0 = process.cpuUsage();
      const l0 = cpuOfPid(listeners.pid);
      const t0 = performance.now();
      const results = await invokeOnComputers(listeners.urls.map((u) => options(u)), { command: 'true' }, { throttleLimit: THROTTLE });
      const total = performance.now() - t0;
      const l1 = cpuOfPid(listeners.pid);
      const c1 = process.cpuUsage(cpu0);
      runs.push({ total, cpuMs: (c1.user + c1.system) / 1000, listenerMs: l0 !== undefined && l1 !== undefined ? l1 - l0 : undefined, results });
    }
    // Every run must have succeeded, not only the one reported.
    const failed = runs.flatMap((r) => r.results).filter((r) => r.error || r.exitCode !== 0);
    if (failed.length) throw new Error(`${failed.length} endpoints failed: ${failed[0]?.error?.message ?? `exit ${failed[0]?.exitCode}`}`);
    runs.sort((a, b) => a.total - b.total);
    const { total, cpuMs, listenerMs } = runs[runs.length >> 1]!;
    const baseline = (ENDPOINTS / THROTTLE) * rt;
    const net = remote ? `, computers answering in ${delayMs} ms (simulated)`
      : delayMs > 0 ? `, our listeners behind a ${2 * delayMs} ms RTT relay` : ', our listeners on loopback';
    const rows: BenchResult[] = [
      { name: `client: one round trip (Create..Delete, true${net})`, unit: 'ms', value: rt },
      { name: `client: fan-out ${ENDPOINTS} endpoints, ThrottleLimit ${THROTTLE}${net} (vs ${ENDPOINTS}/${THROTTLE} x round trip)`, unit: 'ms', value: total, baseline, ratio: total / baseline },
      { name: `client: client CPU during the fan-out${net}`, unit: 'ms', value: cpuMs },
    ];
    // Our listeners (and relays) share one event loop: its CPU is the floor of the fan-out's wall time.
    if (!remote && listenerMs !== undefined) {
      rows.push({ name: `client: listener-process CPU during the fan-out${net} (the floor)`, unit: 'ms', value: listenerMs, baseline: total, ratio: listenerMs / total });
    }
    return rows;
  } finally {
    await listeners.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const l = await startListeners(1);
  if (!l) return [];
  try {
    const url = l.urls[0] ?? '';
    // Three runs each, interleaved so that no side gets the warmer listener or the quieter
    // moment; medians are compared (this VM's speed drifts).
    const ours: Sequential[] = [];
    const py: { wallMs: number; cpuMs: number }[] = [];
    const bare: number[] = [];
    for (const who of ['ours', 'py', 'bare', 'bare', 'py', 'ours', 'ours', 'bare', 'py'] as const) {
      if (who === 'ours') ours.push(await oursSequential(url, l.pid));
      else if (who === 'bare') bare.push(await bareSequential(url));
      else {
        const r = pywinrm(url);
        if (r) py.push(r);
      }
    }
    const oursWall = median(ours.map((r) => r.wallMs));
    const oursCpu = median(ours.map((r) => r.clientCpuMs)) / N;
    const pyWall = py.length ? median(py.map((r) => r.wallMs)) : undefined;
    const pyCpu = py.length ? median(py.map((r) => r.cpuMs)) / N : undefined;
    out.push(pyWall === undefined
      ? { name: `client: ${N} x true (full round trips)`, unit: 'ms', value: oursWall }
      : { name: `client: ${N} x true vs pywinrm (wall time, median of 3)`, unit: 'ms', value: oursWall, baseline: pyWall, ratio: oursWall / pyWall });
    if (pyWall !== undefined) {
      const bareWall = median(bare);
      out.push({ name: `client: ${N} x true, bare client (prepared envelopes, one socket) vs pywinrm: the floor under any client's ratio`, unit: 'ms', value: bareWall, baseline: pyWall, ratio: bareWall / pyWall });
    }
    out.push(pyCpu === undefined
      ? { name: 'client: client CPU per round trip', unit: 'ms', value: oursCpu }
      : { name: 'client: client CPU per round trip vs pywinrm (what the client itself costs)', unit: 'ms', value: oursCpu, baseline: pyCpu, ratio: oursCpu / pyCpu });
    const listenerCpu = ours.map((r) => r.listenerCpuMs).filter((v): v is number => v !== undefined);
    if (listenerCpu.length) {
      out.push({ name: 'client: listener CPU per round trip (shared by both clients; the fan-out floor)', unit: 'ms', value: median(listenerCpu) / N });
    }
  } finally {
    await l.stop();
  }
  out.push(...await minimalEndpoint());
  out.push(...await clientsAlone());
  out.push(...await warmThroughListener());
  out.push(...await fanOut(REMOTE_DELAY_MS, true));
  out.push(...await fanOut(0));
  out.push(...await fanOut(RELAY_DELAY_MS));
  out.push(...await basicVsNegotiate());
  return out;
}

/** Ours and pywinrm, three runs each, interleaved, against `url`: the median wall times; undefined without pywinrm. */
async function oursAndPywinrm(url: string): Promise<{ o: number; p: number } | undefined> {
  const ours: number[] = [];
  const py: number[] = [];
  for (const who of ['ours', 'py', 'py', 'ours', 'ours', 'py'] as const) {
    if (who === 'ours') ours.push((await oursSequential(url, undefined)).wallMs);
    else {
      const r = pywinrm(url);
      if (r) py.push(r.wallMs);
    }
  }
  return py.length ? { o: median(ours), p: median(py) } : undefined;
}

/** Start an endpoint, compare ours with pywinrm on it (medians), then `rows` while it still runs; stop it. */
async function compareOn(start: () => Promise<Listeners | undefined>, rows: (url: string, o: number, p: number) => Promise<BenchResult[]>): Promise<BenchResult[]> {
  const l = await start();
  if (!l) return [];
  try {
    const url = l.urls[0] ?? '';
    const medians = await oursAndPywinrm(url);
    return medians ? await rows(url, medians.o, medians.p) : [];
  } finally {
    await l.stop();
  }
}

/**
 * The target's comparison again, once this process's code is warm (clientsAlone ran WARM
 * commands just before): a new listener, ours and pywinrm interleaved, medians. What is left of
 * the ratio is the listener's and the process's share, which both clients pay.
 */
async function warmThroughListener(): Promise<BenchResult[]> {
  return compareOn(() => startListeners(1), async (_url, o, p) => [
    { name: `client: ${N} x true vs pywinrm through our listener, ours warm (after ${WARM} commands in this process)`, unit: 'ms', value: o, baseline: p, ratio: o / p },
  ]);
}

/**
 * The target's comparison against the cheapest endpoint that still really runs each command: a
 * simulated computer that answers at once, except that each Command forks one process (a dash
 * subshell running `true`: no exec, no Node spawn) and its Receive waits for that process's exit.
 * Any listener on this machine costs at least this much per command, and both clients pay it, so
 * this ratio is a lower bound for the target's through any listener here.
 */
async function minimalEndpoint(): Promise<BenchResult[]> {
  return compareOn(() => startListeners(1, 0, 'remote-computers.ts', ['fork']), async (_url, o, p) => [
    { name: `client: ${N} x true vs pywinrm, against a minimal endpoint that forks one process per command (the bound through any listener here)`, unit: 'ms', value: o, baseline: p, ratio: o / p },
  ]);
}

/** The two clients against a simulated computer that answers at once: what each client costs, without a listener's share. */
async function clientsAlone(): Promise<BenchResult[]> {
  return compareOn(() => startListeners(1, 0, 'remote-computers.ts'), async (url, o, p) => {
    const rows: BenchResult[] = [{ name: `client: ${N} x true vs pywinrm, against a simulated computer answering at once (the clients alone)`, unit: 'ms', value: o, baseline: p, ratio: o / p }];
    // The runs above are short: V8 is still compiling our code (and undici's) for much of them.
    // What the same client costs once warm, after WARM commands in this process.
    const client = new WsmanClient(options(url));
    try {
      for (let i = 0; i < WARM; i++) await invokeCommand(client, { command: 'true' });
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await invokeCommand(client, { command: 'true' });
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      rows.push({ name: `client: ${N} x true vs pywinrm, the clients alone, ours warm (after ${WARM} more commands)`, unit: 'ms', value: wall, baseline: p, ratio: wall / p });
      rows.push({ name: `client: client CPU per round trip, warm (after ${WARM} more commands)`, unit: 'ms', value: (cpu.user + cpu.system) / 1000 / N });
    } finally {
      await client.close();
    }
    return rows;
  });
}
