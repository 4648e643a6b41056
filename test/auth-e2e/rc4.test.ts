/** RC4's 32-bit store path (used for large aligned outputs) against its byte path, any alignment, in place or not. */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Rc4 } from '../../src/auth/crypto/rc4.js';

/** Reference: the textbook byte loop. */
function reference(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = Uint8Array.from({ length: 256 }, (_, k) => k);
  let j = 0;
  for (let k = 0; k < 256; k++) {
    j = (j + s[k]! + key[k % key.length]!) & 0xff;
    [s[k], s[j]] = [s[j]!, s[k]!];
  }
  const out = new Uint8Array(data.length);
  let i = 0;
  j = 0;
  for (let n = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

describe('Rc4.update', () => {
  it('matches the byte-wise reference across lengths, offsets, chunkings and in-place use', () => {
    for (const len of [0, 1, 3, 63, 64, 65, 1000, 4099]) {
      for (const offset of [0, 1, 2, 3]) {
        const key = randomBytes(16);
        const backing = randomBytes(len + offset + 4);
        const data = new Uint8Array(backing.buffer, backing.byteOffset + offset, len);
        const want = reference(key, data);
        expect(Buffer.from(new Rc4(key).update(data))).toEqual(Buffer.from(want));
        // Split in two calls (state carries over), second one into a misaligned output.
        const r = new Rc4(key);
        const cut = Math.floor(len / 3);
        const a = r.update(data.subarray(0, cut));
        const out = new Uint8Array(len - cut + 1).subarray(1);
        const b = r.update(data.subarray(cut), out);
        expect(Buffer.concat([a, b])).toEqual(Buffer.from(want));
        // In place.
        const copy = Uint8Array.from(data);
        new Rc4(key).update(copy, copy);
        expect(Buffer.from(copy)).toEqual(Buffer.from(want));
      }
    }
  });
});
