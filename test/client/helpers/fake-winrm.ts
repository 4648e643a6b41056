/**
 * A small scripted WinRM endpoint for client tests (TLS, redirects, auth, fan-out) on 127.0.0.1:0:
 * every shell runs one "command" whose output is fixed, answered with the envelopes Windows
 * would send (built with the core encoder). Not a listener: no processes, no state beyond ids.
 */
import { createServer as createHttp, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Action, ResourceURI } from '../../../src/core/namespaces.js';
import { decodeMessage, encodeMessage, type Body, type Message } from '../../../src/core/messages/index.js';
import { responseHeaders, selector } from '../../../src/core/envelope.js';
import { faultFromCode } from '../../../src/core/messages/fault.js';

export interface FakeOptions {
  tls?: { cert: string; key: string; requestCert?: boolean; ca?: string };
  /** Answer shell Create with 302 to this URL (a function gets the server's own URL). */
  redirectTo?: string | (() => string);
  /** Required Authorization header. */
  authorization?: string;
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Delay each Receive by this many ms. */
  receiveDelayMs?: number;
  /** Answer this many Receives with the TimedOut fault first. */
  timeouts?: number;
}

export interface Fake {
  url: string;
  port: number;
  requests: Message[];
  headers: IncomingMessage['headers'][];
  /** Shells created and not deleted. */
  openShells: Set<string>;
  signals: string[];
  /** Subject CN of the client certificate on each request (HTTPS with requestCert). */
  peerCNs: (string | undefined)[];
  /** TCP connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

export async function startFake(opts: FakeOptions = {}): Promise<Fake> {
  const requests: Message[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const openShells = new Set<string>();
  const signals: string[] = [];
  const peerCNs: (string | undefined)[] = [];
  let timeoutsLeft = opts.timeouts ?? 0;
  let conns = 0;
  let url = '';

  const reply = (res: ServerResponse, req: Message, action: string, body: Body, status = 200): void => {
    const xml = Buffer.from(encodeMessage({ headers: responseHeaders(req.headers, action, `uuid:${randomUUID().toUpperCase()}`), body }, 'response'));
    res.writeHead(status, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(xml.length) }).end(xml);
  };
  const fault = (res: ServerResponse, req: Message, code: number): void => {
    reply(res, req, Action.WsmanFault, { kind: 'Fault', fault: faultFromCode(code, '127.0.0.1') }, 500);
  };

  const handle = async (hreq: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> => {
    headers.push(hreq.headers);
    const sock = hreq.socket as { getPeerCertificate?: () => { subject?: { CN?: string } } };
    if (sock.getPeerCertificate) peerCNs.push(sock.getPeerCertificate().subject?.CN);
    if (opts.authorization !== undefined && hreq.headers.authorization !== opts.authorization && hreq.headers.wsmanidentify === undefined) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="WSMAN"', 'Content-Length': '0' }).end();
      return;
    }
    const req = decodeMessage(raw);
    requests.push(req);
    const shellId = selector(req.headers, 'ShellId');
    switch (req.headers.action) {
      case undefined:
        reply(res, req, '', { kind: 'IdentifyResponse', protocolVersion: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd', productVendor: 'Fake', productVersion: 'OS: 0.0.0 SP: 0.0 Stack: 3.0' });
        return;
      case Action.Create: {
        if (opts.redirectTo !== undefined) {
          const to = typeof opts.redirectTo === 'string' ? opts.redirectTo : opts.redirectTo();
          res.writeHead(302, { Location: to, 'Content-Length': '0' }).end();
          return;
        }
        const id = req.body.kind === 'Shell' && req.body.shell.requestedShellId ? req.body.shell.requestedShellId : randomUUID().toUpperCase();
        openShells.add(id);
        reply(res, req, Action.CreateResponse, {
          kind: 'ResourceCreated', address: url, resourceUri: ResourceURI.Cmd, selectors: { ShellId: id },
          shell: { shellId: id, inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] },
        });
        return;
      }
      case Action.Command:
        if (!shellId || !openShells.has(shellId)) return fault(res, req, 2150858843);
        reply(res, req, Action.CommandResponse, { kind: 'CommandResponse', commandId: randomUUID().toUpperCase() });
        return;
      case Action.Receive: {
        if (!shellId || !openShells.has(shellId)) return fault(res, req, 2150858843);
        if (opts.receiveDelayMs) await new Promise((r) => setTimeout(r, opts.receiveDelayMs));
        if (timeoutsLeft > 0) {
          timeoutsLeft--;
          return fault(res, req, 2150858793);
        }
        const cid = req.body.kind === 'Receive' ? req.body.commandId : undefined;
        reply(res, req, Action.ReceiveResponse, {
          kind: 'ReceiveResponse',
          streams: [
            { name: 'stdout', ...(cid ? { commandId: cid } : {}), data: Buffer.from(opts.stdout ?? 'ok\n') },
            { name: 'stderr', ...(cid ? { commandId: cid } : {}), data: Buffer.from(opts.stderr ?? '') },
            { name: 'stdout', ...(cid ? { commandId: cid } : {}), end: true, data: Buffer.alloc(0) },
          ],
          commandState: { ...(cid ? { commandId: cid } : {}), state: 'Done', exitCode: opts.exitCode ?? 0 },
        });
        return;
      }
      case Action.Send:
        reply(res, req, Action.SendResponse, { kind: 'SendResponse' });
        return;
      case Action.Signal:
        if (req.body.kind === 'Signal') signals.push(req.body.code);
        reply(res, req, Action.SignalResponse, { kind: 'SignalResponse' });
        return;
      case Action.Delete:
        if (!shellId || !openShells.delete(shellId)) return fault(res, req, 2150858843);
        reply(res, req, Action.DeleteResponse, { kind: 'Empty' });
        return;
      default:
        fault(res, req, 2150858771);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy()); });
  };
  const server: Server = opts.tls
    ? createHttps({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.requestCert ? { requestCert: true, rejectUnauthorized: false } : {}), ...(opts.tls.ca ? { ca: opts.tls.ca } : {}) }, listener)
    : createHttp(listener);
  server.on('connection', () => { conns++; });
  server.on('secureConnection', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/wsman`;
  return {
    url, port, requests, headers, openShells, signals, peerCNs,
    connections: () => conns,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
