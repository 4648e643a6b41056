/**
 * HTTP message encryption framing (MS-WSMV §2.2.9.1; protocol.md §8.3). A sealed SOAP body travels
 * as a MIME-like multipart body:
 *
 *   Content-Type: multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext bytes>\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <uint32 LE header length><header (NTLM: 16-byte signature)><ciphertext>--Encrypted Boundary--\r\n
 *
 * CredSSP uses `multipart/x-multi-encrypted` with one pair of parts per 16 KiB chunk. Parsing is
 * lenient (`-- Encrypted Boundary` with a space, LF line ends, any header case); lengths are checked.
 */
import { WsmanProtocolError, WsmanCode } from '../core/errors.js';
import { EncryptionProtocol, type Sealed } from './types.js';

/** Anything that can seal: every context in src/auth once its handshake is complete. */
export interface Wrapper {
  /** `out` (plaintext.length bytes): where the ciphertext may go; a wrapper may ignore it. */
  wrap(plaintext: Uint8Array, out?: Uint8Array): Sealed;
}
export interface Unwrapper {
  /** `inPlace`: the ciphertext may be decrypted where it is (the caller owns the body). */
  unwrap(sealed: Sealed, inPlace?: boolean): Uint8Array;
}

export const ENCRYPTED_BOUNDARY = 'Encrypted Boundary';
export const DEFAULT_ORIGINAL_TYPE = 'application/soap+xml;charset=UTF-8';
/** CredSSP seals at most this many plaintext bytes per part. */
export const CREDSSP_CHUNK = 16384;
/** Refuse bodies claiming more than this many plaintext bytes (far above any MaxEnvelopeSize). */
export const MAX_ORIGINAL_LENGTH = 512 * 1024 * 1024;

/** The HTTP Content-Type of a sealed body for `protocol`. */
export function encryptedContentType(protocol: string = EncryptionProtocol.spnego): string {
  const kind = protocol === EncryptionProtocol.credssp ? 'multipart/x-multi-encrypted' : 'multipart/encrypted';
  return `${kind};protocol="${protocol}";boundary="${ENCRYPTED_BOUNDARY}"`;
}

/** True when an HTTP Content-Type announces a sealed body. */
export function isEncryptedContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*multipart\/(x-multi-)?encrypted\b/i.test(contentType);
}

/** The `protocol` parameter of a sealed body's Content-Type, if any. */
export function encryptedProtocolOf(contentType: string): string | undefined {
  return /protocol="?([^";]+)"?/i.exec(contentType)?.[1];
}

export interface SealOptions {
  /** Which protocol string to write (default: SPNEGO). */
  protocol?: string;
  /** The plaintext's own content type (default `application/soap+xml;charset=UTF-8`). */
  originalType?: string;
}

const enc = new TextEncoder();

/** Seal `plaintext` with `ctx` and frame it. Returns the body and the HTTP Content-Type to send. */
export function sealBody(ctx: Wrapper, plaintext: Uint8Array, opts: SealOptions = {}): { body: Uint8Array; contentType: string } {
  const protocol = opts.protocol ?? EncryptionProtocol.spnego;
  const type = opts.originalType ?? DEFAULT_ORIGINAL_TYPE;
  if (protocol !== EncryptionProtocol.credssp) return sealWhole(ctx, plaintext, protocol, type);
  const chunk = CREDSSP_CHUNK;
  const pieces: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => {
    pieces.push(b);
    size += b.length;
  };
  for (let off = 0; off < plaintext.length || (off === 0 && plaintext.length === 0); off += chunk) {
    const part = plaintext.subarray(off, Math.min(off + chunk, plaintext.length));
    const sealed = ctx.wrap(part);
    push(enc.encode(
      `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: ${protocol}\r\n\tOriginalContent: type=${type};Length=${part.length}\r\n` +
      `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n`));
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, sealed.header.length, true);
    push(len);
    push(sealed.header);
    push(sealed.ciphertext);
    if (plaintext.length === 0) break;
  }
  push(enc.encode(`--${ENCRYPTED_BOUNDARY}--\r\n`));
  const body = new Uint8Array(size);
  let o = 0;
  for (const p of pieces) {
    body.set(p, o);
    o += p.length;
  }
  return { body, contentType: encryptedContentType(protocol) };
}

