/**
 * Helper process for bench/sealing.bench.ts (not a bench itself): one listener on 127.0.0.1 port 0
 * (HTTP, user bench:bench with an NT hash, unsealed traffic allowed for the Basic baseline), its URL
 * printed as one line, stopped when stdin closes. In its own process the listener seals while the
 * client unseals, as two machines would.
 */
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger, defaultConfig } from '../src/server/index.js';
import { ntHash } from '../src/auth/index.js';

const users = new UserStore();
users.add({ name: 'bench', hash: await hashPassword('bench', 1024), ntHash: ntHash('bench'), runAs: userInfo().username });
const config = defaultConfig();
config.clientKeepAliveMs = 0;
const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent') });
const [ep] = await listener.start();
process.stdout.write(`${ep!.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => void listener.stop().then(() => process.exit(0)));
