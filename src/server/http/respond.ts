/**
 * The dispatch stage: an authenticated (or Identify-only) SOAP request handed to dispatch.ts, and
 * its outcome written back: 401, 302, nothing (the handler answered itself), or the SOAP reply in
 * the request's charset, sealed when the request was, with its sent/not-sent callback.
 */
import { charsetOf } from '../../core/index.js';
import type { ConnectionAuth } from '../auth.js';
import { dispatch, quickIdentify, type Outcome } from '../dispatch.js';
import { seal } from './unseal.js';
import { sealAhead } from '../sealing.js';
import { refuse, write, SOAP_TYPE, type RequestState } from './io.js';

export interface DispatchInput {
  soap: Buffer;
  sealed: boolean;
  /** The security context the request was unsealed with. */
  ctx: ConnectionAuth['context'];
  secure: boolean;
  /** The endpoint's path (`/wsman`). */
  path: string;
  /** Headers every response carries (the mutual-authentication leg). */
  extra: Record<string, string>;
}

export async function dispatchAndRespond(st: RequestState, d: DispatchInput): Promise<void> {
  const { core, req, res } = st;
  const { soap, sealed, extra } = d;
  if (soap.length === 0) {
    // pypsrp authenticates with an empty POST before sending sealed bodies.
    if (!st.user) {
      refuse(st, 401, 'no credentials', { 'WWW-Authenticate': st.challenges() });
      return;
    }
    write(res, 200, Buffer.alloc(0), extra);
    return;
  }
  const quick = sealed ? undefined : quickIdentify(core, soap, st.user !== undefined, d.secure);
  if (quick !== undefined) {
    st.action = 'Identify';
    write(res, 200, quick, extra);
    return;
  }
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  const host = req.headers.host ?? `${st.machine}:${req.socket.localPort}`;
  const charset = charsetOf(req.headers['content-type']);
  const outcome: Outcome = await dispatch(core, {
    body: soap, ...(charset ? { charset } : {}), user: st.user, clientIp: st.client, machine: st.machine, secure: d.secure,
    endpoint: `${d.secure ? 'https' : 'http'}://${host}${d.path}`, closed: ac.signal,
  });
  switch (outcome.kind) {
    case 'unauthorized':
      refuse(st, 401, 'unauthenticated request other than Identify', { 'WWW-Authenticate': st.challenges() });
      return;
    case 'none':
      st.action = outcome.action;
      st.shellId = outcome.shellId;
      return;
    case 'redirect':
      st.action = outcome.action;
      write(res, 302, Buffer.alloc(0), { ...extra, Location: outcome.location });
      return;
    case 'soap': {
      st.action = outcome.action;
      st.shellId = outcome.shellId;
      if (outcome.fault !== undefined) st.reason = `fault ${outcome.fault}`;
      const utf16 = charset !== undefined && /^utf-?16/i.test(charset);
      const out: Buffer = utf16
        ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(outcome.xml.toString(), 'utf16le')])
        : typeof outcome.xml === 'string' ? Buffer.from(outcome.xml, 'utf8') : outcome.xml;
      const sealedOut = seal(out, utf16 ? 'application/soap+xml;charset=UTF-16' : SOAP_TYPE, sealed, d.ctx);
      // Pooled memory goes back once nothing reads it: now when a copy is sent, else once written.
      if (outcome.recycle) {
        if (sealedOut.body !== outcome.xml) outcome.recycle();
        else res.once('close', outcome.recycle);
      }
      if (outcome.onSent) {
        const onSent = outcome.onSent;
        res.once('finish', () => onSent(true));
        res.once('close', () => {
          if (!res.writableFinished) onSent(false);
        });
      }
      write(res, outcome.status, sealedOut.body, extra, sealedOut.contentType);
      if (sealed && d.ctx) sealAhead(d.ctx);
      return;
    }
  }
}
