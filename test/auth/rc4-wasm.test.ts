import { describe, it, expect, afterEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Rc4, allowWasm, WASM_FROM } from '../../src/auth/crypto/rc4.js';
import { rc4Wasm } from '../../src/auth/crypto/rc4-wasm.js';
import { rc4Reference } from './rc4-reference.js';

afterEach(() => allowWasm(true));

describe('RC4 in WebAssembly (rc4-wasm.ts)', () => {
  it('is available here (so the tests below exercise it, not the fallback)', () => {
    const s = new Uint8Array(256).map((_, k) => k);
    expect(rc4Wasm(s, 0, 0, new Uint8Array(8), new Uint8Array(8))).toBeGreaterThanOrEqual(0);
  });

  it('matches textbook RC4 across word, chunk and tail boundaries, state carried between calls', () => {
    const key = randomBytes(16);
    const ours = new Rc4(key);
    const ref = rc4Reference(key);
    // Sizes on both sides of WASM_FROM, of the 64 KB chunk and of 4-byte words, in one key stream.
    for (const n of [WASM_FROM, 1, WASM_FROM + 1, 7, 65535, 65536, 65537, 3, 200_003, 4099, 0, 100]) {
      const data = randomBytes(n);
      expect(Buffer.from(ours.update(data)).equals(ref(data)), `size ${n}`).toBe(true);
    }
  });

  it('works in place and at any byte offset of a larger buffer', () => {
    const key = randomBytes(5);
    for (const offset of [0, 1, 2, 3]) {
      const plain = randomBytes(70_001);
      const backing = Buffer.alloc(plain.length + 8);
      const view = backing.subarray(offset, offset + plain.length);
      plain.copy(view);
      new Rc4(key).update(view, view);
      expect(Buffer.from(view).equals(rc4Reference(key)(plain)), `offset ${offset}`).toBe(true);
      expect(backing.subarray(offset + plain.length).every((b) => b === 0)).toBe(true);
    }
  });

  it('gives the same key stream as the JavaScript loop, and clone/restore keep working', () => {
    const key = randomBytes(16);
    const data = randomBytes(300_000);
    allowWasm(false);
    const js = new Rc4(key);
    const a = Buffer.from(js.update(data));
    const b = Buffer.from(js.update(data));
    allowWasm(true);
    const w = new Rc4(key);
    expect(Buffer.from(w.update(data)).equals(a)).toBe(true);
    const saved = w.clone();
    expect(Buffer.from(w.update(data)).equals(b)).toBe(true);
    w.restore(saved);
    expect(Buffer.from(w.update(data)).equals(b)).toBe(true);
  });
});
