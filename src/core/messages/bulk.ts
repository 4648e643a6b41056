/**
 * The fast path for the envelopes that carry bulk data: ReceiveResponse and Send, whose
 * `rsp:Stream` elements hold base64 (protocol.md §3.3–3.4).
 *
 * Decode: the base64 runs are found in the bytes (a few native `indexOf`s), checked and decoded
 * straight into Buffers, and cut out; what is left (headers, tags: a few KB) goes through the full
 * parser. A run is only cut out where the full parse would give exactly it as the text of an
 * element with no other content, and only when it is plain base64 (which the parser passes through
 * unchanged); after the parse, every element a run came from must be an `rsp:Stream` of the
 * ReceiveResponse or Send body. Anything else, or any error, and the caller parses the whole
 * envelope as before: the fast path never decides what is valid.
 *
 * Encode: the envelope is written once with a placeholder per stream, and the base64 of each
 * stream goes straight into the output Buffer in chunks, so that no string reaches V8's 128 KB
 * large-object size.
 */
import { WsmanUsageError } from '../errors.js';
import { NS } from '../namespaces.js';
import type { XmlElement, XmlLimits, XNode } from '../xml.js';
import type { DecodeOptions, RawEnvelope } from '../envelope.js';
import { envelopeOf } from '../envelope.js';
import { parseXml, DEFAULT_XML_LIMITS } from '../xml.js';

/** Runs shorter than this stay in the parser's input (cutting them out would save nothing). */
export const BULK_MIN_RUN = 1024;
/** Base64 characters decoded per step: a multiple of 4, well under V8's large-object size. */
const DECODE_STEP = 64 * 1024;
/** Bytes encoded per step: a multiple of 3 (64 KB of base64). */
const ENCODE_STEP = 48 * 1024;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQ = 0x3d;

interface Run { ordinal: number; start: number; end: number; data: Buffer }

/**
 * `buf[start, end)` as plain base64 (the alphabet, at most two `=` at the end, a length that is a
 * multiple of 4), decoded; undefined when it is anything else. No loop over characters in JS:
 * Node's decoder skips what is not base64 (whitespace, other bytes) and stops at an inner `=`,
 * so a short output betrays them; the URL-safe letters it also accepts are looked for natively.
 */
export function plainBase64Bytes(buf: Buffer, start: number, end: number): Buffer | undefined {
  const n = end - start;
  if (n % 4 !== 0) return undefined;
  const text = buf.subarray(start, end);
  if (text.indexOf(0x2d /* - */) !== -1 || text.indexOf(0x5f /* _ */) !== -1) return undefined;
  let pad = 0;
  if (n > 0 && buf[end - 1] === EQ) pad++;
  if (n > 1 && buf[end - 2] === EQ) pad++;
  const out = Buffer.allocUnsafe((n / 4) * 3 - pad);
  let at = 0;
  for (let i = start; i < end; i += DECODE_STEP) {
    const j = Math.min(end, i + DECODE_STEP);
    const want = j === end ? ((j - i) / 4) * 3 - pad : ((j - i) / 4) * 3;
    if (out.write(buf.toString('latin1', i, j), at, 'base64') !== want) return undefined;
    at += want;
  }
  return out;
}

/**
 * The runs worth cutting out: the whole content of an element (right after its start tag, right
 * before a close tag), at least `minRun` bytes, plain base64. Undefined when the envelope has
 * comments, CDATA, declarations or processing instructions (other than an XML declaration at the
 * start), whose content would fool a scan from `<` to `<`.
 */
function findRuns(buf: Buffer, minRun: number): Run[] | undefined {
  let i = buf.indexOf(LT);
  if (i === -1) return undefined;
  if (buf[i + 1] === 0x3f /* ? */) {
    const end = buf.indexOf('?>', i + 2);
    if (end === -1) return undefined;
    i = buf.indexOf(LT, end + 2);
  }
  if (buf.indexOf('<!', i) !== -1 || buf.indexOf('<?', i) !== -1) return undefined;
  const runs: Run[] = [];
  let ordinal = -1;
  while (i !== -1) {
    const gt = buf.indexOf(GT, i + 1);
    if (gt === -1) return undefined;
    let open = -1;
    if (buf[i + 1] !== SLASH) {
      ordinal++;
      if (buf[gt - 1] !== SLASH) open = ordinal;
    }
    const next = buf.indexOf(LT, gt + 1);
    if (next === -1) break;
    // A '>' inside an attribute value leaves its closing quote in the run, which then is not base64.
    if (open !== -1 && next - gt - 1 >= minRun && buf[next + 1] === SLASH) {
      const data = plainBase64Bytes(buf, gt + 1, next);
      if (data) runs.push({ ordinal: open, start: gt + 1, end: next, data });
    }
    i = next;
  }
  return runs;
}

