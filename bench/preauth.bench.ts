/**
 * Work before authentication (issue 15): median latency of an authenticated Create while 16
 * unauthenticated clients (in a worker thread) keep posting 400 KB Identify bodies marked
 * `WSMANIDENTIFY: unauthenticated`, as a ratio to the same Create on an idle listener, same run.
 * Before the pre-authentication cap every such body was read and parsed whole (4 ms -> 1.4 s).
 */
import { request, Agent } from 'node:http';
import { Worker } from 'node:worker_threads';
import { Action, ResourceURI, encodeMessage } from '../src/core/index.js';
import { WsmanListener } from '../src/server/listener.js';
import { UserStore, hashPassword } from '../src/server/users.js';
import { createLogger } from '../src/server/log.js';
import { defaultConfig } from '../src/server/config.js';
import type { BenchResult } from './types.js';

const AUTH = 'Basic ' + Buffer.from('bench:bench').toString('base64');
const ROUNDS = 40;
const ATTACKERS = 16;

/** 16 loops, each: connect, send a 400 KB unauthenticated Identify, read until close, again. */
const ATTACKER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const pad = 'x'.repeat(400 * 1024);
const body = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><!--' + pad + '--><s:Body><wsmid:Identify/></s:Body></s:Envelope>');
const head = 'POST /wsman HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/soap+xml;charset=UTF-8\\r\\nWSMANIDENTIFY: unauthenticated\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n';
let stop = false;
let sent = 0;
parentPort.on('message', () => { stop = true; });
function loop() {
  if (stop) return;
  const s = net.connect(workerData.port, '127.0.0.1', () => { s.write(head); s.end(body); sent++; });
  s.on('data', () => {});
  s.on('error', () => {});
  s.on('close', () => setImmediate(loop));
}
for (let i = 0; i < workerData.n; i++) loop();
setInterval(() => { if (stop) { parentPort.postMessage(sent); process.exit(0); } }, 50);
`;

function post(agent: Agent, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': data.length, Authorization: AUTH } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function env(action: string, body: Parameters<typeof encodeMessage>[0]['body'], selectors?: Record<string, string>): string {
  return encodeMessage({ headers: {
    to: 'http://x/wsman', replyTo: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', action,
    messageId: `uuid:${crypto.randomUUID()}`, resourceUri: ResourceURI.Cmd, maxEnvelopeSize: 153600, operationTimeout: 20000,
    ...(selectors ? { selectors } : {}),
  }, body }, 'request');
}

/** Median ms of Create (each shell deleted after, untimed). */
async function createLatency(url: URL): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    const text = await post(agent, url, env(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const id = /<w:Selector Name="ShellId">([^<]+)</.exec(text)?.[1];
    if (!id) throw new Error(`create failed: ${text.slice(0, 300)}`);
    await post(agent, url, env(Action.Delete, { kind: 'Empty' }, { ShellId: id }));
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function run(): Promise<BenchResult[]> {
  const users = new UserStore();
  users.add({ name: 'bench', hash: await hashPassword('bench', 1024) });
  const config = defaultConfig();
  config.clientKeepAliveMs = 0;
  const listener = new WsmanListener({ users, config, httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent'), processPool: false });
  const [ep] = await listener.start();
  const url = new URL(ep!.url);
  try {
    await createLatency(url); // warm-up
    const idle = await createLatency(url);
    const worker = new Worker(ATTACKER, { eval: true, workerData: { port: ep!.port, n: ATTACKERS } });
    await new Promise((r) => setTimeout(r, 500));
    const loaded = await createLatency(url);
    const sent = await new Promise<number>((resolve) => {
      worker.once('message', (n: number) => resolve(n));
      worker.postMessage('stop');
    });
    await worker.terminate();
    process.stderr.write(`preauth: ${sent} unauthenticated 400 KB bodies sent during the run\n`);
    return [{
      name: `listener: Create latency under ${ATTACKERS} unauthenticated 400 KB Identify senders vs idle`, unit: 'ms',
      value: Math.round(loaded * 100) / 100, baseline: Math.round(idle * 100) / 100, ratio: Math.round((loaded / idle) * 100) / 100,
    }];
  } finally {
    await listener.stop();
  }
}
