/**
 * Helper process for bench/client.bench.ts (not a bench itself): starts N listeners on
 * 127.0.0.1 port 0 (HTTP, Basic user alice:secret, --allow-unencrypted), prints their URLs as one
 * JSON line, and stops them when stdin closes; alice may use Negotiate too. Running the listeners in their own process keeps
 * their CPU off the client's event loop, as on a real network.
 *
 * `node --import tsx bench/client-listeners.ts N [DELAY_MS] [HASH]`: with DELAY_MS, each listener
 * sits behind a TCP relay that holds every chunk DELAY_MS in each direction (a WAN round trip of
 * 2 × DELAY_MS), and the printed URLs are the relays'. HASH is how alice's password is stored:
 * `cheap` (default: scrypt N=1024, as `wsman listen --user` hashes), `default` (hashPassword's
 * default cost, what `wsman user add` writes), or `users-file` (a users file written by
 * addUserToFile, as `wsman user add` does, loaded by loadUsersFile, as `--users-file` does).
 * With a fifth argument `https`, each listener also listens on HTTPS (a self-signed certificate
 * made here: clients skip the CA and name checks), and the printed list has the N HTTP URLs and
 * then the N HTTPS ones (no relays then).
 */
import { userInfo, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WsmanListener, UserStore, hashPassword, createLogger, addUserToFile, loadUsersFile } from '../src/server/index.js';
import { selfSigned, thumbprintOfPem, type TlsMaterial } from '../src/server/tls.js';
import { ntHash } from '../src/auth/ntlm/compute.js';

const n = Number(process.argv[2] ?? '1');
const delayMs = Number(process.argv[3] ?? '0');
const hashKind = process.argv[4] ?? 'cheap';
const https = process.argv[5] === 'https';
if (https && delayMs > 0) throw new Error('client-listeners: https has no relays');
const users = new UserStore();
// With an NT hash: Negotiate (NTLM sealing over HTTP) works too (bench/stream.bench.ts).
if (hashKind === 'users-file') {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsman-bench-'));
  try {
    const file = path.join(dir, 'users');
    await addUserToFile(file, 'alice', 'secret', userInfo().username, Buffer.from(ntHash('secret')).toString('hex'));
    loadUsersFile(file, users);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const hash = hashKind === 'default' ? await hashPassword('secret') : await hashPassword('secret', 1024);
  users.add({ name: 'alice', hash, ntHash: ntHash('secret'), runAs: userInfo().username });
}
const listeners: WsmanListener[] = [];
const relays: ReturnType<typeof createServer>[] = [];
const urls: string[] = [];
const httpsUrls: string[] = [];
let tls: TlsMaterial | undefined;
if (https) {
  const { cert, key } = selfSigned(['127.0.0.1']);
  tls = { cert, key, thumbprint: thumbprintOfPem(cert) };
}

/** Copy `from` to `to`, each chunk delayed; order is kept because every chunk waits the same. */
function delayedPipe(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => { setTimeout(() => { if (!to.destroyed) to.write(chunk); }, delayMs); });
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
}

async function relay(port: number): Promise<number> {
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    delayedPipe(client, upstream);
    delayedPipe(upstream, client);
  });
  relays.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

for (let i = 0; i < n; i++) {
  const l = new WsmanListener({ users, httpPort: 0, httpsPort: tls ? 0 : null, ...(tls ? { tls } : {}), allowUnencrypted: true, logger: createLogger('silent') });
  const [ep, secure] = await l.start();
  listeners.push(l);
  if (!ep) throw new Error('listener has no endpoint');
  urls.push(delayMs > 0 ? `http://127.0.0.1:${await relay(ep.port)}/wsman` : ep.url);
  if (tls && !secure) throw new Error('listener has no HTTPS endpoint');
  if (secure) httpsUrls.push(secure.url);
}
process.stdout.write(`${JSON.stringify([...urls, ...httpsUrls])}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const r of relays) r.close();
  void Promise.all(listeners.map((l) => l.stop())).then(() => process.exit(0));
});