/** Elements in document order (the order of their start tags). */
function preorder(root: XmlElement, out: XmlElement[]): XmlElement[] {
  out.push(root);
  for (const c of root.children) preorder(c, out);
  return out;
}

/** A parsed envelope whose streams' data was decoded beside the parse: data by Stream index. */
export interface LiftedEnvelope {
  raw: RawEnvelope;
  /** For the n-th `rsp:Stream` of the body element: its decoded data, when its text was cut out. */
  data: (Buffer | undefined)[];
}

function charsetIsUtf8(charset: string | undefined): boolean {
  if (charset === undefined) return true;
  const cs = charset.toLowerCase().replace(/["']/g, '');
  return cs === 'utf-8' || cs === 'utf8';
}

/**
 * Parse a ReceiveResponse or Send envelope with its base64 runs taken out of the parser's way, or
 * undefined when the fast path does not apply or has any doubt (the caller then parses the whole
 * envelope). `minRun` is for tests, which use short recorded streams.
 */
export function parseBulkEnvelope(bytes: Uint8Array, limits?: Partial<XmlLimits>, charset?: string, opts?: DecodeOptions, minRun = BULK_MIN_RUN): LiftedEnvelope | undefined {
  if (!charsetIsUtf8(charset) || bytes.length < 4) return undefined;
  if (bytes[0] === 0xef || bytes[0] === 0xfe || bytes[0] === 0xff) return undefined; // a BOM
  if (bytes.length > (limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes)) return undefined;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const runs = findRuns(buf, minRun);
  if (!runs || runs.length === 0) return undefined;
  const parts: Buffer[] = [];
  let at = 0;
  for (const r of runs) {
    parts.push(buf.subarray(at, r.start));
    at = r.end;
  }
  parts.push(buf.subarray(at));
  let raw: RawEnvelope;
  let root: XmlElement;
  try {
    root = parseXml(Buffer.concat(parts), limits, charset);
    raw = envelopeOf(root, opts);
  } catch {
    return undefined;
  }
  const body = raw.body;
  if (!body || body.ns !== NS.rsp || (body.name !== 'ReceiveResponse' && body.name !== 'Send')) return undefined;
  // Ordinals count start tags from the root (the Envelope) in document order.
  const all = preorder(root, []);
  const streams = body.children.filter((c) => c.ns === NS.rsp && c.name === 'Stream');
  const data: (Buffer | undefined)[] = new Array<Buffer | undefined>(streams.length).fill(undefined);
  for (const r of runs) {
    const e = all[r.ordinal];
    const k = e === undefined ? -1 : streams.indexOf(e);
    if (k === -1 || e!.text !== '') return undefined;
    data[k] = r.data;
  }
  return { raw, data };
}

// ---- encode -----------------------------------------------------------------------------------

/** A placeholder no escaping changes and no valid value of ours holds (checked: it must occur once). */
const MARK = (i: number): string => `\uE000${i}\uE001`;

/**
 * Write an envelope to bytes: `render` serializes the tree with the given text in place of each
 * stream's base64 (`streams[i]` gets `MARK(i)`), and each mark is replaced by the stream's base64.
 * Undefined when a mark is not found exactly once (a value that holds one): use the string path.
 * `alloc` gives the output memory (at least `size` bytes; all `size` are written, the result is
 * exactly that long): a caller may hand out reused memory, which is much faster than fresh pages.
 */
export function renderWithStreams(render: (marks: (i: number) => string) => string, streams: readonly Uint8Array[], alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer | undefined {
  const xml = render(MARK);
  const pieces: string[] = [];
  let at = 0;
  let size = 0;
  for (let i = 0; i < streams.length; i++) {
    const m = MARK(i);
    const k = xml.indexOf(m, at);
    if (k === -1 || xml.indexOf(m, k + m.length) !== -1) return undefined;
    pieces.push(xml.slice(at, k));
    at = k + m.length;
  }
  pieces.push(xml.slice(at));
  if (pieces.some((p) => p.includes('\uE000'))) return undefined;
  for (const p of pieces) size += Buffer.byteLength(p);
  for (const s of streams) size += Math.ceil(s.length / 3) * 4;
  const out = alloc(size).subarray(0, size);
  let off = 0;
  for (let i = 0; i < pieces.length; i++) {
    off += out.write(pieces[i]!, off, 'utf8');
    const s = streams[i];
    if (s === undefined) break;
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    for (let j = 0; j < b.length; j += ENCODE_STEP) off += out.write(b.toString('base64', j, Math.min(b.length, j + ENCODE_STEP)), off, 'latin1');
  }
  if (off !== size) throw new WsmanUsageError('internal: envelope size miscounted', 'ERR_INTERNAL');
  return out;
}

/** The Stream XNodes of a Send or ReceiveResponse body element, in order. */
export function streamNodes(body: XNode): XNode[] {
  return (body.children ?? []).filter((c): c is XNode => typeof c === 'object' && c.name === 'rsp:Stream');
}
