/**
 * Helper process for bench/pwsh-listener.bench.ts (not a bench itself): one listener on 127.0.0.1
 * port 0 (HTTP, Basic alice:secret run as this account, --allow-unencrypted) offering
 * Microsoft.PowerShell served by the pwsh given after N and DELAY_MS.
 * WSMAN_BENCH_LOG=FILE: its log lines (debug) go to FILE. Prints its URL as one JSON line and
 * stops when stdin closes. Its own process, so that its CPU and memory are apart from the bench's.
 */
import { appendFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../src/server/index.js';

// bench/endpoints.ts startListeners passes N and DELAY_MS first (both unused here: one listener, no relay).
const pwsh = process.argv[4];
if (!pwsh) throw new Error('usage: pwsh-listener.ts 1 0 PWSH');
const LOG = process.env.WSMAN_BENCH_LOG;
const users = new UserStore();
users.add({ name: 'alice', hash: await hashPassword('secret', 1024), runAs: userInfo().username });
const l = new WsmanListener({ users, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger(LOG ? 'debug' : 'silent', (line) => appendFileSync(LOG!, `${line}\n`)), pwsh });
const ep = (await l.start())[0];
if (!ep) throw new Error('listener has no endpoint');
process.stdout.write(`${JSON.stringify([ep.url])}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void l.stop().then(() => process.exit(0));
});
