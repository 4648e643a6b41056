/**
 * The authentication stage of a request: the connection's security context (certificate, channel
 * binding), the Authorization header's scheme and its 401 loop, the slowdown of repeated failures,
 * and the refusal of users no local account may serve (accounts.ts).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { basicDigestOf, type ConnectionAuth } from '../auth.js';
import type { FailureThrottle } from '../auth-throttle.js';
import { tlsServerEndPoint } from '../../auth/certificate.js';
import { loggableScheme, parseAuthHeader } from '../../auth/http.js';
import { claimedUser } from '../../auth/claimed.js';
import { resolveRunAs } from '../accounts.js';
import { refuse, type RequestState } from './io.js';

const connections = new WeakMap<Socket, ConnectionAuth>();

/** The authentication state of a connection (connection-based schemes own a whole connection). */
export function connOf(socket: Socket): ConnectionAuth {
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

export interface Authenticated {
  conn: ConnectionAuth;
  /** The final leg of a mutual scheme, sent back with the response. */
  mutualHeader?: string;
}

/**
 * Authenticate the request: sets `st.user` (undefined for an unauthenticated Identify) and
 * resolves what the next stages need, or undefined once it has answered (401).
 */
export async function authenticate(st: RequestState, secure: boolean, throttle: FailureThrottle | undefined, identifyOnly: boolean): Promise<Authenticated | undefined> {
  const { core, req, client } = st;
  const conn = connOf(req.socket);
  st.user = conn.user;
  let mutualHeader: string | undefined;
  const authz = req.headers.authorization === undefined ? undefined : parseAuthHeader(req.headers.authorization);
  if (authz) {
    const scheme = core.authenticators.find((a) => a.scheme.toLowerCase() === authz.scheme.toLowerCase() &&
      (secure || a.profiles.http !== ''));
    if (!scheme) {
      // The scheme name only, and only when it looks like one: never a piece of a credential.
      const shown = loggableScheme(req.headers.authorization);
      refuse(st, 401, shown === undefined ? 'unsupported auth scheme (not shown)' : `unsupported auth scheme ${shown}`, { 'WWW-Authenticate': st.challenges() });
      return undefined;
    }
    // The very Basic credentials this connection verified already (a Receive loop sends them on
    // every request): the same user, with nothing to decode, look up or slow down again.
    const known = conn.basicUser !== undefined && authz.token !== undefined && scheme.scheme === 'Basic' &&
      conn.basicDigest === basicDigestOf(authz.token) ? conn.basicUser : undefined;
    if (known) {
      st.user = known;
      return authorized(st, conn, undefined);
    }
    // Repeated failures by this (address, user name): answer at once, saying when to come back,
    // without looking at the attempt. A leg that names nobody yet (NTLM NEGOTIATE) is no attempt.
    const claimed = claimedUser(authz.scheme, authz.token ?? new Uint8Array(0));
    const retry = claimed === undefined ? undefined : throttle?.retryAfter(client, claimed);
    if (retry !== undefined) {
      st.user = undefined;
      delete conn.context;
      refuse(st, 401, 'too many failed logons: retry later', { 'WWW-Authenticate': st.challenges(), 'Retry-After': String(retry) });
      return undefined;
    }
    const outcome = await scheme.authenticate(authz.token, conn);
    if (outcome.kind === 'challenge') {
      if (outcome.failed) throttle?.failed(client, claimed ?? '');
      st.user = undefined;
      const wait = outcome.failed ? throttle?.retryAfter(client, claimed ?? '') : undefined;
      refuse(st, 401, outcome.reason, {
        'WWW-Authenticate': outcome.header ? [outcome.header] : st.challenges(), ...(wait !== undefined ? { 'Retry-After': String(wait) } : {}),
      });
      return undefined;
    }
    throttle?.succeeded(client, claimed || outcome.user.name);
    st.user = outcome.user;
    mutualHeader = outcome.responseHeader;
  } else if (!st.user && !identifyOnly) {
    refuse(st, 401, 'no credentials', { 'WWW-Authenticate': st.challenges() });
    return undefined;
  }
  return authorized(st, conn, mutualHeader);
}

/** The last step of a logon: the user must map to a local account (else 401). */
function authorized(st: RequestState, conn: ConnectionAuth, mutualHeader: string | undefined): Authenticated | undefined {
  const { core } = st;
  // Whose account would run this user's commands (accounts.ts): none, the logon is refused.
  // Checked once per connection and user; every process start checks again (spawn-spec.ts).
  if (st.user && conn.runAsChecked !== st.user) {
    const who = resolveRunAs(st.user);
    if (who.kind === 'refused') {
      core.log.log('warn', 'logon refused', { user: st.user.name, reason: who.reason });
      delete conn.user;
      st.user = undefined;
      refuse(st, 401, `logon refused: ${who.reason}`, { 'WWW-Authenticate': st.challenges() });
      return undefined;
    }
    conn.runAsChecked = st.user;
  }
  return { conn, ...(mutualHeader !== undefined ? { mutualHeader } : {}) };
}
