/**
 * Auth benchmarks: NTLM seal + unseal throughput of 500 KB SOAP bodies through the HTTP message
 * encryption framing (client seals, server unseals, and back), against a plain copy of the same
 * bytes in the same run; and NTLM handshakes per second (client + server in memory). And the two
 * per-byte costs of NTLM sealing alone (issue 20's sealed ÷ plain bound): our RC4 against
 * OpenSSL's own (its legacy provider, in a `node --openssl-legacy-provider` child: Node's OpenSSL 3
 * has no RC4 by default), and HMAC-MD5 (node:crypto).
 */
import { createClientAuthSync, createServerAuth, ntHash, sealBody, unsealBody, type ClientAuth, type ServerAuth } from '../src/auth/index.js';
import type { BenchResult } from './types.js';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Rc4 } from '../src/auth/crypto/rc4.js';
import { UserStore, hashPassword } from '../src/server/users.js';
import { BasicAuthenticator } from '../src/server/auth.js';


const BODY = 500 * 1024;

function pair(): { client: ClientAuth; server: ServerAuth } {
  const hash = ntHash('bench-password');
  const client = createClientAuthSync({ mechanism: 'negotiate', username: 'bench', password: 'bench-password' });
  const server = createServerAuth('Negotiate', { ntlm: { lookup: () => hash } });
  if (!server) throw new Error('no Negotiate');
  let r = client.step();
  for (;;) {
    const s = server.step(r.token ?? new Uint8Array());
    if (s.done) {
      if (s.token) client.step(s.token);
      return { client, server };
    }
    r = client.step(s.token);
  }
}

function timeLoop(minMs: number, fn: () => void): { iterations: number; seconds: number } {
  fn(); // warm up
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    iterations++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { iterations, seconds: elapsed / 1000 };
}

async function timeLoopAsync(minMs: number, fn: () => Promise<void>): Promise<{ iterations: number; seconds: number }> {
  await fn(); // warm up
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    await fn();
    iterations++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { iterations, seconds: elapsed / 1000 };
}

/** Bytes per run of the per-byte rows (a sealed stream's whole messages are 137 MB per 100 MB). */
const BULK = 32 << 20;

/** OpenSSL's RC4 over BULK bytes in MB/s, best of three, in a child with the legacy provider; undefined where it has none. */
function opensslRc4(): number | undefined {
  const script = `const c = require('node:crypto'); const b = Buffer.alloc(${BULK}); let best = 0;
for (let k = 0; k < 3; k++) { const e = c.createCipheriv('rc4', Buffer.alloc(16, 7), null); const t = process.hrtime.bigint(); e.update(b);
best = Math.max(best, ${BULK} / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9)); } console.log(best);`;
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', script], { encoding: 'utf8' });
  const v = Number(r.stdout.trim());
  if (r.status !== 0 || !(v > 0)) {
    process.stderr.write(`bench: auth: OpenSSL RC4 row skipped (${r.stderr.trim().split('\n').slice(-1)[0] ?? 'no output'})\n`);
    return undefined;
  }
  return v;
}

/** MB/s of `fn` over BULK bytes, best of three. */
function bulkRate(fn: (data: Uint8Array) => void): number {
  const data = new Uint8Array(BULK);
  let best = 0;
  for (let k = 0; k < 3; k++) {
    const t = process.hrtime.bigint();
    fn(data);
    best = Math.max(best, BULK / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  return best;
}

export async function run(): Promise<BenchResult[]> {
  const body = new Uint8Array(BODY);
  const xml = Buffer.from('<rsp:Stream Name="stdout">' + 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo='.repeat(20) + '</rsp:Stream>');
  for (let o = 0; o < BODY; o += xml.length) body.set(xml.subarray(0, Math.min(xml.length, BODY - o)), o);

  const { client, server } = pair();
  let sink = 0;
  // One round trip = request sealed by the client and opened by the server, response the other way.
  const sealed = timeLoop(1500, () => {
    const req = sealBody(client, body);
    const got = unsealBody(server, req.body, { inPlace: true }).plaintext; // as the listener and the transport do
    const resp = sealBody(server, got);
    sink += unsealBody(client, resp.body, { inPlace: true }).plaintext.length;
  });
  const sealMBs = (sealed.iterations * 2 * BODY) / 1e6 / sealed.seconds;

  const copy = timeLoop(500, () => {
    const a = new Uint8Array(body);
    const b = new Uint8Array(a);
    const c = new Uint8Array(b);
    sink += new Uint8Array(c).length;
  });
  const copyMBs = (copy.iterations * 2 * BODY) / 1e6 / copy.seconds;

  const hs = timeLoop(500, () => {
    sink += pair().server.user?.length ?? 0;
  });
  // Basic on a new connection each time (what Basic clients do): the listener's verification cache
  // against a fresh scrypt check per request (the default cost, as `wsman user add` stores it).
  const store = new UserStore();
  store.add({ name: 'bench', hash: await hashPassword('bench-password') });
  const basic = new BasicAuthenticator(store);
  const cred = Buffer.from('bench:bench-password');
  const cached = await timeLoopAsync(500, async () => { sink += (await basic.authenticate(cred, {})).kind.length; });
  const scrypt = await timeLoopAsync(500, async () => { sink += (await store.verify('bench', 'bench-password'))?.name.length ?? 0; });
  const cachedRate = cached.iterations / cached.seconds;
  const scryptRate = scrypt.iterations / scrypt.seconds;
  const ourRc4 = bulkRate((d) => { new Rc4(new Uint8Array(16).fill(7)).update(d, d); });
  const theirRc4 = opensslRc4();
  const hmacMd5 = bulkRate((d) => { sink += createHmac('md5', 'k').update(d).digest()[0]!; });
  if (sink < 0) console.log(sink);
  return [
    theirRc4 !== undefined
      ? { name: 'auth.rc4, ours (vs OpenSSL\'s, legacy provider)', unit: 'MB/s', value: round(ourRc4), baseline: round(theirRc4), ratio: round(ourRc4 / theirRc4, 2) }
      : { name: 'auth.rc4, ours', unit: 'MB/s', value: round(ourRc4) },
    { name: 'auth.hmac-md5 (node:crypto)', unit: 'MB/s', value: round(hmacMd5) },
    { name: 'auth.basic.verify-cached (vs scrypt each time)', unit: 'verifications/s', value: round(cachedRate), baseline: round(scryptRate), ratio: round(cachedRate / scryptRate, 1) },
    { name: 'auth.ntlm.seal+unseal-500KB (vs plain copy)', unit: 'MB/s', value: round(sealMBs), baseline: round(copyMBs), ratio: round(sealMBs / copyMBs, 3) },
    { name: 'auth.negotiate.handshakes-in-memory', unit: 'handshakes/s', value: round(hs.iterations / hs.seconds) },
  ];
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
