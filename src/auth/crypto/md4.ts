/**
 * MD4 (RFC 1320), needed for the NT hash. OpenSSL 3 (Node 20) ships it only in the legacy
 * provider, so it is written here: three rounds of 16 operations over 512-bit blocks.
 */

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

const R2 = 0x5a827999;
const R3 = 0x6ed9eba1;

/** MD4 digest of `data` (16 bytes). */
export function md4(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8;
  // Pad: 0x80, zeros to 56 mod 64, then the 64-bit little-endian bit length.
  const padLen = ((data.length + 8) >> 6) + 1;
  const total = padLen * 64;
  const buf = new Uint8Array(total);
  buf.set(data);
  buf[data.length] = 0x80;
  const dv = new DataView(buf.buffer);
  dv.setUint32(total - 8, bitLen >>> 0, true);
  dv.setUint32(total - 4, Math.floor(bitLen / 0x100000000) >>> 0, true);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Int32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = dv.getInt32(off + i * 4, true);
    const aa = a, bb = b, cc = c, dd = d;
    const X = (i: number): number => x[i] as number;
    // Round 1: F(x,y,z) = xy | ~x z; shifts 3 7 11 19.
    for (let i = 0; i < 16; i += 4) {
      a = rotl((a + ((b & c) | (~b & d)) + X(i)) | 0, 3);
      d = rotl((d + ((a & b) | (~a & c)) + X(i + 1)) | 0, 7);
      c = rotl((c + ((d & a) | (~d & b)) + X(i + 2)) | 0, 11);
      b = rotl((b + ((c & d) | (~c & a)) + X(i + 3)) | 0, 19);
    }
    // Round 2: G(x,y,z) = xy | xz | yz; words in column order; shifts 3 5 9 13.
    for (let i = 0; i < 4; i++) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + X(i) + R2) | 0, 3);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + X(i + 4) + R2) | 0, 5);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + X(i + 8) + R2) | 0, 9);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + X(i + 12) + R2) | 0, 13);
    }
    // Round 3: H(x,y,z) = x ^ y ^ z; words in bit-reversed order; shifts 3 9 11 15.
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + (b ^ c ^ d) + X(i) + R3) | 0, 3);
      d = rotl((d + (a ^ b ^ c) + X(i + 8) + R3) | 0, 9);
      c = rotl((c + (d ^ a ^ b) + X(i + 4) + R3) | 0, 11);
      b = rotl((b + (c ^ d ^ a) + X(i + 12) + R3) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setInt32(0, a, true);
  ov.setInt32(4, b, true);
  ov.setInt32(8, c, true);
  ov.setInt32(12, d, true);
  return out;
}
