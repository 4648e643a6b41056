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
 * With `fork`, each Command really starts a process, as cheaply as this machine allows: one
 * long-lived dash forks a subshell that runs `true` (no exec, no Node spawn), and the Receive
 * is answered once that process has exited, with its exit code. Everything else stays as
 * cheap as above, so this is what any listener must at least spend here to run a command.
 * Commands run one at a time (the dash loop serves them in order).
 *
 * `node --import tsx bench/remote-computers.ts N DELAY_MS [fork]` (DELAY_MS 0: answer at once)
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Action, CommandStateURI, decodeMessage, encodeMessage, responseHeaders, type Body } from '../src/core/index.js';

const n = Number(process.argv[2] ?? '1');
const delayMs = Number(process.argv[3] ?? '40');
const AUTH = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

/** With `fork`: the dash that forks one process per command, and the exit code each command's Receive waits for. */
const forker = process.argv[4] === 'fork'
  ? spawn('/bin/sh', ['-c', 'while IFS= read -r id; do ( true ) </dev/null >/dev/null 2>&1; echo "$id $?"; done'], { stdio: ['pipe', 'pipe', 'inherit'] })
  : undefined;
/** Each started command's exit code, until its Receive takes it; and how to settle each still running. */
const exits = new Map<string, Promise<number>>();
const running = new Map<string, (code: number) => void>();
if (forker) {
  let pending = '';
  forker.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const [id = '', code = ''] = pending.slice(0, nl).split(' ');
      pending = pending.slice(nl + 1);
      running.get(id)?.(Number(code));
      running.delete(id);
    }
  });
}

/** With `fork`, start the command's process. */
function started(commandId: string): void {
  if (!forker) return;
  exits.set(commandId, new Promise<number>((resolve) => running.set(commandId, resolve)));
  forker.stdin.write(`${commandId}\n`);
}

/** The exit code of the command's process, once it has exited (0 without `fork`). */
async function exitCode(commandId: string | undefined): Promise<number> {
  const code = commandId === undefined ? undefined : exits.get(commandId);
  if (code === undefined) return 0;
  exits.delete(commandId!);
  return code;
}

async function reply(url: string, requestBody: Buffer): Promise<string | undefined> {
  const req = decodeMessage(requestBody);
  const answer = (action: string, body: Body): string =>
    encodeMessage({ headers: responseHeaders(req.headers, action, `uuid:${randomUUID()}`), body }, 'response');
  const action = req.headers.action ?? '';
  const b = req.body;
  if (action === Action.Create) {
    const id = randomUUID().toUpperCase();
    return answer(Action.CreateResponse, { kind: 'ResourceCreated', address: url, selectors: { ShellId: id }, shell: { shellId: id } });
  }
  if (action === Action.Command) {
    const commandId = randomUUID().toUpperCase();
    started(commandId);
    return answer(Action.CommandResponse, { kind: 'CommandResponse', commandId });
  }
  if (action === Action.Receive && b.kind === 'Receive') {
    const commandId = b.commandId;
    const id = commandId !== undefined ? { commandId } : {};
    const code = await exitCode(commandId);
    return answer(Action.ReceiveResponse, {
      kind: 'ReceiveResponse',
      streams: [{ name: 'stdout', ...id, end: true, data: Buffer.alloc(0) }, { name: 'stderr', ...id, end: true, data: Buffer.alloc(0) }],
      commandState: { ...id, state: CommandStateURI.Done, exitCode: code },
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
    q.on('end', async () => {
      // The answer is built at once and held for what is left of the delay, so that the work of
      // 32 requests arriving together does not queue up behind their timers.
      let status = 200;
      let text: string | undefined;
      if (q.headers.authorization !== AUTH) status = 401;
      else {
        try {
          text = await reply(url, Buffer.concat(chunks));
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
  forker?.kill();
  process.exit(0);
});
