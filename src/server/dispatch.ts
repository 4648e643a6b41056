/**
 * One request body in, one answer out, without HTTP: decode, check the headers every WS-Man
 * request must carry (protocol.md §1.2–1.3), route by (Action, resource), run the handler, and
 * turn every error into the fault Windows sends (protocol.md §7). Nothing here throws.
 */
import {
  ANONYMOUS, WsmanProtocolError, WsmanCode, FAULT_CODES, FAULT_DETAIL_PREFIX, encodeMessage, encodeMessageBytes,
  responseHeaders, faultFromCode, faultAction, selector, type Headers, type FaultFields, type Message,
} from '../core/index.js';
import { WsmanStateError } from '../core/state/index.js';
import type { ListenerCore, WsmanRequest } from './core.js';
import type { ListenerUser } from './users.js';
import { resolveResource, route } from './routes.js';
import { identifyBody } from './handlers/identify.js';
import { OutPool } from './out-pool.js';
import { ClientGone, envelopeLimit } from './handlers/receive.js';
import { RequestDecoder } from './receive-decode.js';

/** Reused memory for ReceiveResponse envelopes (see out-pool.ts). */
const OUT_POOL = new OutPool();

export interface Incoming {
  body: Buffer;
  charset?: string;
  /** Undefined: an unauthenticated request that may only be Identify. */
  user: ListenerUser | undefined;
  clientIp: string;
  machine: string;
  secure: boolean;
  endpoint: string;
  closed: AbortSignal;
}

export type Outcome =
  | { kind: 'soap'; status: number; xml: string | Buffer; recycle?: () => void; action?: string; shellId?: string; fault?: number; onSent?: (delivered: boolean) => void }
  | { kind: 'redirect'; location: string; action?: string }
  | { kind: 'unauthorized' }
  | { kind: 'none'; action?: string; shellId?: string };

const MESSAGE_ID_RE = /<(?:[A-Za-z_][\w.-]*:)?MessageID\b[^>]*>\s*([^<\s]{1,200})\s*</;

/** Build a fault answer for the request (RelatesTo set when its MessageID is known). */
export function faultOutcome(core: ListenerCore, request: Headers, code: number, machine: string, opts: { detail?: string; faultDetail?: string; status?: number; shellResource?: boolean } = {}): Extract<Outcome, { kind: 'soap' }> {
  const f: FaultFields = faultFromCode(code, machine, FAULT_CODES.has(code) ? undefined : opts.detail);
  if (opts.faultDetail) f.faultDetail = FAULT_DETAIL_PREFIX + opts.faultDetail;
  if (code === WsmanCode.UnexpectedSelectors && opts.shellResource) {
    f.providerFault = { provider: 'Shell provider', path: '%systemroot%\\system32\\WsmSvc.dll', message: f.message ?? '' };
  }
  const msg: Message = { headers: responseHeaders(request, faultAction(f), `uuid:${core.newId()}`), body: { kind: 'Fault', fault: f } };
  return { kind: 'soap', status: opts.status ?? 500, xml: encodeMessage(msg, 'response'), fault: code };
}

function shortAction(a: string | undefined): string | undefined {
  return a === undefined ? undefined : a.slice(a.lastIndexOf('/') + 1);
}

/** The header rules of protocol.md §1.2–1.3; returns a fault outcome or undefined. */
function checkHeaders(core: ListenerCore, h: Headers, machine: string): Outcome | undefined {
  if (h.action === undefined || h.action.trim() === '') return faultOutcome(core, h, WsmanCode.MessageInformationHeaderRequired, machine);
  if (h.messageId === undefined || h.messageId.trim() === '') return faultOutcome(core, h, WsmanCode.InvalidMessageInformationHeader, machine);
  if (h.replyTo === undefined) return faultOutcome(core, h, WsmanCode.MessageInformationHeaderRequired, machine);
  if (h.replyTo.trim() !== ANONYMOUS) return faultOutcome(core, h, WsmanCode.UnsupportedFeature, machine, { faultDetail: 'AddressingMode' });
  if (h.maxEnvelopeSize !== undefined && h.maxEnvelopeSize < 8192) return faultOutcome(core, h, WsmanCode.EncodingLimit, machine);
  if (h.localeMustUnderstand || h.dataLocaleMustUnderstand) return faultOutcome(core, h, WsmanCode.UnsupportedFeature, machine, { faultDetail: 'Locale' });
  if (h.unknown?.some((u) => u.mustUnderstand)) return faultOutcome(core, h, WsmanCode.MustUnderstand, machine);
  return undefined;
}

// The Identify answer depends only on (authenticated, secure) for a given listener, and an
// Identify request carries no MessageID, so clients send the same bytes every time: the last
// Identify body seen is remembered and an identical body is answered without parsing.
// The cache keeps the answer's bytes too, so that a repeated Identify costs no UTF-8 encoding.
const identifyCaches = new WeakMap<ListenerCore, Map<string, { xml: string; bytes: Buffer }>>();
const lastIdentify = new WeakMap<ListenerCore, Buffer>();
const decoders = new WeakMap<ListenerCore, RequestDecoder>();

/** The cached Identify answer (UTF-8) when `body` is byte-identical to the last Identify request. */
export function quickIdentify(core: ListenerCore, body: Buffer, authenticated: boolean, secure: boolean): Buffer | undefined {
  const last = lastIdentify.get(core);
  if (!last || last.length !== body.length || !last.equals(body)) return undefined;
  return identifyCaches.get(core)?.get(`${authenticated}/${secure}`)?.bytes;
}