/** An NTLM signature's length: the body is laid out for it before the message is sealed. */
const SIGNATURE_LENGTH = 16;

/**
 * One part holding the whole message (SPNEGO, Kerberos): the body is allocated once and the
 * message sealed straight into its place (one pass over the bytes, no intermediate copy), when
 * the wrapper takes `out` and its header is an NTLM signature; otherwise the pieces are joined.
 */
function sealWhole(ctx: Wrapper, plaintext: Uint8Array, protocol: string, type: string): { body: Uint8Array; contentType: string } {
  const head = enc.encode(
    `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: ${protocol}\r\n\tOriginalContent: type=${type};Length=${plaintext.length}\r\n` +
    `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n`);
  const tail = enc.encode(`--${ENCRYPTED_BOUNDARY}--\r\n`);
  const at = head.length + 4 + SIGNATURE_LENGTH;
  // The ciphertext's place gets the plaintext's alignment mod 4, so that RC4 reads and writes
  // whole 32-bit words (rc4.ts: about twice as fast); the body starts 0-3 bytes into its memory.
  const pad = (((plaintext.byteOffset - at) % 4) + 4) % 4;
  const size = at + plaintext.length + tail.length;
  const body = new Uint8Array(new ArrayBuffer(size + pad), pad, size);
  const target = body.subarray(at, at + plaintext.length);
  const sealed = ctx.wrap(plaintext, target);
  const contentType = encryptedContentType(protocol);
  if (sealed.header.length !== SIGNATURE_LENGTH || sealed.ciphertext.length !== plaintext.length) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, sealed.header.length, true);
    return { body: joinBytes([head, len, sealed.header, sealed.ciphertext, tail]), contentType };
  }
  body.set(head, 0);
  new DataView(body.buffer, body.byteOffset, body.byteLength).setUint32(head.length, SIGNATURE_LENGTH, true);
  body.set(sealed.header, head.length + 4);
  if (sealed.ciphertext.buffer !== body.buffer || sealed.ciphertext.byteOffset !== target.byteOffset) body.set(sealed.ciphertext, at);
  body.set(tail, at + plaintext.length);
  return { body, contentType };
}

function joinBytes(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One encrypted part as framed on the wire, before decryption. */
export interface EncryptedPart {
  protocol: string;
  originalType: string;
  originalLength: number;
  sealed: Sealed;
}

function bad(message: string): WsmanProtocolError {
  return new WsmanProtocolError('ERR_ENCRYPTED_BODY', `malformed encrypted body: ${message}`, {
    wsmanCode: WsmanCode.InvalidSoapBody, httpStatus: 400,
  });
}

/** Byte-level cursor over the body; header lines are ASCII. */
class Reader {
  constructor(readonly b: Uint8Array, public p = 0) {}
  /** Read one line (without its CR LF / LF); undefined at the end. */
  line(): string | undefined {
    if (this.p >= this.b.length) return undefined;
    let e = this.b.indexOf(0x0a, this.p);
    if (e < 0) e = this.b.length;
    let end = e;
    if (end > this.p && this.b[end - 1] === 0x0d) end--;
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.p, end - this.p).toString('latin1');
    this.p = Math.min(e + 1, this.b.length);
    return s;
  }
}

const BOUNDARY_RE = /^--\s?Encrypted Boundary\s*$/i;
const END_RE = /^--\s?Encrypted Boundary--\s*$/i;

/** Index of the next boundary marker (`--Encrypted Boundary` or `-- Encrypted Boundary`) at or after `from`. */
function findBoundary(b: Uint8Array, from: number): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const a = buf.indexOf('--Encrypted Boundary', from, 'latin1');
  const c = buf.indexOf('-- Encrypted Boundary', from, 'latin1');
  if (a < 0) return c;
  if (c < 0) return a;
  return Math.min(a, c);
}

