/**
 * Work before authentication (issue 15): median latency of an authenticated Create while 16
 * unauthenticated clients (in a worker thread) keep posting 400 KB Identify bodies marked
 * `WSMANIDENTIFY: unauthenticated`, as a ratio to the same Create on an idle listener, same run;
 * and, for scale, the same while those senders hit a bare server instead (their cost to the machine).
 * Before the pre-authentication cap every such body was read and parsed whole (4 ms -> 1.4 s).
 */
import { userInfo } from 'node:os';
import { createServer, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { Action, ResourceURI, encodeMessage } from '../src/core/index.js';
import { WsmanListener } from '../src/server/listener.js';
import { UserStore, hashPassword } from '../src/server/users.js';
import { createLogger } from '../src/server/log.js';
import { defaultConfig } from '../src/server/config.js';
import type { BenchResult } from './types.js';
import { postSoap } from './endpoints.js';

/** Creates per block; BLOCKS idle blocks alternate with as many attacked ones. */
const ROUNDS = 15;
const BLOCKS = 4;
const ATTACKERS = 16;

/** 16 loops, each: connect, send a 400 KB unauthenticated Identify, read until close, again. */
const ATTACKER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const pad = 'x'.repeat(400 * 1024);
const body = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><!--' + pad + '--><s:Body><wsmid:Identify/></s:Body></s:Envelope>');
const head = 'POST /wsman HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/soap+xml;charset=UTF-8\\r\\nWSMANIDENTIFY: unauthenticated\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n';
let on = false;
let port = 0;
let sent = 0;
let live = 0;
function loop() {
  if (!on) { live--; if (live === 0) parentPort.postMessage({ idle: true, sent }); return; }
  const s = net.connect(port, '127.0.0.1', () => { s.write(head); s.end(body); sent++; });
  s.on('data', () => {});
  s.on('error', () => {});
  s.on('close', () => setImmediate(loop));
}
parentPort.on('message', (m) => {
  if (m && m.start) { port = m.start; on = true; for (let i = 0; i < workerData.n; i++) { live++; loop(); } setTimeout(() => parentPort.postMessage({ started: true }), 300); }
  else if (m === 'pause') { on = false; }
});
`;

function env(action: string, body: Parameters<typeof encodeMessage>[0]['body'], selectors?: Record<string, string>): string {
  return encodeMessage({ headers: {
    to: 'http://x/wsman', replyTo: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', action,
    messageId: `uuid:${crypto.randomUUID()}`, resourceUri: ResourceURI.Cmd, maxEnvelopeSize: 153600, operationTimeout: 20000,
    ...(selectors ? { selectors } : {}),
  }, body }, 'request');
}

/** Create latencies in ms (each shell deleted after, untimed). */
async function createLatencies(url: URL, rounds: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    const { text } = await postSoap(agent, url, env(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const id = /<w:Selector Name="ShellId">([^<]+)</.exec(text)?.[1];
    if (!id) throw new Error(`create failed: ${text.slice(0, 300)}`);
    await postSoap(agent, url, env(Action.Delete, { kind: 'Empty' }, { ShellId: id }));
  }
  agent.destroy();
  return times;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const users = new UserStore();
  users.add({ name: 'bench', hash: await hashPassword('bench', 1024), runAs: userInfo().username });
  const config = defaultConfig();
  config.clientKeepAliveMs = 0;
  const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent'), processPool: false });
  const [ep] = await listener.start();
  const url = new URL(ep!.url);
  try {
    await createLatencies(url, 10); // warm-up
    const worker = new Worker(ATTACKER, { eval: true, workerData: { n: ATTACKERS } });
    // The same senders against a bare node:http server that refuses at once (413, close): what
    // the senders and the least any HTTP server refusing them costs, on the same event loop.
    const bare = createServer((_req, res) => {
      res.writeHead(413, { 'Content-Length': 0, Connection: 'close' });
      res.end();
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const barePort = (bare.address() as AddressInfo).port;
    const next = (key: 'started' | 'idle'): Promise<{ sent?: number }> => new Promise((resolve) => {
      const on = (m: { started?: boolean; idle?: boolean; sent?: number }): void => {
        if (!m[key]) return;
        worker.off('message', on);
        resolve(m);
      };
      worker.on('message', on);
    });
    // Idle and attacked blocks alternate, so that other load on the machine falls on both alike.
    const idle: number[] = [];
    const loaded: number[] = [];
    const elsewhere: number[] = [];
    let sent = 0;
    const attacked = async (port: number, into: number[]): Promise<void> => {
      const started = next('started');
      worker.postMessage({ start: port });
      await started;
      into.push(...await createLatencies(url, ROUNDS));
      const stopped = next('idle');
      worker.postMessage('pause');
      sent = (await stopped).sent ?? sent;
    };
    for (let block = 0; block < BLOCKS; block++) {
      idle.push(...await createLatencies(url, ROUNDS));
      await attacked(ep!.port, loaded);
      await attacked(barePort, elsewhere);
    }
    await worker.terminate();
    bare.close();
    bare.closeAllConnections();
    process.stderr.write(`preauth: ${sent} unauthenticated 400 KB bodies sent during the run\n`);
    const b = median(idle);
    const row = (name: string, xs: number[]): BenchResult => {
      const a = median(xs);
      return { name, unit: 'ms', value: Math.round(a * 100) / 100, baseline: Math.round(b * 100) / 100, ratio: Math.round((a / b) * 100) / 100 };
    };
    return [
      row(`listener: Create latency under ${ATTACKERS} unauthenticated 400 KB Identify senders vs idle`, loaded),
      row(`listener: Create latency while the same senders hit a bare node:http 413 server in this process vs idle`, elsewhere),
    ];
  } finally {
    await listener.stop();
  }
}
