/**
 * MS-XCA LZ77+Huffman (src/core/xpress): the spec's worked examples both ways, round trips of
 * random and repetitive data (fast-check), WinRM's chunk framing, and hostile input.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { xpressCompress, xpressDecompress, winrmCompress, winrmDecompress, XpressError, CHUNK_SIZE } from '../../src/core/xpress/index.js';
import { WsmanError } from '../../src/core/errors.js';

interface Vector { name: string; decompressed: string; compressedHex: string }
const examples = JSON.parse(readFileSync(path.join(REPO_ROOT, 'fixtures', 'xpress', 'ms-xca-examples.json'), 'utf8')) as { vectors: Vector[] };

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
/** Byte equality without vitest's element-by-element diff (slow on 100 KiB arrays). */
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

describe('MS-XCA §3.2 examples', () => {
  it('has both examples', () => expect(examples.vectors.map((v) => v.name)).toEqual(['MS-XCA 3.2 example 1', 'MS-XCA 3.2 example 2']));
  for (const v of examples.vectors) {
    it(`${v.name}: decompresses to the spec's text`, () => {
      const out = xpressDecompress(new Uint8Array(Buffer.from(v.compressedHex, 'hex')), v.decompressed.length);
      expect(Buffer.from(out).toString('latin1')).toBe(v.decompressed);
    });
    it(`${v.name}: compresses to the spec's bytes exactly`, () => {
      expect(hex(xpressCompress(bytes(v.decompressed)))).toBe(v.compressedHex);
    });
  }
});

/** Data with long and short repeats, as command output has. */
const repetitive = fc.array(
  fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 40 }),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 2000 })).map(([u, n]) => {
      const r = new Uint8Array(u.length * n);
      for (let i = 0; i < n; i++) r.set(u, i * u.length);
      return r;
    }),
  ),
  { maxLength: 20 },
).map((parts) => new Uint8Array(Buffer.concat(parts)));

describe('round trip', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (d) => {
      expect(same(xpressDecompress(xpressCompress(d), d.length), d)).toBe(true);
    }), { numRuns: 150 });
  });
  it('repetitive data, across 64 KiB blocks', () => {
    fc.assert(fc.property(repetitive, (d) => {
      const c = xpressCompress(d);
      expect(same(xpressDecompress(c, d.length), d)).toBe(true);
    }), { numRuns: 60 });
  });
  it('block edges, matches as long as a block, and skewed alphabets', () => {
    const cases = [0, 1, 3, 65535, 65536, 65537, 2 * 65536 + 5].flatMap((n) => [
      new Uint8Array(n).fill(0x41),
      Uint8Array.from({ length: n }, (_, i) => (i * 7919) % 251),
      Uint8Array.from({ length: n }, (_, i) => (i % 1000 === 0 ? 1 : 0) + ((i >> 12) & 3)),
    ]);
    for (const d of cases) expect(same(xpressDecompress(xpressCompress(d), d.length), d)).toBe(true);
  });
  it('decodes the 32-bit length escape (a match longer than 65535, running past its block)', () => {
    // Codes: 'A' = 0, EOF (256) = 10, symbol 271 (offset 1, length escape) = 11.
    const d = new Uint8Array(256 + 4 + 7);
    d[65 >> 1] = 0x10; // 'A' (odd symbol 65): high nibble 1
    d[128] = 0x02; // 256: length 2
    d[135] = 0x20; // 271 (odd): length 2
    d[256] = 0x00; d[257] = 0x70; // bits 0 11 10: 'A', 271, EOF
    d.set([0xff, 0x00, 0x00, 0x9d, 0x86, 0x01, 0x00], 260); // 255, u16 0, u32 99997 = length - 3
    const out = xpressDecompress(d, 100001);
    expect(same(out, new Uint8Array(100001).fill(0x41))).toBe(true);
  });
  it('skewed frequencies that need code lengths cut to 15 bits', () => {
    // Fibonacci-like frequencies give a Huffman tree deeper than 15 without limiting.
    const parts: number[] = [];
    let a = 1;
    let b = 1;
    for (let s = 0; s < 24; s++) {
      for (let i = 0; i < a; i++) parts.push(s * 10);
      [a, b] = [b, a + b];
    }
    // Shuffle deterministically so LZ77 finds few matches and literals carry the frequencies.
    const d = Uint8Array.from(parts.map((v, i) => ({ v, k: (i * 2654435761) >>> 0 })).sort((x, y) => x.k - y.k).map((x) => x.v));
    expect(d.length).toBeGreaterThan(65536);
    const c = xpressCompress(d);
    expect(same(xpressDecompress(c, d.length), d)).toBe(true);
    expect(c.length).toBeLessThan(d.length / 2);
  });
  it('compresses repetitive text well', () => {
    const d = bytes('<Obj RefId="0"><MS><S N="Name">Return 1</S></MS></Obj>\n'.repeat(2000));
    expect(xpressCompress(d).length).toBeLessThan(d.length / 20);
  });
});

