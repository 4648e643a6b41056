/**
 * The HTTP layer of the listener (protocol.md §8): POST on the application path, body size limit
 * (413 without reading further), then its stages, each in its own file under http/:
 * authentication per connection (the 401 loop, authenticate.ts), the refusal of unsealed
 * plain-HTTP traffic unless allowed and unsealing/sealing (unseal.ts), and dispatch with the
 * response (respond.ts). Responses always carry Content-Length so connections stay alive. One log
 * line per request, no secrets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ListenerCore } from './core.js';
import { isSealedContentType } from './sealing.js';
import type { FailureThrottle } from './auth-throttle.js';
import { BodyAborted, plainAddress, readBody, refuse, write, type RequestState } from './http/io.js';
import { authenticate } from './http/authenticate.js';
import { unseal } from './http/unseal.js';
import { dispatchAndRespond } from './http/respond.js';

export interface EndpointOptions {
  secure: boolean;
  /** `/wsman` by default. */
  path: string;
  /** Slows down repeated authentication failures per client address. */
  throttle?: FailureThrottle;
}

/**
 * The largest body read from a client that has not authenticated (an Identify marked
 * `WSMANIDENTIFY: unauthenticated`; Identify requests are well under 4 KB). Larger ones get 413
 * before a byte of the body is read or parsed, so unauthenticated clients cost next to nothing.
 */
export const PRE_AUTH_BODY_LIMIT = 8192;

/** The request handler for one endpoint (HTTP or HTTPS). */
export function createHandler(core: ListenerCore, ep: EndpointOptions) {
  const challenges = (): string[] => core.authenticators.map((a) => a.challenge).filter((c) => c !== '');
  const appPath = ep.path.toLowerCase();

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const st: RequestState = {
      core, req, res, challenges,
      client: plainAddress(req.socket.remoteAddress),
      machine: plainAddress(req.socket.localAddress) || '127.0.0.1',
    };
    res.once('finish', () => {
      const ms = performance.now() - started;
      core.log.log('info', 'request', {
        client: st.client, user: st.user?.name, action: st.action, shellId: st.shellId, status: res.statusCode, ms: Math.round(ms * 10) / 10, reason: st.reason,
      });
    });
    try {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      if ((q < 0 ? url : url.slice(0, q)).toLowerCase() !== appPath) {
        refuse(st, 404, 'unknown path');
        return;
      }
      if (req.method !== 'POST') {
        refuse(st, 405, 'method not allowed', { Allow: 'POST' });
        return;
      }
      const limit = core.config.maxEnvelopeSizeKb * 1024;
      const sealed = isSealedContentType(req.headers['content-type']);
      const allowed = sealed ? limit + 16384 : limit;
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > allowed) {
        refuse(st, 413, 'body over MaxEnvelopeSizekb', { Connection: 'close' });
        return;
      }
      const identifyOnly = String(req.headers['wsmanidentify'] ?? '').toLowerCase() === 'unauthenticated';
      const auth = await authenticate(st, ep.secure, ep.throttle, identifyOnly);
      if (!auth) return;
      // Before logon only Identify is answered: a small cap, checked before reading or parsing.
      const preAuth = st.user === undefined;
      const cap = preAuth ? Math.min(allowed, PRE_AUTH_BODY_LIMIT) : allowed;
      if (preAuth && Number.isFinite(declared) && declared > cap) {
        refuse(st, 413, 'unauthenticated body over the pre-authentication limit', { Connection: 'close' });
        return;
      }
      const body = await readBody(req, cap);
      if (body === undefined) {
        refuse(st, 413, preAuth ? 'unauthenticated body over the pre-authentication limit' : 'body over MaxEnvelopeSizekb', { Connection: 'close' });
        return;
      }
      const extra: Record<string, string> = auth.mutualHeader ? { 'WWW-Authenticate': auth.mutualHeader } : {};
      const ctx = auth.conn.context;
      const soap = unseal(st, body, sealed, auth.conn, ep.secure, ep.throttle, extra);
      if (soap === undefined) return;
      await dispatchAndRespond(st, { soap, sealed, ctx, secure: ep.secure, path: ep.path, extra });
    } catch (err) {
      if (err instanceof BodyAborted) {
        // A client gone mid-body, or a slow body cut off with 408: its doing, not ours.
        core.log.log('info', 'request', { client: st.client, user: st.user?.name, status: res.statusCode, reason: 'body incomplete (client gone or too slow)' });
        res.destroy();
        return;
      }
      st.reason = `internal error: ${(err as Error)?.message ?? 'unknown'}`;
      core.log.log('error', 'request failed', { client: st.client, error: (err as Error)?.message });
      if (!res.headersSent) write(res, 500, Buffer.alloc(0), { Connection: 'close' });
      else res.destroy();
    }
  };
}
