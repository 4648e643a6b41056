/**
 * A minimal DER reader/writer (X.690) for SPNEGO tokens and certificate fields: definite lengths
 * only, bounds-checked, depth-limited. Malformed input throws WsmanAuthError('ERR_AUTH_TOKEN').
 */
import { WsmanAuthError } from '../core/errors.js';

export interface Tlv {
  tag: number;
  /** Contents (a view into the input). */
  value: Uint8Array;
  /** The whole encoding (tag + length + value). */
  raw: Uint8Array;
}

function bad(what: string): WsmanAuthError {
  return new WsmanAuthError(`malformed DER: ${what}`, 'ERR_AUTH_TOKEN');
}

/** Read one TLV at `off`. Only single-byte tags (all SPNEGO and X.509 needs). */
export function readTlv(b: Uint8Array, off = 0): Tlv & { end: number } {
  if (off + 2 > b.length) throw bad('truncated');
  const tag = b[off] as number;
  if ((tag & 0x1f) === 0x1f) throw bad('multi-byte tag');
  let len = b[off + 1] as number;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw bad('length form');
    if (p + n > b.length) throw bad('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[p + i] as number);
    p += n;
  }
  if (p + len > b.length) throw bad('value out of bounds');
  return { tag, value: b.subarray(p, p + len), raw: b.subarray(off, p + len), end: p + len };
}

/** All TLVs inside a constructed value. */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < value.length) {
    const t = readTlv(value, p);
    out.push(t);
    p = t.end;
    if (out.length > 1024) throw bad('too many elements');
  }
  return out;
}

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

/** Encode a TLV. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of contents) n += c.length;
  const head = [tag, ...lengthBytes(n)];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  let o = head.length;
  for (const c of contents) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Encode an OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const bytes: number[] = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0)];
  for (const a of arcs.slice(2)) {
    const enc: number[] = [a & 0x7f];
    let v = Math.floor(a / 128);
    while (v > 0) {
      enc.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(...enc);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

/** Decode an OBJECT IDENTIFIER's contents to dotted form. */
export function oidToString(value: Uint8Array): string {
  if (value.length === 0) throw bad('empty OID');
  const first = value[0] as number;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let v = 0;
  for (let i = 1; i < value.length; i++) {
    const byte = value[i] as number;
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}
