/**
 * Helper process for bench/quotas.bench.ts (not a bench itself): one listener on 127.0.0.1 port 0
 * (HTTP, user bench:bench), configured by the JSON `--config` object in argv[2], its URL printed as
 * one line. It answers `{ op: 'mem', gc }` on its IPC channel with its own memory figures (after
 * a full collection when `gc`), so that the bench measures the listener alone, not its client.
 * Stopped when the IPC channel closes.
 */
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger, parseConfig } from '../src/server/index.js';

const users = new UserStore();
users.add({ name: 'bench', hash: await hashPassword('bench', 1024), runAs: userInfo().username });
const config = parseConfig(JSON.parse(process.argv[2] ?? '{}'));
config.clientKeepAliveMs = 0;
const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent') });
const [ep] = await listener.start();

export interface MemReport { rss: number; heapUsed: number; heapTotal: number; arrayBuffers: number; external: number }

process.on('message', (m: { op: string; gc?: boolean }) => {
  if (m.op !== 'mem') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (m.gc && gc) {
    gc();
    gc();
  }
  const u = process.memoryUsage();
  const r: MemReport = { rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, arrayBuffers: u.arrayBuffers, external: u.external };
  process.send?.(r);
});
process.on('disconnect', () => void listener.stop().then(() => process.exit(0)));
process.stdout.write(`${ep!.url}\n`);
