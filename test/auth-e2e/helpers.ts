/** Helpers for the end-to-end authentication tests: listeners on 127.0.0.1:0, raw HTTP(S) posts on one socket. */
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { userInfo } from 'node:os';
import { WsmanListener, type ListenerOptions } from '../../src/server/listener.js';
import { UserStore, hashPassword } from '../../src/server/users.js';
import { createLogger } from '../../src/server/log.js';
import { selfSigned, thumbprintOfPem } from '../../src/server/tls.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';

export interface E2eListener {
  listener: WsmanListener;
  http?: string;
  https?: string;
  /** The HTTPS certificate's thumbprint (pin it with serverThumbprint). */
  thumbprint: string;
  lines: string[];
  stop(): Promise<void>;
}

let tls: { cert: string; key: string; thumbprint: string } | undefined;
let aliceHash: string | undefined;

/** The listener's TLS certificate (made once per test file). */
export function listenerTls(): { cert: string; key: string; thumbprint: string } {
  if (!tls) {
    const { cert, key } = selfSigned(['localhost', '127.0.0.1']);
    tls = { cert, key, thumbprint: thumbprintOfPem(cert) };
  }
  return tls;
}

/** Users: alice/secret (with NT hash), plus `extra` names with no password (certificate-only). */
export async function startE2e(opts: Partial<ListenerOptions> & { extraUsers?: string[] } = {}): Promise<E2eListener> {
  const users = opts.users ?? new UserStore();
  if (!opts.users) {
    aliceHash ??= await hashPassword('secret', 1024);
    users.add({ name: 'alice', hash: aliceHash, ntHash: ntHash('secret'), runAs: userInfo().username });
    for (const n of opts.extraUsers ?? []) users.add({ name: n, hash: '!certificate-only', runAs: userInfo().username });
  }
  const lines: string[] = [];
  const t = listenerTls();
  const { extraUsers: _x, ...rest } = opts;
  const listener = new WsmanListener({
    users, httpPort: 0, httpsPort: 0, allowUnencrypted: false, tls: t,
    logger: createLogger('info', (l) => lines.push(l)), sweepIntervalMs: 100, ...rest,
  });
  const eps = await listener.start();
  return {
    listener, lines, thumbprint: t.thumbprint,
    ...(eps.find((e) => !e.secure) ? { http: eps.find((e) => !e.secure)!.url } : {}),
    ...(eps.find((e) => e.secure) ? { https: eps.find((e) => e.secure)!.url } : {}),
    stop: () => listener.stop(),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  socket: Socket;
}

/** One POST; `agent` keeps a connection (and its authentication) across calls. */
export function post(url: string, body: Buffer | string, headers: Record<string, string>, agent: HttpAgent | HttpsAgent | false = false,
  tlsClient?: { cert: string; key: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const opts = {
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(data.length), ...headers },
      ...(u.protocol === 'https:' ? { rejectUnauthorized: false, ...(tlsClient ?? {}) } : {}),
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), socket: res.socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Resolves true once the socket is closed (or after `ms`, false). */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readyState === 'closed') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(socket.destroyed), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export const IDENTIFY = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';
export const MUTUAL = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual';
