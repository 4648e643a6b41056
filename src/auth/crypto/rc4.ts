/**
 * RC4 stream cipher (NTLM sealing and key exchange). OpenSSL 3 (Node 20) no longer offers it by
 * default, so it is written here. A `Rc4` object is one key-stream handle: MS-NLMP's RC4Init(H, K)
 * is the constructor and RC4(H, D) is `update`; the state carries over between calls.
 */

import { rc4Wasm } from './rc4-wasm.js';
import { xorInto } from './xor.js';

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

/** Most key-stream bytes one handle keeps generated ahead (`prefill`). */
export const RESERVOIR_MAX = 1 << 20;
/** The reservoir grows in steps of this many bytes. */
const RESERVOIR_STEP = 65536;
/**
 * Most reservoir bytes all handles of the process hold together: a listener has one handle per
 * direction per sealed connection, and a client that opens many connections must not make it keep
 * a megabyte for each. Past it, `prefill` does nothing (sealing then generates the key stream as
 * it goes, as without reservoirs). Reservoirs of handles no longer reachable are counted off when
 * collected.
 */
export const RESERVOIRS_MAX = 32 << 20;
let reservoirsHeld = 0;
const collected = new FinalizationRegistry<{ bytes: number; registered: boolean }>((held) => {
  reservoirsHeld -= held.bytes;
});

/** Reservoir bytes held by all handles now (for tests and figures). */
export function reservoirBytes(): number {
  return reservoirsHeld;
}

export class Rc4 {
  #s = new Uint8Array(256);
  #i = 0;
  #j = 0;
  /** Key stream generated ahead: bytes [#rp, #re) of #res are the next ones, before S, i, j's. */
  #res: Uint8Array | undefined;
  #rp = 0;
  #re = 0;
  /** #res's size as counted in reservoirsHeld (given back when this handle is collected). */
  #held = { bytes: 0, registered: false };

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
    const len = data.length;
    if (out.length < len) throw new RangeError('RC4 output buffer too small');
    const n = Math.min(this.#re - this.#rp, len);
    if (n > 0) {
      // Key stream generated ahead comes first: the data is copied to `out` and xored there.
      const o = out.subarray(0, n);
      if (out.buffer !== data.buffer || out.byteOffset !== data.byteOffset) o.set(data.subarray(0, n));
      xorInto(o, (this.#res as Uint8Array).subarray(this.#rp, this.#rp + n));
      this.#rp += n;
      if (this.#rp === this.#re) this.#rp = this.#re = 0;
    }
    if (n < len) this.#run(n === 0 ? data : data.subarray(n), n === 0 ? out : out.subarray(n, len));
    return len === out.length ? out : out.subarray(0, len);
  }

  /** Key-stream bytes generated ahead and not used yet. */
  get ahead(): number {
    return this.#re - this.#rp;
  }

  /**
   * Generate key stream ahead, to be used by the next `update` calls before any new (the output
   * is the same as without: only the moment of the work changes). Fills up to `target` bytes ahead
   * (at most RESERVOIR_MAX), at most `most` of them in this call; returns how many are still
   * missing (0 also when the process's RESERVOIRS_MAX would be passed: nothing is done). Meant
   * for idle moments: an `update` then only xors.
   */
  prefill(target: number, most = Infinity): number {
    const want = Math.min(Math.max(0, Math.floor(target)), RESERVOIR_MAX);
    const have = this.#re - this.#rp;
    if (have >= want) return 0;
    const n = Math.min(want - have, Math.max(1, Math.floor(most)));
    let res = this.#res;
    if (res === undefined || this.#re + n > res.length) {
      if (res === undefined || have + n > res.length) {
        const size = Math.min(RESERVOIR_MAX, Math.ceil(want / RESERVOIR_STEP) * RESERVOIR_STEP);
        const more = size - (res?.length ?? 0);
        if (reservoirsHeld + more > RESERVOIRS_MAX) return 0;
        const grown = new Uint8Array(size);
        if (res !== undefined) grown.set(res.subarray(this.#rp, this.#re));
        res = this.#res = grown;
        this.#account();
      } else res.copyWithin(0, this.#rp, this.#re);
      this.#rp = 0;
      this.#re = have;
    }
    const seg = res.subarray(this.#re, this.#re + n);
    seg.fill(0);
    this.#run(seg, seg);
    this.#re += n;
    return want - have - n;
  }

  /** RC4 itself from S, i, j (the reservoir aside). */
  #run(data: Uint8Array, out: Uint8Array): void {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    const len = data.length;
    if (len >= WASM_FROM && wasmAllowed) {
      const ij = rc4Wasm(s, i, j, data, out);
      if (ij >= 0) {
        this.#i = ij >>> 8;
        this.#j = ij & 0xff;
        return;
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
  }

  /** A copy of this handle's current state (MS-SPNG's OriginalHandle), key stream ahead included. */
  clone(): Rc4 {
    const c = new Rc4(ONE);
    c.#copyFrom(this);
    return c;
  }

  /** Put this handle back to a state captured with `clone()`. */
  restore(from: Rc4): void {
    this.#copyFrom(from);
  }

  #copyFrom(from: Rc4): void {
    this.#s.set(from.#s);
    this.#i = from.#i;
    this.#j = from.#j;
    // Bytes ahead are part of the state (S, i, j are past them): copied whatever the budget.
    this.#res = from.#res?.slice(from.#rp, from.#re);
    this.#rp = 0;
    this.#re = from.#re - from.#rp;
    this.#account();
  }

  /** Count #res's size in reservoirsHeld. */
  #account(): void {
    const held = this.#held;
    const size = this.#res?.length ?? 0;
    if (!held.registered && size > 0) {
      collected.register(this, held);
      held.registered = true;
    }
    reservoirsHeld += size - held.bytes;
    held.bytes = size;
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
