/**
 * MS-XCA §2.1 LZ77+Huffman compression: a hash-chain LZ77 parse per 64 KiB block, a canonical
 * Huffman code per block, and the interleaved bit/byte stream of §2.1.4.3. Sans-IO.
 *
 * The decoder keeps 16 to 31 bits preloaded and reads a match's extra length bytes from the byte
 * after the last 16-bit word it loaded. The encoder therefore places each bit word at the position
 * the decoder will be at when it loads it (a reserved slot), and writes extra bytes in between.
 */
import { buildLengths, canonicalCodes, SYMBOLS, TABLE_BYTES, writeLengths } from './huffman.js';
import { BLOCK_SIZE } from './decompress.js';

const MIN_MATCH = 3;
const MAX_OFFSET = 65535;
/** Hash table size: 2^15 heads for a full block, fewer for small inputs (less to allocate). */
const HASH_BITS = 15;
const SMALL_HASH_BITS = 11;
/** A match this long ends the search (zlib's nice_length idea): long enough to be cheap to code. */
const NICE_LENGTH = 24;
const EOF_SYMBOL = 256;

/** Effort of the match finder: how many earlier positions each search visits. */
export interface XpressCompressOptions {
  /** Hash-chain candidates tried per position (default 8). */
  chain?: number;
}

/**
 * Compress `input` with MS-XCA LZ77+Huffman. The output ends with the EOF symbol; its decompressed
 * size is `input.length` (the caller records it, as WinRM's chunk header does).
 */
