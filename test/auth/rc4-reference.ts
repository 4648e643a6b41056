/** Textbook RC4 (KSA + PRGA, one byte at a time): the reference our RC4 loops and reservoir must match. */
export function rc4Reference(key: Uint8Array): (d: Uint8Array) => Uint8Array {
  const s = Array.from({ length: 256 }, (_, k) => k);
  let j = 0;
  for (let k = 0; k < 256; k++) {
    j = (j + s[k]! + key[k % key.length]!) & 255;
    [s[k], s[j]] = [s[j]!, s[k]!];
  }
  let i = 0;
  j = 0;
  return (d) => d.map((b) => {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    return b ^ s[(s[i]! + s[j]!) & 255]!;
  });
}
