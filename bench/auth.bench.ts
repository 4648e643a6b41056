/**
 * Auth benchmarks: NTLM seal + unseal throughput of 500 KB SOAP bodies through the HTTP message
 * encryption framing (client seals, server unseals, and back), against a plain copy of the same
 * bytes in the same run; and NTLM handshakes per second (client + server in memory).
 */
import { createClientAuthSync, createServerAuth, ntHash, sealBody, unsealBody, type ClientAuth, type ServerAuth } from '../src/auth/index.js';
import type { BenchResult } from './types.js';
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
  if (sink < 0) console.log(sink);
  return [
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
