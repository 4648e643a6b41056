/** Helpers shared by the message families: strict base64, integers, names of body elements. */
import { WsmanProtocolError, WsmanCode } from '../errors.js';
import type { XmlElement } from '../xml.js';

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const WS_RE = /\s+/g;

/** Decode base64 strictly: whitespace is allowed (line breaks), anything else that is not base64 is refused. */
export function decodeBase64(text: string, what: string): Buffer {
  // The usual case (one unbroken line): one native regex pass, no loop over characters in JS.
  if (text.length % 4 === 0 && B64_RE.test(text)) return Buffer.from(text, 'base64');
  let s = text;
  if (/\s/.test(s)) s = s.replace(WS_RE, '');
  if (s.length % 4 !== 0 || !B64_RE.test(s)) {
    throw new WsmanProtocolError('ERR_BAD_BASE64', `${what} is not valid base64`, { wsmanCode: WsmanCode.SchemaValidationError });
  }
  return Buffer.from(s, 'base64');
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function badBody(message: string): WsmanProtocolError {
  return new WsmanProtocolError('ERR_BAD_BODY', message, { wsmanCode: WsmanCode.SchemaValidationError });
}

/** An xs:integer or xs:unsignedInt field; refuses anything else. */
export function parseIntField(text: string, what: string): number {
  const t = text.trim();
  if (!/^[-+]?\d+$/.test(t)) throw badBody(`${what} is not an integer: '${t.slice(0, 40)}'`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw badBody(`${what} is out of range: '${t.slice(0, 40)}'`);
  return n;
}

/** Whitespace-separated list (`stdout stderr`). */
export function splitList(text: string): string[] {
  const t = text.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/**
 * Set a key the peer chose (a selector, variable or config name) as an own property, so that
 * `__proto__` is kept as data instead of replacing the object's prototype.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function describe(e: XmlElement): string {
  return `{${e.ns}}${e.name}`;
}
