/**
 * Canonical Huffman codes of MS-XCA LZ77+Huffman (§2.1.4.1, §2.2.4): 512 symbols, lengths 0..15,
 * stored as 256 bytes of nibbles (symbol 2i in the low nibble of byte i, 2i+1 in the high one).
 * Codes are assigned in order of (length, symbol). Sans-IO.
 */
import { WsmanError } from '../errors.js';

/** 256 literals, then 256 match symbols (offset bit count << 4 | length nibble). */
export const SYMBOLS = 512;
/** Longest code MS-XCA allows. */
export const MAX_CODE_LENGTH = 15;
/** Bytes the packed code-length table takes at the start of each block. */
export const TABLE_BYTES = 256;

/** Compressed xpress data the decoder cannot accept. `code` is `ERR_XPRESS_*`. */
export class XpressError extends WsmanError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'XpressError';
  }
}

/** Unpack the 256-byte nibble table at `pos` into 512 code lengths. */
export function readLengths(input: Uint8Array, pos: number, lengths: Uint8Array): void {
  if (pos + TABLE_BYTES > input.length) {
    throw new XpressError('ERR_XPRESS_TRUNCATED', 'xpress block ends inside its Huffman table');
  }
  for (let i = 0; i < TABLE_BYTES; i++) {
    const b = input[pos + i]!;
    lengths[2 * i] = b & 15;
    lengths[2 * i + 1] = b >> 4;
  }
}

/** Pack 512 code lengths into the 256-byte table at `pos`. */
export function writeLengths(lengths: Uint8Array, out: Uint8Array, pos: number): void {
  for (let i = 0; i < TABLE_BYTES; i++) out[pos + i] = lengths[2 * i]! | (lengths[2 * i + 1]! << 4);
}

/**
 * Fill `table` (2^15 entries, indexed by the next 15 bits) with the symbol each bit pattern starts.
 * Entries no code reaches hold 0xffff. Throws on an over-subscribed or empty code.
 */
export function buildDecodeTable(lengths: Uint8Array, table: Uint16Array): void {
  table.fill(0xffff);
  let code = 0;
  let used = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    const span = 1 << (MAX_CODE_LENGTH - len);
    for (let sym = 0; sym < SYMBOLS; sym++) {
      if (lengths[sym] !== len) continue;
      if (code >= 1 << len) {
        throw new XpressError('ERR_XPRESS_BAD_TABLE', 'xpress Huffman table is over-subscribed');
      }
      table.fill(sym, code * span, (code + 1) * span);
      code++;
      used++;
    }
    code <<= 1;
  }
  if (used === 0) throw new XpressError('ERR_XPRESS_BAD_TABLE', 'xpress Huffman table has no symbols');
}

/** Canonical codes (MSB-first values) for the given lengths. */
export function canonicalCodes(lengths: Uint8Array, codes: Uint16Array): void {
  let code = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    for (let sym = 0; sym < SYMBOLS; sym++) {
      if (lengths[sym] === len) codes[sym] = code++;
    }
    code <<= 1;
  }
}

/**
 * Code lengths for symbol frequencies, at most 15 bits. Two-queue Huffman over leaves sorted by
 * (frequency, symbol), leaves first on ties: this reproduces the lengths of MS-XCA §3.2's examples.
 * When a length would pass 15, frequencies are halved (kept non-zero) and the tree rebuilt.
 */
export function buildLengths(freqs: Uint32Array, lengths: Uint8Array): void {
  const f = Uint32Array.from(freqs);
  for (;;) {
    if (huffmanOnce(f, lengths) <= MAX_CODE_LENGTH) return;
    for (let i = 0; i < SYMBOLS; i++) if (f[i]! > 0) f[i] = (f[i]! >>> 1) | 1;
  }
}

function huffmanOnce(freqs: Uint32Array, lengths: Uint8Array): number {
  lengths.fill(0);
  const leaves: number[] = [];
  for (let s = 0; s < SYMBOLS; s++) if (freqs[s]! > 0) leaves.push(s);
  if (leaves.length === 0) return 0;
  if (leaves.length === 1) {
    lengths[leaves[0]!] = 1;
    return 1;
  }
  leaves.sort((a, b) => freqs[a]! - freqs[b]! || a - b);
  const n = leaves.length;
  // Nodes 0..n-1 are leaves (in sorted order); n.. are internal, created in weight order.
  const weight = new Float64Array(2 * n);
  const parent = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) weight[i] = freqs[leaves[i]!]!;
  let leaf = 0;
  let inner = n;
  let next = n;
  const take = (): number => {
    if (leaf < n && (inner >= next || weight[leaf]! <= weight[inner]!)) return leaf++;
    return inner++;
  };
  while (next < 2 * n - 1) {
    const a = take();
    const b = take();
    weight[next] = weight[a]! + weight[b]!;
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  const depth = new Uint16Array(2 * n);
  let max = 0;
  for (let i = 2 * n - 3; i >= 0; i--) {
    depth[i] = depth[parent[i]!]! + 1;
    if (i < n) {
      lengths[leaves[i]!] = Math.min(depth[i]!, 255);
      if (depth[i]! > max) max = depth[i]!;
    }
  }
  return max;
}
