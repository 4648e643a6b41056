/** MD4 (RFC 1320 §A.5 test suite) and RC4 (the well-known vectors) written in TypeScript. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { hex } from '../../src/auth/crypto/bytes.js';
import { md4 } from '../../src/auth/crypto/md4.js';
import { Rc4, rc4 } from '../../src/auth/crypto/rc4.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('MD4', () => {
  const suite: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of suite) {
    it(`MD4("${input.length > 20 ? input.slice(0, 20) + '…' : input}") = ${digest}`, () => {
      expect(hex(md4(ascii(input)))).toBe(digest);
    });
  }

  it('handles lengths around the 55/56/64-byte padding boundaries', () => {
    // Known digests of bytes (i * 7) & 0xff for each length, from an independent implementation:
    // OpenSSL 3's legacy provider (`openssl dgst -md4 -provider legacy -provider default`).
    const known: Record<number, string> = {
      55: '86b300d50df663ca848e96be34a23a92', 56: '0718561ce553a4b455bfa7c072a490f3', 57: 'e18ceccac20295e7d4880b0a604ae4a6',
      63: '80924e6e736c1c20eb1bc497e984cce1', 64: 'e1ed811e1160fb36e26800df1c2d8696', 65: '7fc02ba696f3b5b0bba5852aa153ed84',
      119: '0213ce8bdfa3fbea9f90f24c94ea6b82', 120: 'ffa69d9b8773b563bfe3065872ba4aca',
    };
    for (const [n, digest] of Object.entries(known)) {
      const data = new Uint8Array(Number(n)).map((_, i) => (i * 7) & 0xff);
      expect(hex(md4(data)), `${n} bytes`).toBe(digest);
    }
    // And where this Node still has MD4, any length agrees with it.
    const native = (() => { try { createHash('md4'); return true; } catch { return false; } })();
    if (native) {
      const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
      expect(hex(md4(data))).toBe(createHash('md4').update(data).digest('hex'));
    }
  });

  it('NT hash of "Password" is a4f49c406510bdcab6824ee7c30fd852 (MS-NLMP 4.2.2.1.2)', () => {
    expect(hex(ntHash('Password'))).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });
});

describe('RC4', () => {
  const vectors: Array<[string, string, string]> = [
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ];
  for (const [key, plain, cipher] of vectors) {
    it(`RC4("${key}", "${plain}") = ${cipher}`, () => {
      expect(hex(rc4(ascii(key), ascii(plain)))).toBe(cipher);
    });
  }

  it('is a stream: two updates equal one update of the concatenation', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (k, a, b) => {
      const one = new Rc4(k);
      const joined = hex(one.update(new Uint8Array([...a, ...b])));
      const two = new Rc4(k);
      expect(hex(two.update(a)) + hex(two.update(b))).toBe(joined);
    }));
  });

  it('writes the same key stream into an output at any alignment, or in place', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.uint8Array({ minLength: 60, maxLength: 300 }), fc.nat({ max: 7 }), (k, data, at) => {
      const expected = hex(new Rc4(k).update(data));
      const out = new Uint8Array(data.length + 8).subarray(at, at + data.length);
      expect(hex(new Rc4(k).update(data, out))).toBe(expected);
      expect(hex(out)).toBe(expected);
      const inPlace = new Uint8Array(data.length + 8).subarray(at, at + data.length);
      inPlace.set(data);
      new Rc4(k).update(inPlace, inPlace);
      expect(hex(inPlace)).toBe(expected);
    }));
  });

  it('clone/restore brings the key stream back (MS-SPNG OriginalHandle)', () => {
    const h = new Rc4(ascii('Key'));
    h.update(ascii('abc'));
    const saved = h.clone();
    const first = hex(h.update(ascii('Plaintext')));
    h.restore(saved);
    expect(hex(h.update(ascii('Plaintext')))).toBe(first);
  });

  it('never prints its state', () => {
    expect(String(new Rc4(ascii('Key')))).toBe('[Rc4]');
  });
});
