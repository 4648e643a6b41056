/**
 * Byte helpers shared by the auth layer: little-endian integers, UTF-16LE text, concatenation and
 * constant-time comparison. Pure functions over Uint8Array; no I/O.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Concatenate byte arrays into a fresh Uint8Array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** UTF-16LE without BOM: MS-NLMP's UNICODE(string). */
export function utf16le(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf16le'));
}

export function fromUtf16le(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length & ~1).toString('utf16le');
}

/** 8-bit text (NTLM's OEM character set; we use Latin-1 both ways). */
export function oem(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

export function fromOem(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

export function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;
}

export function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

export function le32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  putU32(b, 0, v);
  return b;
}

export function le64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

export function readLe64(b: Uint8Array, o: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(o, true);
}

/** Constant-time equality; false for different lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** A source of random bytes; injectable so tests are deterministic. */
export type RandomBytes = (n: number) => Uint8Array;

/** FILETIME now: 100 ns ticks since 1601-01-01 UTC; injectable. */
export type FiletimeClock = () => bigint;

/** Milliseconds since the Unix epoch → FILETIME. */
export function filetimeFromMs(ms: number): bigint {
  return (BigInt(Math.floor(ms)) + 11644473600000n) * 10000n;
}
