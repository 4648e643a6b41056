/**
 * The SOAP envelope and its WS-Addressing / WS-Management headers (DSP0226 §5–6, MS-WSMV §2.2.4,
 * protocol.md §1.2–1.4).
 *
 *   <s:Envelope xmlns:s=… xmlns:a=… xmlns:w=… xmlns:p=…>
 *    <s:Header>
 *     <a:To>http://host:5985/wsman</a:To>
 *     <a:ReplyTo><a:Address s:mustUnderstand="true">…/role/anonymous</a:Address></a:ReplyTo>
 *     <a:Action s:mustUnderstand="true">…</a:Action>
 *     <w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>
 *     <a:MessageID>uuid:…</a:MessageID>
 *     <w:Locale xml:lang="en-US" s:mustUnderstand="false"/> …
 *    </s:Header>
 *    <s:Body>…</s:Body>
 *   </s:Envelope>
 */
import { NS, ANONYMOUS } from './namespaces.js';
import { WsmanProtocolError, WsmanUsageError, WsmanCode } from './errors.js';
import { parseDuration, parseBoolean, formatDurationShort } from './duration.js';
import { setOwn } from './messages/common.js';
import { type XmlElement, type XNode, type XmlLimits, parseXml, child, childrenOf, attr, attrCI, el, serializeXml, isEl, INVALID_XML_CHAR } from './xml.js';

/** `<w:Option Name="…" MustComply="true" Type="xs:boolean">value</w:Option>` */
export interface WsmanOption {
  name: string;
  value: string;
  mustComply?: boolean;
  type?: string;
}

/** A header we do not model, kept so a listener can apply the mustUnderstand rule. */
export interface UnknownHeader {
  ns: string;
  name: string;
  mustUnderstand: boolean;
  text: string;
}

/** Every request and response header of protocol.md §1.2 and §1.4. Durations in milliseconds. */
export interface Headers {
  to?: string;
  /** ReplyTo/Address; requests must carry the anonymous address. */
  replyTo?: string;
  action?: string;
  messageId?: string;
  relatesTo?: string;
  resourceUri?: string;
  /** Largest response the sender accepts, in bytes. */
  maxEnvelopeSize?: number;
  operationTimeout?: number;
  locale?: string;
  /** The sender marked Locale mustUnderstand="true" (a server answers UnsupportedFeature). */
  localeMustUnderstand?: boolean;
  dataLocale?: string;
  dataLocaleMustUnderstand?: boolean;
  sessionId?: string;
  /** Selector names keep the sender's case; look them up with `selector()`. */
  selectors?: Record<string, string>;
  options?: WsmanOption[];
  optionSetMustUnderstand?: boolean;
  operationId?: string;
  /** OperationID marked mustUnderstand="true": a retransmission (§3.4.2). */
  operationIdMustUnderstand?: boolean;
  sequenceId?: number;
  activityId?: string;
  /** `rsp:CompressionType` on shell Create (e.g. `xpress`). */
  compressionType?: string;
  unknown?: UnknownHeader[];
  /** `s:NotUnderstood` headers of a MustUnderstand fault: each `qname` as written (prefix:name). */
  notUnderstood?: string[];
  /** Lenient decoding only (`wsman decode`): headers whose value was invalid, kept as sent. */
  invalid?: InvalidHeader[];
}

/** A header value a lenient decode kept instead of failing: `field` is the Headers key it would fill. */
export interface InvalidHeader {
  field: string;
  text: string;
  reason: string;
}

/** How to decode: `lenient` records invalid header values in `invalid` instead of throwing. */
export interface DecodeOptions {
  lenient?: boolean;
}

/** A decoded envelope: headers plus the first Body child (undefined when the Body is empty). */
export interface RawEnvelope {
  headers: Headers;
  body: XmlElement | undefined;
  /** Every Body child (a CreateResponse has two). */
  bodyElements: readonly XmlElement[];
}

