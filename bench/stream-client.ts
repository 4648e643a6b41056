/**
 * Helper process for bench/stream.bench.ts (not a bench itself): our client in a process of its
 * own, as a user's script runs it. `node --expose-gc --import tsx bench/stream-client.ts URL SIZE
 * STEPS [AUTH]`: STEPS is a comma-separated list of `t` (one transfer of `head -c 100000000
 * /dev/zero` at MaxEnvelopeSize SIZE) and `gc` (a full GC of this process); AUTH is `basic`
 * (default) or `negotiate` (NTLM-sealed over http://, TLS over https://, where the helper's
 * self-signed certificate is taken without the CA and name checks). Prints one JSON line per
 * transfer: {mbs, cpuMs} (CPU of this process during it).
 */
import { WsmanClient } from '../src/client/client.js';
import { invokeCommand } from '../src/client/invoke.js';

const [url, size, steps, auth = 'basic'] = process.argv.slice(2);
if (!url || !size || !steps || (auth !== 'basic' && auth !== 'negotiate')) throw new Error('usage: stream-client.ts URL SIZE STEPS [basic|negotiate]');
const SIZE = 100_000_000;
const tls = url.startsWith('https:') ? { skipCACheck: true, skipCNCheck: true } : {};
const client = new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication: auth, allowUnencrypted: true, maxEnvelopeSize: Number(size), ...tls });
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
