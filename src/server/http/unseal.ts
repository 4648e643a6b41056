/**
 * The message-encryption stage: unsealing a sealed body with the connection's security context
 * (sealing.ts), refusing unsealed traffic on plain HTTP unless allowed (AllowUnencrypted), and
 * sealing the response of a sealed request.
 */
import { WsmanCode, encodeMessage, responseHeaders, faultFromCode, faultAction, peekMessageId } from '../../core/index.js';
import type { ConnectionAuth } from '../auth.js';
import type { FailureThrottle } from '../auth-throttle.js';
import { unsealBody, sealBody } from '../sealing.js';
import { clearTrafficAllowed } from '../../auth/policy.js';
import { refuse, write, type RequestState } from './io.js';

/**
 * The SOAP of a request body: unsealed when `sealed`, as it is otherwise. Undefined once it has
 * answered: a sealed body without a context (401), one that fails its checks (400, the context is
 * dropped), or clear traffic the endpoint refuses (the AccessDenied fault Windows sends).
 */
export function unseal(st: RequestState, body: Buffer, sealed: boolean, conn: ConnectionAuth, secure: boolean, throttle: FailureThrottle | undefined, extra: Record<string, string>): Buffer | undefined {
  const ctx = conn.context;
  if (sealed) {
    if (!ctx?.canSeal || !ctx.complete) {
      refuse(st, 401, 'sealed body without an established security context', { 'WWW-Authenticate': st.challenges() });
      return undefined;
    }
    try {
      return unsealBody(body, String(st.req.headers['content-type']), ctx);
    } catch {
      // Tampered, replayed or badly framed: the connection's security context is unusable.
      throttle?.failed(st.client, st.user?.name ?? '');
      delete conn.context;
      delete conn.user;
      refuse(st, 400, 'sealed body rejected (framing, integrity or replay)', { Connection: 'close' });
      return undefined;
    }
  }
  if (st.user && !clearTrafficAllowed(secure, false, st.core.allowUnencrypted) && body.length > 0) {
    st.reason = 'unencrypted traffic refused (use HTTPS, message encryption, or --allow-unencrypted)';
    const f = faultFromCode(WsmanCode.AccessDenied, st.machine,
      'The WinRM service refuses unencrypted traffic on HTTP. Use HTTPS, a sealing authentication (Negotiate), or start the listener with --allow-unencrypted. ');
    f.reason = f.message ?? f.reason ?? '';
    const id = peekMessageId(body);
    const xml = encodeMessage({ headers: responseHeaders(id ? { messageId: id } : {}, faultAction(f), `uuid:${st.core.newId()}`), body: { kind: 'Fault', fault: f } }, 'response');
    write(st.res, 500, Buffer.from(xml, 'utf8'), extra);
    return undefined;
  }
  return body;
}

/** A response body and its content type, sealed (with the request's context) when the request was. */
export function seal(out: Buffer, type: string, sealed: boolean, ctx: ConnectionAuth['context']): { body: Buffer; contentType: string } {
  if (!sealed || !ctx) return { body: out, contentType: type };
  return sealBody(out, ctx, type);
}