describe('WinRM chunk framing', () => {
  it('writes the 4-byte header of sizes minus one; equal sizes for a stored chunk', () => {
    const small = bytes('short');
    const framed = winrmCompress(small);
    expect(hex(framed.subarray(0, 4))).toBe('04000400');
    expect(Buffer.from(framed.subarray(4)).toString()).toBe('short');
    const rep = bytes('x'.repeat(1000));
    const f2 = winrmCompress(rep);
    expect(f2[0]! | (f2[1]! << 8)).toBe(999);
    const comp = (f2[2]! | (f2[3]! << 8)) + 1;
    expect(comp).toBeLessThan(1000);
    expect(f2.length).toBe(4 + comp);
    expect(same(winrmDecompress(f2, 1000), rep)).toBe(true);
  });
  it('cuts at 64 KiB and round-trips', () => {
    fc.assert(fc.property(repetitive, fc.uint8Array({ maxLength: 70000 }), (a, b) => {
      const d = new Uint8Array(Buffer.concat([a, b]));
      const f = winrmCompress(d);
      let chunks = 0;
      for (let p = 0; p < f.length; chunks++) p += 4 + (f[p + 2]! | (f[p + 3]! << 8)) + 1;
      expect(chunks).toBe(Math.ceil(d.length / CHUNK_SIZE));
      expect(same(winrmDecompress(f, d.length), d)).toBe(true);
    }), { numRuns: 20 });
  });
  it('empty in, empty out', () => {
    expect(winrmCompress(new Uint8Array(0)).length).toBe(0);
    expect(winrmDecompress(new Uint8Array(0), 0).length).toBe(0);
  });
  it('refuses framed data announcing more than the quota before decoding it', () => {
    const f = winrmCompress(new Uint8Array(200000).fill(1));
    expect(f.length).toBeLessThan(2000);
    expect(() => winrmDecompress(f, 199999)).toThrow(expect.objectContaining({ code: 'ERR_XPRESS_QUOTA' }));
  });
});

describe('hostile input', () => {
  const failsTyped = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(XpressError);
      expect(e).toBeInstanceOf(WsmanError);
      expect((e as XpressError).code).toMatch(/^ERR_XPRESS_/);
    }
  };
  it('random bytes as compressed data: a typed error or bytes of the stated size', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 70000 }), (d, n) => {
      failsTyped(() => expect(xpressDecompress(d, n).length).toBe(n));
    }), { numRuns: 300 });
  });
  it('mutated valid streams: a typed error or bytes of the stated size', () => {
    const base = xpressCompress(bytes('Get-Process | Select-Object Name, Id\r\n'.repeat(300)));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(base.length), (edits, cut) => {
      const d = base.slice(0, Math.max(cut, 1));
      for (const [i, v] of edits) if (i < d.length) d[i] = v;
      failsTyped(() => expect(xpressDecompress(d, 300 * 38).length).toBe(300 * 38));
    }), { numRuns: 300 });
  });
  it('random framed data: a typed error or at most the quota', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (d) => {
      failsTyped(() => expect(winrmDecompress(d, 100000).length).toBeLessThanOrEqual(100000));
    }), { numRuns: 300 });
  });
  it('names each kind of damage', () => {
    const table = new Uint8Array(256);
    expect(() => xpressDecompress(table, 1)).toThrow(expect.objectContaining({ code: 'ERR_XPRESS_BAD_TABLE' }));
    expect(() => xpressDecompress(new Uint8Array(10), 1)).toThrow(expect.objectContaining({ code: 'ERR_XPRESS_TRUNCATED' }));
    const over = new Uint8Array(260).fill(0x11); // 512 codes of length 1
    expect(() => xpressDecompress(over, 1)).toThrow(expect.objectContaining({ code: 'ERR_XPRESS_BAD_TABLE' }));
    // A match symbol first: offset 1 before any output.
    const m = new Uint8Array(260);
    m[128] = 0x11; // symbols 256 and 257 (length 4, offset 1) both length 1: codes 0 and 1
    m[256] = 0x00; m[257] = 0x80; // first bit 1: symbol 257
    expect(() => xpressDecompress(m, 10)).toThrow(expect.objectContaining({ code: 'ERR_XPRESS_BAD_OFFSET' }));
    expect(() => winrmDecompress(new Uint8Array([1, 0]), 10)).toThrow(expect.objectContaining({ code: 'ERR_XPRESS_TRUNCATED' }));
  });
});
