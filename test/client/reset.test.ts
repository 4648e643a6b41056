/**
 * A connection the server closes or resets before any byte of the answer (an idle keep-alive
 * connection it dropped; Openwsman resets the request that follows a 401 on a connection): a
 * request that is safe to repeat goes again once, on a fresh connection, as curl does; one that is
 * not (a Command, a Send) is never sent twice. Issue 18.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, request as httpRequest, Agent, type Server, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../src/transport/http.js';
import { WsmanClient } from '../../src/client/client.js';
import { WsmanNetworkError } from '../../src/core/errors.js';
import { Action, ResourceURI } from '../../src/core/namespaces.js';
import { startListener, USER } from './helpers/listener.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); });
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`;
}

/** Answers every request, except that the second request on the first connection is reset unanswered. */
async function dropsSecondOnFirstConnection(): Promise<{ url: string; bodies: string[]; sockets: Set<Socket> }> {
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  let first: Socket | undefined;
  let onFirst = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(body);
      sockets.add(req.socket);
      first ??= req.socket;
      if (req.socket === first && ++onFirst === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': '2' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  return { url: await listen(server), bodies, sockets };
}

describe('a reused connection reset before any byte of the answer', () => {
  it('a request safe to repeat goes again once, on a fresh connection', async () => {
    const s = await dropsSecondOnFirstConnection();
    const t = new HttpTransport({ url: s.url, auth: { kind: 'none' } });
    try {
      expect((await t.send({ body: 'one', timeoutMs: 5000, idempotent: true })).status).toBe(200);
      const r = await t.send({ body: 'two', timeoutMs: 5000, idempotent: true });
      expect([r.status, r.body.toString()]).toEqual([200, 'ok']);
      expect(s.bodies).toEqual(['one', 'two', 'two']);
      expect(s.sockets.size).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('one that is not safe to repeat fails and is not sent twice', async () => {
    const s = await dropsSecondOnFirstConnection();
    const t = new HttpTransport({ url: s.url, auth: { kind: 'none' } });
    try {
      await t.send({ body: 'one', timeoutMs: 5000 });
      const err = await t.send({ body: 'command', timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanNetworkError);
      expect(s.bodies.filter((b) => b === 'command')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('the client marks Identify, Get, Enumerate and Pull as safe to repeat, and nothing else', async () => {
    const seen: { body: string; idempotent: boolean | undefined }[] = [];
    const c = new WsmanClient({ endpoint: { connectionUri: 'http://127.0.0.1:1/wsman' } });
    (c as unknown as { transport: { send: (r: { body: string; idempotent?: boolean }) => Promise<never> } }).transport.send = async (r) => {
      seen.push({ body: r.body, idempotent: r.idempotent });
      throw new WsmanNetworkError('stop here');
    };
    await c.identify({ unauthenticated: true }).catch(() => undefined);
    await c.get('http://schemas.microsoft.com/wbem/wsman/1/config').catch(() => undefined);
    await c.exchange(Action.Enumerate, [], { resourceUri: ResourceURI.Shell }).catch(() => undefined);
    await c.exchange(Action.Pull, [], { resourceUri: ResourceURI.Shell }).catch(() => undefined);
    for (const action of [Action.Create, Action.Command, Action.Send, Action.Receive, Action.Signal, Action.Delete, Action.Put]) {
      await c.exchange(action, [], { resourceUri: ResourceURI.Cmd }).catch(() => undefined);
    }
    await c.close();
    expect(seen.map((s) => s.idempotent)).toEqual([true, true, true, true, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Negotiate where the server resets the request after its 401 (Openwsman)', () => {
  it('the logon starts again on a fresh connection and succeeds', async () => {
    const L = await startListener();
    const target = new URL(L.httpUrl);
    // A proxy with one upstream connection per client connection (NTLM is per connection) that
    // resets the request following the first 401 on the first client connection.
    let connections = 0;
    let reset = false;
    const agents = new WeakMap<Socket, { agent: Agent; n: number; saw401: boolean }>();
    const proxy = createServer((req, res) => {
      let st = agents.get(req.socket);
      if (!st) {
        st = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), n: ++connections, saw401: false };
        agents.set(req.socket, st);
        req.socket.once('close', () => st!.agent.destroy());
      }
      if (st.n === 1 && st.saw401 && !reset) {
        reset = true;
        req.socket.destroy();
        return;
      }
      const up = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: req.headers, agent: st.agent }, (ur) => {
        if (ur.statusCode === 401) st!.saw401 = true;
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      req.pipe(up);
    });
    proxy.keepAliveTimeout = 60_000;
    const url = await listen(proxy);
    const c = new WsmanClient({ endpoint: { connectionUri: url }, credential: USER });
    try {
      const id = await c.identify();
      expect(id.productVendor).toBeTruthy();
      expect(reset).toBe(true);
      expect(connections).toBe(2);
    } finally {
      await c.close();
      await L.stop();
    }
  }, 30_000);
});
