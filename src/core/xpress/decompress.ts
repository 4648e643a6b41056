/**
 * MS-XCA §2.2 LZ77+Huffman decompression. The caller states the decompressed size (WinRM's
 * chunk header carries it), so output is bounded and the loop ends when it is reached: every
 * symbol produces at least one byte, so hostile input cannot make it spin. Sans-IO.
 */
import { buildDecodeTable, MAX_CODE_LENGTH, readLengths, SYMBOLS, TABLE_BYTES, XpressError } from './huffman.js';

/** Output bytes one Huffman table covers (a match may run past it; the next block starts there). */
export const BLOCK_SIZE = 65536;

/**
 * Decompress `input` (one or more blocks) into exactly `outputSize` bytes.
 * Throws XpressError (`ERR_XPRESS_*`) on truncated or malformed data.
 */
export function xpressDecompress(input: Uint8Array, outputSize: number): Uint8Array {
  if (!Number.isInteger(outputSize) || outputSize < 0) {
    throw new XpressError('ERR_XPRESS_SIZE', `bad xpress output size ${outputSize}`);
  }
  const out = new Uint8Array(outputSize);
  const lengths = new Uint8Array(SYMBOLS);
  const table = new Uint16Array(1 << MAX_CODE_LENGTH);
  const inLen = input.length;
  let pos = 0;
  let op = 0;
  // A word read past the end is zero: a decoder preloads up to 32 bits it may never use.
  const word = (p: number): number => (p + 1 < inLen ? input[p]! | (input[p + 1]! << 8) : p < inLen ? input[p]! : 0);
  while (op < outputSize) {
    readLengths(input, pos, lengths);
    buildDecodeTable(lengths, table);
    pos += TABLE_BYTES;
    if (pos > inLen) throw truncated();
    let bits = ((word(pos) << 16) | word(pos + 2)) >>> 0;
    pos += 4;
    let extra = 16;
    const blockEnd = Math.min(op + BLOCK_SIZE, outputSize);
    while (op < blockEnd) {
      const sym = table[bits >>> (32 - MAX_CODE_LENGTH)]!;
      if (sym === 0xffff) throw new XpressError('ERR_XPRESS_BAD_CODE', 'xpress data holds a bit pattern no code has');
      const len = lengths[sym]!;
      bits = (bits << len) >>> 0;
      extra -= len;
      if (extra < 0) {
        if (pos > inLen) throw truncated();
        bits = (bits | (word(pos) << -extra)) >>> 0;
        pos += 2;
        extra += 16;
      }
      if (sym < 256) {
        out[op++] = sym;
        continue;
      }
      const m = sym - 256;
      let matchLength = m & 15;
      const offsetBits = m >> 4;
      if (matchLength === 15) {
        if (pos >= inLen) throw truncated();
        matchLength = input[pos++]!;
        if (matchLength === 255) {
          if (pos + 2 > inLen) throw truncated();
          matchLength = input[pos]! | (input[pos + 1]! << 8);
          pos += 2;
          if (matchLength === 0) {
            if (pos + 4 > inLen) throw truncated();
            matchLength = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16) | (input[pos + 3]! << 24)) >>> 0;
            pos += 4;
          }
          if (matchLength < 15) throw new XpressError('ERR_XPRESS_BAD_LENGTH', 'xpress match length is invalid');
          matchLength -= 15;
        }
        matchLength += 15;
      }
      matchLength += 3;
      let offset = 1;
      if (offsetBits > 0) {
        offset = (bits >>> (32 - offsetBits)) + (1 << offsetBits);
        bits = (bits << offsetBits) >>> 0;
        extra -= offsetBits;
        if (extra < 0) {
          if (pos > inLen) throw truncated();
          bits = (bits | (word(pos) << -extra)) >>> 0;
          pos += 2;
          extra += 16;
        }
      }
      if (offset > op) throw new XpressError('ERR_XPRESS_BAD_OFFSET', 'xpress match refers before the start of the data');
      if (matchLength > outputSize - op) {
        throw new XpressError('ERR_XPRESS_OVERFLOW', 'xpress data decompresses to more than its stated size');
      }
      let from = op - offset;
      const end = op + matchLength;
      if (offset >= matchLength) {
        out.copyWithin(op, from, from + matchLength);
        op = end;
      } else if (matchLength < 32) {
        while (op < end) out[op++] = out[from++]!;
      } else {
        // The match repeats with period `offset`: copy from any multiple of it back, doubling.
        let dist = offset;
        while (op < end) {
          const n = Math.min(dist, end - op);
          out.copyWithin(op, op - dist, op - dist + n);
          op += n;
          dist += n;
        }
      }
    }
  }
  return out;
}

function truncated(): XpressError {
  return new XpressError('ERR_XPRESS_TRUNCATED', 'xpress data ends early');
}
