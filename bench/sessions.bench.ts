/**
 * Disconnected-session benches against our listener, in this process, on loopback (HTTP, Basic):
 *
 *  - `sessions: enumerate 1,000 disconnected shells`: the shell enumeration of Get-PSSession
 *    -ComputerName through the library (Enumerate + Pulls, every item a PSSession), median of 5, ms;
 *    and the whole Get-PSSession, which also enumerates each shell's commands (1,000 more
 *    requests, as PowerShell does), median of 3.
 *  - `sessions: listener heap per disconnected shell`: heap after creating and disconnecting 1,000
 *    shells minus before (after GC; client objects dropped), divided by 1,000, KiB. Needs
 *    `--expose-gc` (npm run bench passes it); without it the entry is skipped.
 *  - `sessions: reconnect + receive 100 MiB buffered`: a command wrote 100 MiB while its session
 *    was disconnected (the buffer is made large enough to hold it); another client connects and
 *    receives all of it: MB/s (MiB/s) for the whole Connect + Receive, MaxEnvelopeSize 500 KiB.
 *
 * Client and listener share one event loop, so the receive rate is a floor for a remote client.
 */
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../src/server/index.js';
import { defaultConfig } from '../src/server/config.js';
import { WsmanClient } from '../src/client/client.js';
import { Shell, newGuid } from '../src/client/shell.js';
import { SessionManager } from '../src/client/sessions/index.js';
import { enumerateCommands } from '../src/client/sessions/enumerate.js';
import type { ClientOptions } from '../src/client/options.js';
import type { BenchResult } from './run.js';

const SHELLS = 1000;
const MIB = 1024 * 1024;
const BIG = 100 * MIB;

async function listener(): Promise<{ l: WsmanListener; options: ClientOptions }> {
  const users = new UserStore();
  users.add({ name: 'alice', hash: await hashPassword('secret', 1024), runAs: userInfo().username });
  const config = defaultConfig();
  config.configurations[0]!.maxShellsPerUser = SHELLS * 2;
  config.configurations[0]!.outputBufferBytes = BIG + 8 * MIB;
  // The 100 MiB held while disconnected is over the default per-user budget (64 MB), which would
  // keep the command paused (Block) and never Done.
  config.maxMemoryPerUserMB = 0;
  const l = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent') });
  const [ep] = await l.start();
  return { l, options: { endpoint: { connectionUri: ep!.url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true } };
}

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return false;
  g();
  g();
  return true;
}

/** Create and disconnect `n` shells, 8 at a time, keeping no client object. */
async function fill(options: ClientOptions, n: number): Promise<void> {
  const client = new WsmanClient(options);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const sh = await Shell.open(client, { shellId: newGuid(), name: `bench-${next}` });
      await sh.disconnect();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await client.close();
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const { l, options } = await listener();
  try {
    const haveGc = gc();
    const before = process.memoryUsage().heapUsed;
    await fill(options, SHELLS);
    gc();
    const after = process.memoryUsage().heapUsed;
    if (haveGc) out.push({ name: 'sessions: listener heap per disconnected shell', unit: 'KiB', value: (after - before) / SHELLS / 1024 });

    for (const commands of [false, true]) {
      const times: number[] = [];
      for (let i = 0; i < (commands ? 3 : 5); i++) {
        const m = new SessionManager();
        const t0 = performance.now();
        const found = await m.getSessions(options, {}, { commands });
        times.push(performance.now() - t0);
        if (found.length !== SHELLS) throw new Error(`enumerated ${found.length} shells, expected ${SHELLS}`);
        await m.closeConnections();
      }
      times.sort((a, b) => a - b);
      out.push({
        name: commands ? 'sessions: Get-PSSession 1,000 disconnected shells (+ commands of each)' : 'sessions: enumerate 1,000 disconnected shells',
        unit: 'ms', value: times[Math.floor(times.length / 2)]!,
      });
    }
    for (const s of l.core.store.all()) l.core.store.delete(s.id);

    const big = { ...options, maxEnvelopeSize: 500 * 1024 };
    const a = new SessionManager();
    const s = await a.invokeInDisconnectedSession(big, `head -c ${BIG} /dev/zero | tr '\\0' 'x'`, [], { name: 'big', outputBufferingMode: 'Block' });
    const probe = new WsmanClient(big);
    // A command that cannot finish (paused by a quota) fails the bench instead of hanging it.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [c] = await enumerateCommands(probe, s.instanceId);
      if (c?.state === 'Done') break;
      if (Date.now() > deadline) throw new Error(`the ${BIG}-byte command is not Done after 120 s (state ${c?.state}): paused by a quota?`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await probe.close();
    const b = new SessionManager();
    const t0 = performance.now();
    const [t] = await b.getSessions(big, { instanceId: s.instanceId });
    let bytes = 0;
    await b.receive(t!, { onData: (_st, c) => { bytes += c.length; } });
    const secs = (performance.now() - t0) / 1000;
    if (bytes !== BIG) throw new Error(`received ${bytes} bytes, expected ${BIG}`);
    out.push({ name: 'sessions: reconnect + receive 100 MiB buffered', unit: 'MB/s', value: BIG / MIB / secs });
    await b.remove(t!);
    await a.closeConnections();
    await b.closeConnections();
  } finally {
    await l.stop();
  }
  return out;
}
