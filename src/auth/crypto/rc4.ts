/**
 * RC4 stream cipher (NTLM sealing and key exchange). OpenSSL 3 (Node 20) no longer offers it by
 * default, so it is written here. A `Rc4` object is one key-stream handle: MS-NLMP's RC4Init(H, K)
 * is the constructor and RC4(H, D) is `update`; the state carries over between calls.
 */

import { rc4Wasm } from './rc4-wasm.js';

const ONE = new Uint8Array([1]);
/** From this many bytes on, `update` runs in WebAssembly (rc4-wasm.ts: about a quarter faster; below, the copies in and out do not pay). */
export const WASM_FROM = 4096;
/** Tests: force the JavaScript loop (false) or leave the choice to the size (true). */
let wasmAllowed = true;
export function allowWasm(on: boolean): void {
  wasmAllowed = on;
}
/** The 32-bit store path assumes little-endian words (every platform Node supports is). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class Rc4 {
  #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1..256 bytes');
    const s = this.#s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const sk = s[k] as number;
      j = (j + sk + (key[k % key.length] as number)) & 0xff;
      s[k] = s[j] as number;
      s[j] = sk;
    }
  }

  /**
   * Encrypt or decrypt `data` (the same operation), advancing the key stream. The result goes to
   * `out` when given (at least `data.length` bytes; may be `data` itself), else to a new array.
   * Four key-stream bytes are combined into one 32-bit store from `out`'s first 4-byte boundary on,
   * xored with one 32-bit load of `data` when it is aligned alike (RC4's byte-serial state chain
   * is then the limit, as in OpenSSL's own RC4).
   */
  update(data: Uint8Array, out: Uint8Array = new Uint8Array(data.length)): Uint8Array {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    const len = data.length;
    if (out.length < len) throw new RangeError('RC4 output buffer too small');
    if (len >= WASM_FROM && wasmAllowed) {
      const ij = rc4Wasm(s, i, j, data, out);
      if (ij >= 0) {
        this.#i = ij >>> 8;
        this.#j = ij & 0xff;
        return len === out.length ? out : out.subarray(0, len);
      }
    }
    let n = 0;
    if (LITTLE_ENDIAN && len >= 64) {
      // Bytes one at a time up to a 4-byte boundary of `out` (a sealed body puts it anywhere).
      for (const pre = (4 - (out.byteOffset & 3)) & 3; n < pre; n++) {
        i = (i + 1) & 0xff;
        const si = s[i] as number;
        j = (j + si) & 0xff;
        const sj = s[j] as number;
        s[i] = sj;
        s[j] = si;
        out[n] = (data[n] as number) ^ (s[(si + sj) & 0xff] as number);
      }
      const words = (len - n) >>> 2;
      const o32 = new Int32Array(out.buffer, out.byteOffset + n, words);
      if (((data.byteOffset + n) & 3) === 0) {
        // `data` aligned as `out` (always so in place): its words are read whole too (about twice
        // as fast as gathering four bytes: 500 against 260 MB/s here).
        const d32 = new Int32Array(data.buffer, data.byteOffset + n, words);
        for (let w = 0; w < words; w++) {
          i = (i + 1) & 0xff; let si = s[i] as number; j = (j + si) & 0xff; let sj = s[j] as number; s[i] = sj; s[j] = si;
          let k = s[(si + sj) & 0xff] as number;
          i = (i + 1) & 0xff; si = s[i] as number; j = (j + si) & 0xff; sj = s[j] as number; s[i] = sj; s[j] = si;
          k |= (s[(si + sj) & 0xff] as number) << 8;
          i = (i + 1) & 0xff; si = s[i] as number; j = (j + si) & 0xff; sj = s[j] as number; s[i] = sj; s[j] = si;
          k |= (s[(si + sj) & 0xff] as number) << 16;
          i = (i + 1) & 0xff; si = s[i] as number; j = (j + si) & 0xff; sj = s[j] as number; s[i] = sj; s[j] = si;
          k |= (s[(si + sj) & 0xff] as number) << 24;
          o32[w] = (d32[w] as number) ^ k;
        }
        n += words * 4;
      } else for (let w = 0; w < words; w++, n += 4) {
        i = (i + 1) & 0xff; let si = s[i] as number; j = (j + si) & 0xff; let sj = s[j] as number; s[i] = sj; s[j] = si;
        let k = s[(si + sj) & 0xff] as number;
        i = (i + 1) & 0xff; si = s[i] as number; j = (j + si) & 0xff; sj = s[j] as number; s[i] = sj; s[j] = si;
        k |= (s[(si + sj) & 0xff] as number) << 8;
        i = (i + 1) & 0xff; si = s[i] as number; j = (j + si) & 0xff; sj = s[j] as number; s[i] = sj; s[j] = si;
        k |= (s[(si + sj) & 0xff] as number) << 16;
        i = (i + 1) & 0xff; si = s[i] as number; j = (j + si) & 0xff; sj = s[j] as number; s[i] = sj; s[j] = si;
        k |= (s[(si + sj) & 0xff] as number) << 24;
        o32[w] = ((data[n] as number) | (data[n + 1] as number) << 8 | (data[n + 2] as number) << 16 | (data[n + 3] as number) << 24) ^ k;
      }
    }
    for (; n < len; n++) {
      i = (i + 1) & 0xff;
      const si = s[i] as number;
      j = (j + si) & 0xff;
      const sj = s[j] as number;
      s[i] = sj;
      s[j] = si;
      out[n] = (data[n] as number) ^ (s[(si + sj) & 0xff] as number);
    }
    this.#i = i;
    this.#j = j;
    return len === out.length ? out : out.subarray(0, len);
  }

  /** A copy of this handle's current state (MS-SPNG's OriginalHandle). */
  clone(): Rc4 {
    const c = new Rc4(ONE);
    c.#s.set(this.#s);
    c.#i = this.#i;
    c.#j = this.#j;
    return c;
  }

  /** Put this handle back to a state captured with `clone()`. */
  restore(from: Rc4): void {
    this.#s.set(from.#s);
    this.#i = from.#i;
    this.#j = from.#j;
  }

  /** Never print key-stream state. */
  toString(): string {
    return '[Rc4]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[Rc4]';
  }
}

/** RC4K(K, D): one-shot RC4 with a fresh key. */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Rc4(key).update(data);
}
