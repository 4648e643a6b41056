/**
 * A listener in a process of its own, for benches that measure it from outside (its RSS per
 * disconnected shell, the requests a client sends it). Started by a bench with an IPC channel:
 * sends `{ url }` once listening, then answers `'count'` with `{ requests }` (HTTP requests
 * answered so far, from its request log lines) and `'mem'` with process.memoryUsage() after GC.
 * Logging is at 'info' into a counter (no output). Run with --expose-gc.
 */
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../src/server/index.js';
import { defaultConfig } from '../src/server/config.js';

const shells = Number(process.env.BENCH_MAX_SHELLS ?? '4000');
let requests = 0;
const users = new UserStore();
users.add({ name: 'alice', hash: await hashPassword('secret', 1024), runAs: userInfo().username });
const config = defaultConfig();
config.configurations[0]!.maxShellsPerUser = shells;
const logger = createLogger('info', (line) => { if (line.includes('"msg":"request"')) requests++; });
const l = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger });
const [ep] = await l.start();

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
}

process.on('message', (m) => {
  if (m === 'count') process.send!({ requests });
  else if (m === 'mem') {
    gc();
    process.send!({ mem: process.memoryUsage() });
  } else if (m === 'stop') {
    void l.stop().then(() => process.exit(0));
  }
});
process.on('disconnect', () => { void l.stop().then(() => process.exit(0)); });
process.send!({ url: ep!.url });
