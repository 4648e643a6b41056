/**
 * The HTTP layer of the listener (protocol.md §8): POST on the application path, body size limit
 * (413 without reading further), authentication per connection (the 401 loop), the refusal of
 * unsealed plain-HTTP traffic unless allowed, unsealing (sealing.ts), dispatch, and responses that
 * always carry Content-Length so connections stay alive. One log line per request, no secrets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WsmanCode, encodeMessage, responseHeaders, faultFromCode, faultAction, peekMessageId, charsetOf } from '../core/index.js';
import type { ListenerCore } from './core.js';
import type { ConnectionAuth } from './auth.js';
import type { ListenerUser } from './users.js';
import { isSealedContentType, unsealBody, sealBody } from './sealing.js';
import { dispatch, quickIdentify, type Outcome } from './dispatch.js';
import type { FailureThrottle } from './auth-throttle.js';
import { tlsServerEndPoint } from '../auth/certificate.js';
import { loggableScheme, parseAuthHeader } from '../auth/http.js';
import { claimedUser } from '../auth/claimed.js';
import { clearTrafficAllowed } from '../auth/policy.js';
import { resolveRunAs } from './accounts.js';

export interface EndpointOptions {
  secure: boolean;
  /** `/wsman` by default. */
  path: string;
  /** Slows down repeated authentication failures per client address. */
  throttle?: FailureThrottle;
}

const SOAP_TYPE = 'application/soap+xml;charset=UTF-8';
/**
 * The largest body read from a client that has not authenticated (an Identify marked
 * `WSMANIDENTIFY: unauthenticated`; Identify requests are well under 4 KB). Larger ones get 413
 * before a byte of the body is read or parsed, so unauthenticated clients cost next to nothing.
 */
export const PRE_AUTH_BODY_LIMIT = 8192;
const connections = new WeakMap<Socket, ConnectionAuth>();

function connOf(socket: Socket): ConnectionAuth {
  let c = connections.get(socket);
  if (!c) {
    c = {};
    // HTTPS: the client certificate, when the client sent one (certificate authentication).
    const tls = socket as Partial<TLSSocket>;
    if (typeof tls.getPeerCertificate === 'function') {
      const peer = tls.getPeerCertificate(true);
      if (peer?.raw?.length) {
        const issuer = peer.issuerCertificate?.raw;
        c.peer = { cert: peer.raw, ...(issuer?.length && !issuer.equals(peer.raw) ? { issuer } : {}) };
      }
      const own = typeof tls.getCertificate === 'function' ? tls.getCertificate() : null;
      const ownRaw = own && 'raw' in own ? (own as { raw?: Buffer }).raw : undefined;
      if (ownRaw?.length) c.channelBinding = tlsServerEndPoint(ownRaw);
    }
    connections.set(socket, c);
  }
  return c;
}

function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The client went away, or was cut off (REQUEST_TIMEOUT_MS), before its body was complete. */
class BodyAborted extends Error {}