export function xpressCompress(input: Uint8Array, options: XpressCompressOptions = {}): Uint8Array {
  const chain = Math.max(1, options.chain ?? 8);
  const n = input.length;
  const blocks = Math.max(1, Math.ceil(n / BLOCK_SIZE));
  const out = new Uint8Array(2 * n + blocks * (TABLE_BYTES + 16) + 16);
  const bits = n < 8192 ? SMALL_HASH_BITS : HASH_BITS;
  const head = new Int32Array(1 << bits).fill(-1);
  const prev = new Int32Array(Math.max(n, 1));
  // Tokens of one block: a literal (lens 0, lits the byte) or a match (lens its length, lits its offset).
  const lits = new Int32Array(Math.min(Math.max(n, 1), BLOCK_SIZE));
  const lens = new Int32Array(lits.length);
  const freqs = new Uint32Array(SYMBOLS);
  const lengths = new Uint8Array(SYMBOLS);
  const codes = new Uint16Array(SYMBOLS);
  let outPos = 0;
  let inserted = 0;
  const hash = (p: number): number =>
    Math.imul((input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!, 0x9e3779b1) >>> (32 - bits);
  const insertUpTo = (end: number): void => {
    const last = Math.min(end, n - MIN_MATCH + 1);
    for (; inserted < last; inserted++) {
      const h = hash(inserted);
      prev[inserted] = head[h]!;
      head[h] = inserted;
    }
  };

  for (let b = 0; b < blocks; b++) {
    const start = b * BLOCK_SIZE;
    const end = Math.min(start + BLOCK_SIZE, n);
    let count = 0;
    freqs.fill(0);
    let p = start;
    while (p < end) {
      insertUpTo(p);
      let bestLen = 0;
      let bestOff = 0;
      if (p + MIN_MATCH <= end) {
        const limit = end - p;
        const nice = Math.min(limit, NICE_LENGTH);
        let cand = p + MIN_MATCH <= n ? head[hash(p)]! : -1;
        for (let tries = chain; cand >= 0 && tries > 0 && p - cand <= MAX_OFFSET; tries--) {
          if (input[cand + bestLen] === input[p + bestLen] && input[cand] === input[p]) {
            let l = 0;
            while (l < limit && input[cand + l] === input[p + l]) l++;
            if (l > bestLen) {
              bestLen = l;
              bestOff = p - cand;
              if (l >= nice) break;
            }
          }
          cand = prev[cand]!;
        }
      }
      if (bestLen >= MIN_MATCH) {
        lits[count] = bestOff;
        lens[count++] = bestLen;
        freqs[matchSymbol(bestLen, bestOff)]!++;
        p += bestLen;
      } else {
        lits[count] = input[p]!;
        lens[count++] = 0;
        freqs[input[p]!]!++;
        p++;
      }
    }
    const last = b === blocks - 1;
    if (last) freqs[EOF_SYMBOL]!++;
    buildLengths(freqs, lengths);
    canonicalCodes(lengths, codes);
    writeLengths(lengths, out, outPos);
    const w = new BitWriter(out, outPos + TABLE_BYTES);
    for (let i = 0; i < count; i++) {
      const len = lens[i]!;
      if (len === 0) {
        const s = lits[i]!;
        w.bits(codes[s]!, lengths[s]!);
        continue;
      }
      const off = lits[i]!;
      const s = matchSymbol(len, off);
      w.bits(codes[s]!, lengths[s]!);
      const l3 = len - MIN_MATCH;
      if (l3 >= 15) {
        if (l3 - 15 < 255) {
          w.byte(l3 - 15);
        } else {
          w.byte(255);
          w.byte(l3 & 255);
          w.byte(l3 >> 8);
        }
      }
      const ob = (s - 256) >> 4;
      if (ob > 0) w.bits(off - (1 << ob), ob);
    }
    if (last) w.bits(codes[EOF_SYMBOL]!, lengths[EOF_SYMBOL]!);
    outPos = w.finish();
  }
  return out.slice(0, outPos);
}

/** Match symbol: 256 + (index of the offset's top bit) * 16 + min(length - 3, 15). */
function matchSymbol(len: number, off: number): number {
  return 256 + ((31 - Math.clz32(off)) << 4) + Math.min(len - MIN_MATCH, 15);
}

/** Bit stream of 16-bit little-endian words, MSB first, with extra bytes between the words. */
class BitWriter {
  private readonly out: Uint8Array;
  /** The decoder's read position: where the next loaded word or extra byte goes. */
  private pos: number;
  /** Slots of words reserved but not yet filled, oldest first (a ring; at most 3 are pending). */
  private readonly slots = new Int32Array(8);
  private slotHead = 0;
  private slotTail = 0;
  private acc = 0;
  private accBits = 0;
  /** Bits the decoder has consumed, and words it has loaded. */
  private consumed = 0;
  private loaded = 2;

  constructor(out: Uint8Array, pos: number) {
    this.out = out;
    this.reserve(pos);
    this.reserve(pos + 2);
    this.pos = pos + 4;
  }

  bits(value: number, count: number): void {
    if (count === 0) return;
    this.acc = ((this.acc << count) | value) >>> 0;
    this.accBits += count;
    this.consumed += count;
    while (this.consumed > 16 * (this.loaded - 1)) {
      this.reserve(this.pos);
      this.pos += 2;
      this.loaded++;
    }
    while (this.accBits >= 16) {
      this.accBits -= 16;
      this.put((this.acc >>> this.accBits) & 0xffff);
    }
    this.acc &= (1 << this.accBits) - 1;
  }

  byte(value: number): void {
    this.out[this.pos++] = value;
  }

  /** Pad the last word with zeros, fill every reserved slot, return the end position. */
  finish(): number {
    if (this.accBits > 0) this.put((this.acc << (16 - this.accBits)) & 0xffff);
    this.accBits = 0;
    while (this.slotHead !== this.slotTail) this.put(0);
    return this.pos;
  }

  private reserve(at: number): void {
    this.slots[this.slotTail] = at;
    this.slotTail = (this.slotTail + 1) & 7;
  }

  private put(word: number): void {
    const at = this.slots[this.slotHead]!;
    this.slotHead = (this.slotHead + 1) & 7;
    this.out[at] = word & 255;
    this.out[at + 1] = word >>> 8;
  }
}
