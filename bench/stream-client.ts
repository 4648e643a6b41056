/**
 * Helper process for bench/stream.bench.ts (not a bench itself): our client in a process of its
 * own, as a user's script runs it. `node --expose-gc --import tsx bench/stream-client.ts URL SIZE
 * STEPS`: STEPS is a comma-separated list of `t` (one transfer of `head -c 100000000 /dev/zero`
 * at MaxEnvelopeSize SIZE, Basic) and `gc` (a full GC of this process). Prints one JSON line per
 * transfer: {mbs, cpuMs} (CPU of this process during it).
 */
import { WsmanClient } from '../src/client/client.js';
import { invokeCommand } from '../src/client/invoke.js';

const [url, size, steps] = process.argv.slice(2);
if (!url || !size || !steps) throw new Error('usage: stream-client.ts URL SIZE STEPS');
const SIZE = 100_000_000;
const client = new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true, maxEnvelopeSize: Number(size) });
await invokeCommand(client, { command: 'true' });
for (const step of steps.split(',')) {
  if (step === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    continue;
  }
  let n = 0;
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await invokeCommand(client, { command: 'head', args: ['-c', String(SIZE), '/dev/zero'], onData: (_s, c) => { n += c.length; } });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const c = process.cpuUsage(c0);
  if (n !== SIZE) throw new Error(`received ${n} bytes`);
  process.stdout.write(`${JSON.stringify({ mbs: SIZE / 1e6 / s, cpuMs: (c.user + c.system) / 1000 })}\n`);
}
await client.close();
