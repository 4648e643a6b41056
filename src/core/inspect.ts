/**
 * A plain-JSON view of a decoded message, for people and for `wsman decode`: stream data becomes
 * text where it is printable UTF-8 (else base64), unknown elements become small trees.
 */
import type { XmlElement } from './xml.js';
import type { Message } from './messages/index.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text when the bytes are UTF-8 without control characters other than tab, CR and LF. */
export function printable(data: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

function elementToJson(e: XmlElement): Json {
  const out: { [k: string]: Json } = { element: `{${e.ns}}${e.name}` };
  if (e.attrs.length) out.attributes = Object.fromEntries(e.attrs.map((a) => [a.ns ? `{${a.ns}}${a.name}` : a.name, a.value]));
  const text = e.text.trim();
  if (text) out.text = text;
  if (e.children.length) out.children = e.children.map(elementToJson);
  return out;
}

function isXmlElement(v: object): v is XmlElement {
  return 'ns' in v && 'name' in v && 'children' in v && 'attrs' in v;
}

export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) {
    const text = printable(value);
    return text === undefined ? { base64: Buffer.from(value).toString('base64') } : { text };
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    if (isXmlElement(value)) return elementToJson(value);
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return String(value);
}

/**
 * `{ action, headers, body }` with the body's kind and fields. A header a lenient decode found
 * invalid appears under its own name as `{ invalid: "<text as sent>", reason }`.
 */
export function messageToJson(m: Message): Json {
  const { invalid, ...rest } = m.headers;
  const headers = toJson(rest) as { [k: string]: Json };
  for (const i of invalid ?? []) headers[i.field] = { invalid: i.text, reason: i.reason };
  return { action: m.headers.action ?? null, headers, body: toJson(m.body) };
}