export async function dispatch(core: ListenerCore, inc: Incoming): Promise<Outcome> {
  let identifyCache = identifyCaches.get(core);
  if (!identifyCache) {
    identifyCache = new Map();
    identifyCaches.set(core, identifyCache);
  }
  let message: Message;
  const maxBytes = core.config.maxEnvelopeSizeKb * 1024;
  try {
    let decoder = decoders.get(core);
    if (!decoder) {
      decoder = new RequestDecoder();
      decoders.set(core, decoder);
    }
    message = decoder.decode(inc.body, maxBytes, inc.charset);
  } catch (err) {
    const text = inc.body.subarray(0, 8192).toString('utf8');
    const id = MESSAGE_ID_RE.exec(text)?.[1];
    const h: Headers = id ? { messageId: id } : {};
    if (!inc.user) return { kind: 'unauthorized' };
    const code = err instanceof WsmanProtocolError ? err.fault.wsmanCode : WsmanCode.SchemaValidationError;
    return faultOutcome(core, h, code, inc.machine);
  }
  const h = message.headers;
  if (message.body.kind === 'Identify') {
    const key = `${inc.user !== undefined}/${inc.secure}`;
    let cached = identifyCache.get(key);
    if (cached === undefined) {
      const xml = encodeMessage({ headers: {}, body: identifyBody(core, inc.user !== undefined, inc.secure) }, 'response');
      cached = { xml, bytes: Buffer.from(xml, 'utf8') };
      identifyCache.set(key, cached);
    }
    if (inc.body.length <= 4096) lastIdentify.set(core, Buffer.from(inc.body));
    return { kind: 'soap', status: 200, xml: cached.xml, action: 'Identify' };
  }
  if (!inc.user) return { kind: 'unauthorized' };
  const bad = checkHeaders(core, h, inc.machine);
  if (bad) return bad;
  const action = h.action!.trim();
  const resource = resolveResource(core, h.resourceUri);
  if (!resource) return faultOutcome(core, h, WsmanCode.InvalidResourceURI, inc.machine);
  const handler = route(resource.kind, action);
  if (!handler) return faultOutcome(core, h, WsmanCode.ActionNotSupported, inc.machine);
  const req: WsmanRequest = {
    headers: h, body: message.body, user: inc.user, clientIp: inc.clientIp, machine: inc.machine, secure: inc.secure,
    endpoint: inc.endpoint, closed: inc.closed, core, note: {},
    ...(resource.config ? { config: resource.config } : {}),
  };
  const shellResource = resource.kind === 'shell' || resource.kind === 'shells';
  let release: (() => void) | undefined;
  const sid = selector(h, 'ShellId');
  const shell = sid !== undefined ? core.store.get(sid.trim()) : undefined;
  const touch = shell && shell.owner.name.toLowerCase() === inc.user.name.toLowerCase() ? shell : undefined;
  if (touch) {
    touch.busy++;
    touch.lastActivity = core.now();
  }
  try {
    const limit = core.config.configurations[0]!.maxConcurrentOperationsPerUser;
    release = core.beginOperation(inc.user.name, limit);
    const reply = await handler(req);
    if (reply.kind === 'redirect') return { kind: 'redirect', location: reply.location, action: shortAction(action) };
    const rh = responseHeaders(h, reply.action, `uuid:${core.newId()}`);
    // A ReceiveResponse goes to bytes directly: its base64 is written into the Buffer (no large string).
    // (in memory of OUT_POOL, given back by the writer once the socket has the bytes).
    const xml = reply.body.kind === 'ReceiveResponse' ? encodeMessageBytes({ headers: rh, body: reply.body }, 'response', OUT_POOL.take) : encodeMessage({ headers: rh, body: reply.body }, 'response');
    const recycle = typeof xml === 'string' ? undefined : (): void => OUT_POOL.give(xml);
    if ((typeof xml === 'string' ? Buffer.byteLength(xml) : xml.length) > envelopeLimit(req)) {
      recycle?.();
      req.note.undo?.();
      return { ...faultOutcome(core, h, WsmanCode.MaxEnvelopeSizeExceeded, inc.machine), action: shortAction(action) };
    }
    const undo = req.note.undo;
    if (undo && inc.closed.aborted) {
      // The client went away while this was made: nobody will learn of it.
      undo();
      recycle?.();
      return { kind: 'none', action: shortAction(action) };
    }
    const onSent = undo
      ? (delivered: boolean): void => {
        if (!delivered) undo();
        reply.onSent?.(delivered);
      }
      : reply.onSent;
    return {
      kind: 'soap', status: 200, xml, action: shortAction(action), ...(recycle ? { recycle } : {}),
      ...(req.note.shellId ? { shellId: req.note.shellId } : {}), ...(onSent ? { onSent } : {}),
    };
  } catch (err) {
    req.note.undo?.();
    const base = { action: shortAction(action), ...(req.note.shellId ? { shellId: req.note.shellId } : {}) };
    if (err instanceof ClientGone) return { kind: 'none', ...base };
    if (err instanceof WsmanProtocolError) {
      const o = faultOutcome(core, h, err.fault.wsmanCode, inc.machine, {
        detail: err.fault.detail ?? err.message, shellResource, ...(err.fault.httpStatus ? { status: err.fault.httpStatus } : {}),
      });
      return { ...o, ...base };
    }
    if (err instanceof WsmanStateError) {
      const code = err.fault?.wsmanCode ?? WsmanCode.NotSupported;
      return { ...faultOutcome(core, h, code, inc.machine, { detail: err.message, shellResource }), ...base };
    }
    core.log.log('error', 'internal error while handling a request', { action: base.action, error: (err as Error)?.message });
    return { ...faultOutcome(core, h, WsmanCode.NotSupported, inc.machine, { detail: 'Internal error. ' }), ...base };
  } finally {
    release?.();
    if (touch) {
      touch.busy--;
      touch.lastActivity = core.now();
    }
  }
}