function badHeader(message: string): WsmanProtocolError {
  return new WsmanProtocolError('ERR_BAD_HEADER', message, { wsmanCode: WsmanCode.InvalidMessageInformationHeader });
}

function mustUnderstandOf(e: XmlElement): boolean {
  return parseBoolean(attr(e, 'mustUnderstand', NS.s)) === true;
}

/** Case-insensitive selector lookup (DSP0226: selector names are case-insensitive). */
export function selector(headers: Headers, name: string): string | undefined {
  if (!headers.selectors) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers.selectors)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Case-insensitive option lookup. */
export function option(headers: Headers, name: string): WsmanOption | undefined {
  const lower = name.toLowerCase();
  return headers.options?.find((o) => o.name.toLowerCase() === lower);
}

export function decodeSelectorSet(set: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of childrenOf(set, NS.w, 'Selector')) {
    const name = attrCI(s, 'Name');
    if (name === undefined) throw new WsmanProtocolError('ERR_BAD_SELECTOR', 'a Selector has no Name', { wsmanCode: WsmanCode.InvalidSelectors });
    setOwn(out, name, s.text.trim());
  }
  return out;
}

export function encodeSelectorSet(selectors: Record<string, string>): XNode {
  return el('w:SelectorSet', null, ...Object.entries(selectors).map(([k, v]) => el('w:Selector', { Name: k }, v)));
}

