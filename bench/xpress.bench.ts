/**
 * xpress (MS-XCA LZ77+Huffman, src/core/xpress) beside node's zlib deflate level 1 on the same
 * data in the same run: 1 MiB of PSRP output (CLIXML of `1..N | % { "Return $_" }`-like objects,
 * what a compressed Receive carries), cut in WinRM's 64 KiB chunks for both codecs.
 * MB = 10^6 bytes of original data. Size rows: compressed / original (lower is better).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { winrmCompress, winrmDecompress, CHUNK_SIZE } from '../src/core/xpress/index.js';
import type { BenchResult } from './run.js';

declare const gc: (() => void) | undefined;

function psrpOutput(size: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = 1; n < size; i++) {
    const s = `<Obj RefId="${i}"><TN RefId="0"><T>System.String</T><T>System.Object</T></TN><ToString>Return ${i}</ToString><S>Return ${i}</S><MS><I32 N="Index">${i * 7 % 1000}</I32></MS></Obj>`;
    parts.push(s);
    n += s.length;
  }
  return Buffer.from(parts.join('').slice(0, size), 'utf8');
}

/** Bytes per second of `f` over `bytes` input, after a warm-up, for about `ms`. */
function mbPerSecond(f: () => unknown, bytes: number, ms = 1200): number {
  for (let i = 0; i < 3; i++) f();
  if (typeof gc === 'function') gc();
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    f();
    n++;
    elapsed = process.hrtime.bigint() - start;
  }
  return (n * bytes) / (Number(elapsed) / 1e9) / 1e6;
}

export async function run(): Promise<BenchResult[]> {
  const data = psrpOutput(1 << 20);
  const chunks: Buffer[] = [];
  for (let p = 0; p < data.length; p += CHUNK_SIZE) chunks.push(data.subarray(p, p + CHUNK_SIZE));
  const deflate = (): Buffer[] => chunks.map((c) => deflateRawSync(c, { level: 1 }));
  const xp = winrmCompress(data);
  const df = deflate();
  const dfSize = df.reduce((a, b) => a + b.length, 0);
  if (!Buffer.from(winrmDecompress(xp, data.length)).equals(data)) throw new Error('xpress round trip failed');
  const cx = mbPerSecond(() => winrmCompress(data), data.length);
  const cz = mbPerSecond(deflate, data.length);
  const dx = mbPerSecond(() => winrmDecompress(xp, data.length), data.length);
  const dz = mbPerSecond(() => df.map((c) => inflateRawSync(c)), data.length);
  const rx = xp.length / data.length;
  const rz = dfSize / data.length;
  return [
    { name: 'xpress compress 1 MiB PSRP output (64 KiB chunks) vs zlib deflate level 1', unit: 'MB/s', value: cx, baseline: cz, ratio: cx / cz },
    { name: 'xpress decompress 1 MiB PSRP output (64 KiB chunks) vs zlib inflate', unit: 'MB/s', value: dx, baseline: dz, ratio: dx / dz },
    { name: 'xpress compressed size / original vs zlib deflate level 1', unit: 'ratio', value: rx, baseline: rz, ratio: rx / rz },
  ];
}