/** Split a sealed body into its encrypted parts (no decryption). Throws WsmanProtocolError. */
export function parseEncryptedBody(body: Uint8Array): EncryptedPart[] {
  const r = new Reader(body);
  const parts: EncryptedPart[] = [];
  let line = r.line();
  while (line !== undefined && line.trim() === '') line = r.line();
  for (;;) {
    if (line === undefined) throw bad('missing closing boundary');
    if (END_RE.test(line)) break;
    if (!BOUNDARY_RE.test(line)) throw bad('expected a boundary line');
    let protocol: string | undefined;
    let original: string | undefined;
    for (line = r.line(); line !== undefined && !BOUNDARY_RE.test(line); line = r.line()) {
      const m = /^\s*([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
      if (!m) continue;
      const name = (m[1] ?? '').toLowerCase();
      if (name === 'content-type') protocol = (m[2] ?? '').trim();
      if (name === 'originalcontent') original = (m[2] ?? '').trim();
    }
    if (line === undefined) throw bad('missing data part');
    if (!protocol || !original) throw bad('missing Content-Type or OriginalContent');
    const lengthMatch = /(?:^|;)\s*Length=(\d+)/i.exec(original);
    if (!lengthMatch) throw bad('OriginalContent has no Length');
    const originalLength = Number(lengthMatch[1]);
    if (!Number.isSafeInteger(originalLength) || originalLength > MAX_ORIGINAL_LENGTH) throw bad('OriginalContent Length out of range');
    const typeMatch = /type=([^;]*(?:;\s*charset=[^;]*)?)/i.exec(original);
    const originalType = (typeMatch?.[1] ?? DEFAULT_ORIGINAL_TYPE).trim();
    const dataHeader = r.line();
    if (dataHeader === undefined || !/content-type\s*:\s*application\/octet-stream/i.test(dataHeader)) throw bad('missing application/octet-stream part');
    if (r.p + 4 > body.length) throw bad('truncated length field');
    const sigLen = new DataView(body.buffer, body.byteOffset + r.p, 4).getUint32(0, true);
    const sigStart = r.p + 4;
    if (sigLen > 1024 || sigStart + sigLen > body.length) throw bad('header length out of range');
    const dataStart = sigStart + sigLen;
    const marker = findBoundary(body, Math.min(dataStart + originalLength, body.length));
    if (marker < 0) throw bad('missing boundary after the encrypted data');
    let dataEnd = marker;
    // Tolerate a CR LF between the ciphertext and the boundary.
    if (dataEnd - dataStart === originalLength + 2 && body[dataEnd - 2] === 0x0d && body[dataEnd - 1] === 0x0a) dataEnd -= 2;
    if (dataEnd - dataStart < originalLength) throw bad('encrypted data shorter than OriginalContent Length');
    parts.push({
      protocol,
      originalType,
      originalLength,
      sealed: { header: body.slice(sigStart, dataStart), ciphertext: body.subarray(dataStart, dataEnd) },
    });
    r.p = marker;
    line = r.line();
    if (parts.length > 65536) throw bad('too many parts');
  }
  if (parts.length === 0) throw bad('no encrypted part');
  return parts;
}

/**
 * Decrypt a sealed body with `ctx`. Checks each part's decrypted length against its Length.
 * Throws WsmanProtocolError for framing problems and WsmanAuthError (ERR_AUTH_INTEGRITY,
 * ERR_AUTH_REPLAY...) when a part is tampered with or replayed. `inPlace`: `body` is the caller's
 * to give up; it is decrypted where it lies (no new 500 KB per message) and is garbage afterwards.
 */
export function unsealBody(ctx: Unwrapper, body: Uint8Array, opts: { protocol?: string; inPlace?: boolean } = {}): { plaintext: Uint8Array; contentType: string; protocol: string } {
  const parts = parseEncryptedBody(body);
  const out: Uint8Array[] = [];
  let total = 0;
  for (const part of parts) {
    if (opts.protocol && part.protocol.toLowerCase() !== opts.protocol.toLowerCase()) {
      throw bad(`protocol ${part.protocol}, expected ${opts.protocol}`);
    }
    const plain = ctx.unwrap(part.sealed, opts.inPlace === true);
    if (plain.length !== part.originalLength) throw bad('decrypted length differs from OriginalContent Length');
    out.push(plain);
    total += plain.length;
  }
  const plaintext = out.length === 1 ? (out[0] as Uint8Array) : new Uint8Array(total);
  if (out.length > 1) {
    let o = 0;
    for (const p of out) {
      plaintext.set(p, o);
      o += p.length;
    }
  }
  const first = parts[0] as EncryptedPart;
  return { plaintext, contentType: first.originalType, protocol: first.protocol };
}
