/**
 * Helper process for bench/client.bench.ts (not a bench itself): N WS-Man endpoints on
 * 127.0.0.1 port 0 that stand in for N remote computers, to measure the client's fan-out alone.
 *
 * A real fan-out reaches computers that run the listener and the command on their own CPUs; here
 * the 200 listeners and their 200 processes would share this machine's 2 cores with the client,
 * and that CPU, not the client, would set the wall time. So each endpoint answers the cmd shell
 * conversation (Create, Command, Receive with Done and exit code 0, Signal, Delete; Basic user
 * alice:secret) with envelopes built by our own core, each answer given DELAY_MS after its request arrived: a computer that
 * is DELAY_MS away (its network round trip and its work) and costs this machine almost nothing.
 * Anything else gets HTTP 500. Prints the URLs as one JSON line; stops when stdin closes.
 *
 * `node --import tsx bench/remote-computers.ts N DELAY_MS` (0: answer at once)
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Action, CommandStateURI, decodeMessage, encodeMessage, responseHeaders, type Body } from '../src/core/index.js';

const n = Number(process.argv[2] ?? '1');
const delayMs = Number(process.argv[3] ?? '40');
const AUTH = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

function reply(url: string, requestBody: Buffer): string | undefined {
  const req = decodeMessage(requestBody);
  const answer = (action: string, body: Body): string =>
    encodeMessage({ headers: responseHeaders(req.headers, action, `uuid:${randomUUID()}`), body }, 'response');
  const action = req.headers.action ?? '';
  const b = req.body;
  if (action === Action.Create) {
    const id = randomUUID().toUpperCase();
    return answer(Action.CreateResponse, { kind: 'ResourceCreated', address: url, selectors: { ShellId: id }, shell: { shellId: id } });
  }
  if (action === Action.Command) return answer(Action.CommandResponse, { kind: 'CommandResponse', commandId: randomUUID().toUpperCase() });
  if (action === Action.Receive && b.kind === 'Receive') {
    const commandId = b.commandId;
    const id = commandId !== undefined ? { commandId } : {};
    return answer(Action.ReceiveResponse, {
      kind: 'ReceiveResponse',
      streams: [{ name: 'stdout', ...id, end: true, data: Buffer.alloc(0) }, { name: 'stderr', ...id, end: true, data: Buffer.alloc(0) }],
      commandState: { ...id, state: CommandStateURI.Done, exitCode: 0 },
    });
  }
  if (action === Action.Signal) return answer(Action.SignalResponse, { kind: 'SignalResponse' });
  if (action === Action.Delete) return answer(Action.DeleteResponse, { kind: 'Empty' });
  return undefined;
}

const servers: Server[] = [];
const urls: string[] = [];
for (let i = 0; i < n; i++) {
  let url = '';
  const server = createServer((q: IncomingMessage, s: ServerResponse) => {
    const chunks: Buffer[] = [];
    q.on('data', (c: Buffer) => chunks.push(c));
    const arrived = performance.now();
    q.on('end', () => {
      // The answer is built at once and held for what is left of the delay, so that the work of
      // 32 requests arriving together does not queue up behind their timers.
      let status = 200;
      let text: string | undefined;
      if (q.headers.authorization !== AUTH) status = 401;
      else {
        try {
          text = reply(url, Buffer.concat(chunks));
        } catch {
          text = undefined;
        }
        if (text === undefined) status = 500;
      }
      const send = (): void => {
        if (status === 401) s.writeHead(401, { 'www-authenticate': 'Basic realm="WSMAN"' }).end();
        else if (text === undefined) s.writeHead(500).end();
        else s.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8' }).end(text);
      };
      if (delayMs <= 0) send();
      else setTimeout(send, Math.max(0, delayMs - (performance.now() - arrived)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`;
  servers.push(server);
  urls.push(url);
}
process.stdout.write(`${JSON.stringify(urls)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
  process.exit(0);
});