/** A non-negative integer header (MaxEnvelopeSize is xs:positiveInteger, SequenceId xs:unsignedLong). */
function decodeInt(e: XmlElement, what: string): number {
  const t = e.text.trim();
  if (!/^\+?\d+$/.test(t)) throw badHeader(`${what} is not a non-negative integer: '${t.slice(0, 40)}'`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw badHeader(`${what} is out of range: '${t.slice(0, 40)}'`);
  return n;
}

/** Decode the headers of an already parsed envelope root. */
export function decodeHeaders(root: XmlElement, opts: DecodeOptions = {}): Headers {
  const h: Headers = {};
  const header = child(root, NS.s, 'Header');
  if (!header) return h;
  const unknown: UnknownHeader[] = [];
  for (const e of header.children) {
    if (!opts.lenient) {
      decodeHeader(h, e, unknown);
      continue;
    }
    try {
      decodeHeader(h, e, unknown);
    } catch (err) {
      if (!(err instanceof WsmanProtocolError)) throw err;
      const field = e.name === 'SelectorSet' ? 'selectors' : e.name.charAt(0).toLowerCase() + e.name.slice(1).replace(/ID$/, 'Id');
      (h.invalid ??= []).push({ field, text: e.text.trim().slice(0, 200), reason: err.message });
    }
  }
  if (unknown.length) h.unknown = unknown;
  return h;
}

function decodeHeader(h: Headers, e: XmlElement, unknown: UnknownHeader[]): void {
  {
    const text = e.text.trim();
    if (e.ns === NS.a) {
      switch (e.name) {
        case 'To': h.to = text; return;
        case 'Action': h.action = text; return;
        case 'MessageID': h.messageId = text; return;
        case 'RelatesTo': h.relatesTo = text; return;
        case 'ReplyTo': h.replyTo = child(e, NS.a, 'Address')?.text.trim() ?? ''; return;
      }
    } else if (e.ns === NS.w) {
      switch (e.name) {
        case 'ResourceURI': h.resourceUri = text; return;
        case 'MaxEnvelopeSize': h.maxEnvelopeSize = decodeInt(e, 'MaxEnvelopeSize'); return;
        case 'OperationTimeout': {
          const ms = parseDuration(text);
          if (ms === undefined || ms < 0) throw badHeader(`OperationTimeout is not a valid duration: '${text.slice(0, 40)}'`);
          h.operationTimeout = ms;
          return;
        }
        case 'Locale':
          h.locale = attr(e, 'lang', NS.xml) ?? '';
          if (mustUnderstandOf(e)) h.localeMustUnderstand = true;
          return;
        case 'SelectorSet': h.selectors = decodeSelectorSet(e); return;
        case 'OptionSet':
          h.options = childrenOf(e, NS.w, 'Option').map((o) => {
            const opt: WsmanOption = { name: attrCI(o, 'Name') ?? '', value: o.text };
            const mc = parseBoolean(attrCI(o, 'MustComply'));
            if (mc !== undefined) opt.mustComply = mc;
            const type = attrCI(o, 'Type');
            if (type !== undefined) opt.type = type;
            return opt;
          });
          if (mustUnderstandOf(e)) h.optionSetMustUnderstand = true;
          return;
      }
    } else if (e.ns === NS.p) {
      switch (e.name) {
        case 'DataLocale':
          h.dataLocale = attr(e, 'lang', NS.xml) ?? '';
          if (mustUnderstandOf(e)) h.dataLocaleMustUnderstand = true;
          return;
        case 'SessionId': h.sessionId = text; return;
        case 'OperationID':
          h.operationId = text;
          if (mustUnderstandOf(e)) h.operationIdMustUnderstand = true;
          return;
        case 'SequenceId':
        case 'SequenceID':
          h.sequenceId = decodeInt(e, 'SequenceId');
          return;
        case 'ActivityId': h.activityId = text; return;
      }
    } else if (e.ns === NS.rsp && e.name === 'CompressionType') {
      h.compressionType = text;
      return;
    }
    // Kept among the unknown headers too (a request carrying one is judged as before).
    if (e.ns === NS.s && e.name === 'NotUnderstood') (h.notUnderstood ??= []).push(attrCI(e, 'qname') ?? '');
    unknown.push({ ns: e.ns, name: e.name, mustUnderstand: mustUnderstandOf(e), text });
  }
}

/** Parse envelope text (or bytes) into headers and body elements. Throws WsmanProtocolError. */
export function parseEnvelope(input: string | Uint8Array, limits?: Partial<XmlLimits>, charset?: string, opts?: DecodeOptions): RawEnvelope {
  return envelopeOf(parseXml(input, limits, charset), opts);
}

/** Headers and body elements of a parsed document, which must be a SOAP 1.2 Envelope. */
export function envelopeOf(root: XmlElement, opts?: DecodeOptions): RawEnvelope {
  if (!isEl(root, NS.s, 'Envelope')) {
    const soap11 = root.name === 'Envelope' && root.ns === 'http://schemas.xmlsoap.org/soap/envelope/';
    throw new WsmanProtocolError('ERR_NOT_ENVELOPE',
      soap11 ? 'SOAP 1.1 envelopes are not WS-Management; SOAP 1.2 is required' : `the root element is {${root.ns}}${root.name}, not a SOAP 1.2 Envelope`,
      { wsmanCode: WsmanCode.SchemaValidationError });
  }
  const headers = decodeHeaders(root, opts);
  const bodyEl = child(root, NS.s, 'Body');
  if (!bodyEl) throw new WsmanProtocolError('ERR_NO_BODY', 'the envelope has no Body', { wsmanCode: WsmanCode.SchemaValidationError });
  return { headers, body: bodyEl.children[0], bodyElements: bodyEl.children };
}

const MU = { 's:mustUnderstand': 'true' } as const;
const NOT_MU = { 's:mustUnderstand': 'false' } as const;

/** Header elements, in the order Windows' own client writes them. */
export function encodeHeaders(h: Headers, role: 'request' | 'response'): XNode[] {
  const req = role === 'request';
  const out: (XNode | undefined)[] = [];
  const text = (name: string, value: string | undefined, attrs?: XNode['attrs']): XNode | undefined =>
    value === undefined ? undefined : el(name, attrs ?? null, value);
  out.push(text('a:Action', h.action, req ? MU : undefined));
  if (!req) out.push(text('a:MessageID', h.messageId), text('p:ActivityId', h.activityId));
  out.push(text('a:To', h.to));
  if (!req) out.push(text('a:RelatesTo', h.relatesTo));
  if (h.replyTo !== undefined) out.push(el('a:ReplyTo', null, el('a:Address', req ? MU : null, h.replyTo)));
  if (req) out.push(text('a:MessageID', h.messageId));
  out.push(text('w:ResourceURI', h.resourceUri, req ? MU : undefined));
  if (h.maxEnvelopeSize !== undefined) out.push(el('w:MaxEnvelopeSize', req ? MU : null, String(h.maxEnvelopeSize)));
  if (h.operationTimeout !== undefined) out.push(el('w:OperationTimeout', null, formatDurationShort(h.operationTimeout)));
  if (h.locale !== undefined) out.push(el('w:Locale', { 'xml:lang': h.locale, ...(h.localeMustUnderstand ? MU : NOT_MU) }));
  if (h.dataLocale !== undefined) out.push(el('p:DataLocale', { 'xml:lang': h.dataLocale, ...(h.dataLocaleMustUnderstand ? MU : NOT_MU) }));
  out.push(text('p:SessionId', h.sessionId, req ? NOT_MU : undefined));
  out.push(text('p:OperationID', h.operationId, h.operationIdMustUnderstand ? MU : NOT_MU));
  if (h.sequenceId !== undefined) out.push(el('p:SequenceId', req ? NOT_MU : null, String(h.sequenceId)));
  if (h.selectors) out.push(encodeSelectorSet(h.selectors));
  if (h.options) {
    out.push(el('w:OptionSet', h.optionSetMustUnderstand ? MU : null,
      ...h.options.map((o) => el('w:Option', { Name: o.name, MustComply: o.mustComply, Type: o.type }, o.value))));
  }
  out.push(text('rsp:CompressionType', h.compressionType, MU));
  // `unknown` headers are decode-only: they are never written back.
  return out.filter((n): n is XNode => n !== undefined);
}

/** Build a whole envelope. Responses get `xml:lang="en-US"` on the Envelope, as Windows writes. */
export function encodeEnvelope(headers: Headers, body: readonly XNode[], role: 'request' | 'response'): string {
  const root = el('s:Envelope', role === 'response' ? { 'xml:lang': 'en-US' } : null,
    el('s:Header', null, ...encodeHeaders(headers, role)),
    el('s:Body', null, ...body));
  const xml = serializeXml(root);
  const bad = INVALID_XML_CHAR.exec(xml);
  if (bad) {
    throw new WsmanUsageError(`a value holds U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which XML cannot carry (send binary data as a base64 stream)`, 'ERR_XML_CHAR');
  }
  return xml;
}

/** The request headers every WS-Man request carries, filled with the usual defaults. */
export function requestHeaders(h: Headers & { to: string; action: string; messageId: string }): Headers {
  return { replyTo: ANONYMOUS, ...h };
}

/** Response headers for a request: a new MessageID, RelatesTo the request's, anonymous To. */
export function responseHeaders(request: Headers, action: string, messageId: string, extra?: Partial<Headers>): Headers {
  const h: Headers = { action, messageId, to: ANONYMOUS, ...extra };
  if (request.messageId !== undefined) h.relatesTo = request.messageId;
  return h;
}

/**
 * The MessageID of an envelope that may not parse (to answer it with a fault, or to check a
 * RelatesTo): a look at the text, not a parse. Only the first 8 KB are searched, where the header is.
 */
export function peekMessageId(xml: string | Uint8Array): string | undefined {
  const head = typeof xml === 'string' ? xml.slice(0, 8192) : new TextDecoder().decode(xml.subarray(0, 8192));
  return /MessageID[^>]*>\s*([^<\s]{1,200})\s*</.exec(head)?.[1];
}

/** The charset parameter of a Content-Type (`application/soap+xml;charset=UTF-16`), if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = contentType ? /charset\s*=\s*"?([^";\s]+)/i.exec(contentType) : null;
  return m?.[1];
}
