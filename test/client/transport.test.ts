/** Transport: Basic, 401, keep-alive, timeouts, network errors, proxies, cookies, the 401 loop of a context mechanism. */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanAuthError, WsmanNetworkError, WsmanProtocolError, WsmanTimeoutError, WsmanTlsError, FeatureMissingError } from '../../src/core/errors.js';
import { makeCert } from './helpers/certs.js';
import { HttpTransport } from '../../src/transport/http.js';
import { resolveProxy, noProxyMatches } from '../../src/transport/proxy.js';
import type { ClientAuthContext } from '../../src/auth/types.js';
import { startFake, type Fake } from './helpers/fake-winrm.js';

const BASIC = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
async function fake(opts: Parameters<typeof startFake>[0] = {}): Promise<Fake> {
  const f = await startFake(opts);
  closers.push(() => f.close());
  return f;
}
function listen(server: Server): Promise<number> {
  closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

describe('transport', () => {
  it('sends Basic on every request and keeps one connection alive for a whole command', async () => {
    const f = await fake({ authorization: BASIC });
    const c = new WsmanClient({ endpoint: { connectionUri: f.url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true });
    await invokeCommand(c, { command: 'x' });
    await c.close();
    expect(f.headers).toHaveLength(4); // Create, Command, Receive, Delete: a Done command needs no Signal before Delete
    expect(f.headers.every((h) => h.authorization === BASIC && h['content-type'] === 'application/soap+xml;charset=UTF-8')).toBe(true);
    expect(f.connections()).toBe(1);
  });

  it('a refused credential is WsmanAuthError ERR_AUTH_REJECTED naming the offered schemes, without the password', async () => {
    const f = await fake({ authorization: BASIC });
    const c = new WsmanClient({ endpoint: { connectionUri: f.url }, credential: { username: 'alice', password: 'wrong-pw' }, authentication: 'basic', allowUnencrypted: true });
    const err = await invokeCommand(c, { command: 'x' }).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanAuthError);
    expect((err as WsmanAuthError).code).toBe('ERR_AUTH_REJECTED');
    expect((err as Error).message).toMatch(/refused basic authentication \(HTTP 401: wrong user name or password[^)]*\); it offers Basic/);
    expect((err as Error).message).not.toContain('wrong-pw');
  });

  it('a refused connection is WsmanNetworkError ERR_CONNECTION_REFUSED', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    const c = new WsmanClient({ endpoint: { computerName: '127.0.0.1', port } });
    const err = await c.identify().catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanNetworkError);
    expect((err as WsmanNetworkError).code).toBe('ERR_CONNECTION_REFUSED');
  });

  it('a server that never answers is WsmanTimeoutError after OperationTimeout plus the margin', async () => {
    const server = createServer(() => undefined);
    const port = await listen(server);
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'none' } });
    const err = await t.send({ body: '<x/>', timeoutMs: 200 }).catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(WsmanTimeoutError);
  });

  it('an AbortSignal cancels a pending request with its reason', async () => {
    const server = createServer(() => undefined);
    const port = await listen(server);
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'none' } });
    const ac = new AbortController();
    const p = t.send({ body: '<x/>', timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    const err = await p.catch((e: unknown) => e);
    await t.close();
    expect((err as Error).message).toBe('stop now');
  });

  it('a server that stalls half-way through its answer is WsmanTimeoutError too', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Length': '1000', 'Content-Type': 'application/soap+xml' });
      res.write('<s:Envelope');
    });
    const port = await listen(server);
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'none' } });
    const err = await t.send({ body: '<x/>', timeoutMs: 200 }).catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(WsmanTimeoutError);
  });

  it('an AbortSignal cancels a request whose answer has begun, and the next request still works', async () => {
    let n = 0;
    const server = createServer((req, res) => {
      req.resume();
      if (n++ === 0) {
        res.writeHead(200, { 'Content-Length': '1000' });
        res.write('<s:Envelope');
      } else req.on('end', () => res.writeHead(200, { 'Content-Length': '4' }).end('<x/>'));
    });
    const port = await listen(server);
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'none' } });
    const ac = new AbortController();
    const p = t.send({ body: '<x/>', timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 100);
    const err = await p.catch((e: unknown) => e);
    expect((err as Error).message).toBe('enough');
    const next = await t.send({ body: '<x/>', timeoutMs: 5000 });
    await t.close();
    expect([next.status, next.body.toString()]).toEqual([200, '<x/>']);
  });

  it('an answer larger than 32 MiB is refused with ERR_RESPONSE_TOO_LARGE', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      let sent = 0;
      const more = (): void => {
        while (sent < 40 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    const port = await listen(server);
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'none' } });
    const err = await t.send({ body: '<x/>', timeoutMs: 20_000 }).catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(WsmanProtocolError);
    expect((err as WsmanProtocolError).code).toBe('ERR_RESPONSE_TOO_LARGE');
  });

  it('echoes cookies the server sets', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.cookie);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Set-Cookie': 'MS-WSMAN=abc; Path=/', 'Content-Length': '0' }).end());
    });
    const port = await listen(server);
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'none' } });
    await t.send({ body: '<x/>', timeoutMs: 5000 });
    await t.send({ body: '<x/>', timeoutMs: 5000 });
    await t.close();
    expect(seen).toEqual([undefined, 'MS-WSMAN=abc']);
  });

  it('drives a connection-bound context through the 401 loop once per connection', async () => {
    const legs: string[] = [];
    const server = createServer((req, res) => {
      legs.push(req.headers.authorization ?? '-');
      req.resume();
      req.on('end', () => {
        const a = req.headers.authorization;
        if (a === 'Test bGVnMQ==') res.writeHead(401, { 'WWW-Authenticate': 'Test Y2hhbGxlbmdl', 'Content-Length': '0' }).end();
        else if (a === 'Test bGVnMg==' || a === undefined) res.writeHead(200, { 'Content-Length': '2' }).end('ok');
        else res.writeHead(401, { 'WWW-Authenticate': 'Test', 'Content-Length': '0' }).end();
      });
    });
    const port = await listen(server);
    let created = 0;
    const ctx = (_conn: { channelBinding?: Uint8Array }): ClientAuthContext => {
      created++;
      let leg = 0;
      return {
        mechanism: 'ntlm', scheme: 'Test', canSeal: false, get complete() { return leg >= 2; },
        step(inTok) {
          leg++;
          if (leg === 2 && Buffer.from(inTok ?? []).toString() !== 'challenge') throw new Error('bad challenge');
          return { token: Buffer.from(`leg${leg}`), done: leg >= 2 };
        },
        wrap: () => { throw new Error('no'); },
        unwrap: () => { throw new Error('no'); },
      };
    };
    const t = new HttpTransport({ url: `http://127.0.0.1:${port}/wsman`, auth: { kind: 'context', mechanism: 'ntlm', createContext: ctx }, allowUnencrypted: true });
    const r1 = await t.send({ body: '<x/>', timeoutMs: 5000 });
    const r2 = await t.send({ body: '<x/>', timeoutMs: 5000 });
    await t.close();
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(legs).toEqual(['Test bGVnMQ==', 'Test bGVnMg==', '-']);
    expect(created).toBe(1);
  });

  it('negotiate without a registered implementation is FeatureMissingError', () => {
    expect(() => new WsmanClient({ endpoint: { computerName: 'h' }, credential: { username: 'a', password: 'b' }, authentication: 'credssp' }))
      .toThrow(FeatureMissingError);
  });

  async function connectProxy(tunnels: string[]): Promise<number> {
    const proxy = createServer();
    proxy.on('connect', (req, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = netConnect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    return listen(proxy);
  }

  it('goes through an HTTP proxy (CONNECT tunnel) from HTTP_PROXY, and NO_PROXY bypasses it', async () => {
    const f = await fake();
    const tunnels: string[] = [];
    const pport = await connectProxy(tunnels);
    const env = { HTTP_PROXY: `http://127.0.0.1:${pport}` };
    const c = new WsmanClient({ endpoint: { connectionUri: f.url }, env });
    expect((await invokeCommand(c, { command: 'x' })).stdout.toString()).toBe('ok\n');
    await c.close();
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels[0]).toBe(`127.0.0.1:${f.port}`);
    expect(resolveProxy('environment', new URL(f.url), { ...env, NO_PROXY: '127.0.0.1' })).toBeUndefined();
    expect(resolveProxy('none', new URL(f.url), env)).toBeUndefined();
  });

  it('HTTPS through a proxy (HTTPS_PROXY) still applies our certificate rules inside the tunnel', async () => {
    const cert = makeCert({ cn: 'localhost', ips: ['127.0.0.1'] });
    const f = await fake({ tls: { cert: cert.cert, key: cert.key } });
    const tunnels: string[] = [];
    const pport = await connectProxy(tunnels);
    const env = { HTTPS_PROXY: `http://127.0.0.1:${pport}` };
    const refused = new WsmanClient({ endpoint: { connectionUri: f.url }, env });
    const err = await invokeCommand(refused, { command: 'x' }).catch((e: unknown) => e);
    await refused.close();
    expect((err as WsmanTlsError).code).toBe('ERR_TLS_UNTRUSTED');
    const pinned = new WsmanClient({ endpoint: { connectionUri: f.url }, env, serverThumbprint: cert.thumbprint });
    expect((await invokeCommand(pinned, { command: 'x' })).stdout.toString()).toBe('ok\n');
    await pinned.close();
    expect(tunnels.every((t) => t === `127.0.0.1:${f.port}`)).toBe(true);
    expect(tunnels.length).toBeGreaterThanOrEqual(2);
  });

  it('matches NO_PROXY entries like curl', () => {
    expect(noProxyMatches('.example.com', 'a.example.com', 80)).toBe(true);
    expect(noProxyMatches('example.com', 'example.com', 80)).toBe(true);
    expect(noProxyMatches('example.com', 'notexample.com', 80)).toBe(false);
    expect(noProxyMatches('host:5986', 'host', 5985)).toBe(false);
    expect(noProxyMatches('*', 'anything', 1)).toBe(true);
  });
});