/** Read a body up to `limit` bytes; resolves undefined when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      if (over) return;
      size += d.length;
      if (size > limit) {
        over = true;
        req.pause();
        resolve(undefined);
        return;
      }
      parts.push(d);
    });
    let done = false;
    req.once('end', () => {
      done = true;
      if (!over) resolve(Buffer.concat(parts, size));
    });
    req.once('error', (err) => (over ? undefined : reject(new BodyAborted(`request body: ${err.message}`))));
    // A client that goes away mid-body: settle, so nothing waits forever.
    req.once('close', () => {
      if (!done && !over) reject(new BodyAborted('request body aborted'));
    });
  });
}

function write(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string | string[]> = {}, contentType = SOAP_TYPE): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body.length || status !== 200) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** The request handler for one endpoint (HTTP or HTTPS). */
export function createHandler(core: ListenerCore, ep: EndpointOptions) {
  const challenges = (): string[] => core.authenticators.map((a) => a.challenge).filter((c) => c !== '');
  const appPath = ep.path.toLowerCase();

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const client = plainAddress(req.socket.remoteAddress);
    const machine = plainAddress(req.socket.localAddress) || '127.0.0.1';
    let user: ListenerUser | undefined;
    let action: string | undefined;
    let shellId: string | undefined;
    let reason: string | undefined;
    res.once('finish', () => {
      const ms = performance.now() - started;
      core.log.log('info', 'request', {
        client, user: user?.name, action, shellId, status: res.statusCode, ms: Math.round(ms * 10) / 10, reason,
      });
    });
    try {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      if ((q < 0 ? url : url.slice(0, q)).toLowerCase() !== appPath) {
        reason = 'unknown path';
        write(res, 404, Buffer.alloc(0));
        return;
      }
      if (req.method !== 'POST') {
        reason = 'method not allowed';
        write(res, 405, Buffer.alloc(0), { Allow: 'POST' });
        return;
      }
      const limit = core.config.maxEnvelopeSizeKb * 1024;
      const sealed = isSealedContentType(req.headers['content-type']);
      const allowed = sealed ? limit + 16384 : limit;
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > allowed) {
        reason = 'body over MaxEnvelopeSizekb';
        write(res, 413, Buffer.alloc(0), { Connection: 'close' });
        return;
      }
      // Authentication: a connection-based scheme may already own this connection.
      const conn = connOf(req.socket);
      user = conn.user;
      const identifyOnly = String(req.headers['wsmanidentify'] ?? '').toLowerCase() === 'unauthenticated';
      let mutualHeader: string | undefined;
      const authz = req.headers.authorization === undefined ? undefined : parseAuthHeader(req.headers.authorization);
      if (authz) {
        const scheme = core.authenticators.find((a) => a.scheme.toLowerCase() === authz.scheme.toLowerCase() &&
          (ep.secure || a.profiles.http !== ''));
        if (!scheme) {
          // The scheme name only, and only when it looks like one: never a piece of a credential.
          const shown = loggableScheme(req.headers.authorization);
          reason = shown === undefined ? 'unsupported auth scheme (not shown)' : `unsupported auth scheme ${shown}`;
          write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges() });
          return;
        }
        // Repeated failures by this (address, user name): answer at once, saying when to come back,
        // without looking at the attempt. A leg that names nobody yet (NTLM NEGOTIATE) is no attempt.
        const claimed = claimedUser(authz.scheme, authz.token ?? new Uint8Array(0));
        const retry = claimed === undefined ? undefined : ep.throttle?.retryAfter(client, claimed);
        if (retry !== undefined) {
          reason = 'too many failed logons: retry later';
          user = undefined;
          delete conn.context;
          write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges(), 'Retry-After': String(retry) });
          return;
        }
        const outcome = await scheme.authenticate(authz.token, conn);
        if (outcome.kind === 'challenge') {
          if (outcome.failed) ep.throttle?.failed(client, claimed ?? '');
          reason = outcome.reason;
          user = undefined;
          const wait = outcome.failed ? ep.throttle?.retryAfter(client, claimed ?? '') : undefined;
          write(res, 401, Buffer.alloc(0), {
            'WWW-Authenticate': outcome.header ? [outcome.header] : challenges(), ...(wait !== undefined ? { 'Retry-After': String(wait) } : {}),
          });
          return;
        }
        ep.throttle?.succeeded(client, claimed || outcome.user.name);
        user = outcome.user;
        mutualHeader = outcome.responseHeader;
      } else if (!user && !identifyOnly) {
        reason = 'no credentials';
        write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges() });
        return;
      }
      // Whose account would run this user's commands (accounts.ts): none, the logon is refused.
      if (user && conn.runAsChecked !== user) {
        const who = resolveRunAs(user);
        if (who.kind === 'refused') {
          core.log.log('warn', 'logon refused', { user: user.name, reason: who.reason });
          reason = `logon refused: ${who.reason}`;
          delete conn.user;
          user = undefined;
          write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges() });
          return;
        }
        conn.runAsChecked = user;
      }
      // Before logon only Identify is answered: a small cap, checked before reading or parsing.
      const preAuth = user === undefined;
      const cap = preAuth ? Math.min(allowed, PRE_AUTH_BODY_LIMIT) : allowed;
      if (preAuth && Number.isFinite(declared) && declared > cap) {
        reason = 'unauthenticated body over the pre-authentication limit';
        write(res, 413, Buffer.alloc(0), { Connection: 'close' });
        return;
      }
      const body = await readBody(req, cap);
      if (body === undefined) {
        reason = preAuth ? 'unauthenticated body over the pre-authentication limit' : 'body over MaxEnvelopeSizekb';
        write(res, 413, Buffer.alloc(0), { Connection: 'close' });
        return;
      }
      const extra: Record<string, string> = mutualHeader ? { 'WWW-Authenticate': mutualHeader } : {};
      // Unsealing lives here, apart from authentication and dispatch.
      let soap = body;
      const ctx = conn.context;
      if (sealed) {
        if (!ctx?.canSeal || !ctx.complete) {
          reason = 'sealed body without an established security context';
          write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges() });
          return;
        }
        try {
          soap = unsealBody(body, String(req.headers['content-type']), ctx);
        } catch {
          // Tampered, replayed or badly framed: the connection's security context is unusable.
          reason = 'sealed body rejected (framing, integrity or replay)';
          ep.throttle?.failed(client, user?.name ?? '');
          delete conn.context;
          delete conn.user;
          write(res, 400, Buffer.alloc(0), { Connection: 'close' });
          return;
        }
      } else if (user && !clearTrafficAllowed(ep.secure, false, core.allowUnencrypted) && body.length > 0) {
        reason = 'unencrypted traffic refused (use HTTPS, message encryption, or --allow-unencrypted)';
        const f = faultFromCode(WsmanCode.AccessDenied, machine,
          'The WinRM service refuses unencrypted traffic on HTTP. Use HTTPS, a sealing authentication (Negotiate), or start the listener with --allow-unencrypted. ');
        f.reason = f.message ?? f.reason ?? '';
        const id = peekMessageId(body);
        const xml = encodeMessage({ headers: responseHeaders(id ? { messageId: id } : {}, faultAction(f), `uuid:${core.newId()}`), body: { kind: 'Fault', fault: f } }, 'response');
        write(res, 500, Buffer.from(xml, 'utf8'), extra);
        return;
      }
      if (soap.length === 0) {
        // pypsrp authenticates with an empty POST before sending sealed bodies.
        if (!user) {
          reason = 'no credentials';
          write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges() });
          return;
        }
        write(res, 200, Buffer.alloc(0), extra);
        return;
      }
      const quick = sealed ? undefined : quickIdentify(core, soap, user !== undefined, ep.secure);
      if (quick !== undefined) {
        action = 'Identify';
        write(res, 200, quick, extra);
        return;
      }
      const ac = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      const host = req.headers.host ?? `${machine}:${req.socket.localPort}`;
      const charset = charsetOf(req.headers['content-type']);
      const outcome: Outcome = await dispatch(core, {
        body: soap, ...(charset ? { charset } : {}), user, clientIp: client, machine, secure: ep.secure,
        endpoint: `${ep.secure ? 'https' : 'http'}://${host}${ep.path}`, closed: ac.signal,
      });
      switch (outcome.kind) {
        case 'unauthorized':
          reason = 'unauthenticated request other than Identify';
          write(res, 401, Buffer.alloc(0), { 'WWW-Authenticate': challenges() });
          return;
        case 'none':
          action = outcome.action;
          shellId = outcome.shellId;
          return;
        case 'redirect':
          action = outcome.action;
          write(res, 302, Buffer.alloc(0), { ...extra, Location: outcome.location });
          return;
        case 'soap': {
          action = outcome.action;
          shellId = outcome.shellId;
          if (outcome.fault !== undefined) reason = `fault ${outcome.fault}`;
          const utf16 = charset !== undefined && /^utf-?16/i.test(charset);
          let out: Buffer = utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(outcome.xml, 'utf16le')]) : Buffer.from(outcome.xml, 'utf8');
          let type = utf16 ? 'application/soap+xml;charset=UTF-16' : SOAP_TYPE;
          if (sealed && ctx) {
            const s = sealBody(out, ctx, type);
            out = s.body;
            type = s.contentType;
          }
          if (outcome.onSent) {
            const onSent = outcome.onSent;
            res.once('finish', () => onSent(true));
            res.once('close', () => {
              if (!res.writableFinished) onSent(false);
            });
          }
          write(res, outcome.status, out, extra, type);
          return;
        }
      }
    } catch (err) {
      if (err instanceof BodyAborted) {
        // A client gone mid-body, or a slow body cut off with 408: its doing, not ours.
        core.log.log('info', 'request', { client, user: user?.name, status: res.statusCode, reason: 'body incomplete (client gone or too slow)' });
        res.destroy();
        return;
      }
      reason = `internal error: ${(err as Error)?.message ?? 'unknown'}`;
      core.log.log('error', 'request failed', { client, error: (err as Error)?.message });
      if (!res.headersSent) write(res, 500, Buffer.alloc(0), { Connection: 'close' });
      else res.destroy();
    }
  };
}
