/**
 * WinRM's framing of xpress stream data (Send input and Receive output of a shell created with
 * `rsp:CompressionType` xpress; protocol.md §3.8). The payload is cut into chunks of at most
 * 64 KiB; each chunk is `uint16 LE (originalSize - 1)`, `uint16 LE (compressedSize - 1)`, then
 * compressedSize bytes. Equal sizes mean the bytes are stored as they are; otherwise they are
 * MS-XCA LZ77+Huffman. Layout as psl-omi-provider's BufferManipulation.c reads and writes it.
 */
import { xpressCompress } from './compress.js';
import { xpressDecompress } from './decompress.js';
import { XpressError } from './huffman.js';

/** Most original bytes one chunk holds. */
export const CHUNK_SIZE = 65536;
/** Chunks shorter than this are stored, as Windows does (protocol.md §3.8). */
export const MIN_COMPRESSED_CHUNK = 266;
const HEADER = 4;

/**
 * Frame `data` as WinRM xpress chunks: each chunk compressed when that makes it smaller, stored
 * otherwise. Empty data gives empty output.
 */
export function winrmCompress(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let p = 0; p < data.length; p += CHUNK_SIZE) {
    const chunk = data.subarray(p, Math.min(p + CHUNK_SIZE, data.length));
    let body = chunk;
    if (chunk.length >= MIN_COMPRESSED_CHUNK) {
      const c = xpressCompress(chunk);
      if (c.length < chunk.length) body = c;
    }
    const head = new Uint8Array(HEADER);
    head[0] = (chunk.length - 1) & 255;
    head[1] = (chunk.length - 1) >> 8;
    head[2] = (body.length - 1) & 255;
    head[3] = (body.length - 1) >> 8;
    parts.push(head, body);
    total += HEADER + body.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/**
 * Undo winrmCompress. The sizes the chunk headers announce are added up first; more than
 * `maxOutput` bytes is refused before anything is allocated or decoded (ERR_XPRESS_QUOTA).
 * Malformed framing or chunk data throws XpressError.
 */
export function winrmDecompress(data: Uint8Array, maxOutput: number): Uint8Array {
  let total = 0;
  for (let p = 0; p < data.length; ) {
    if (p + HEADER > data.length) throw new XpressError('ERR_XPRESS_TRUNCATED', 'xpress chunk header is cut short');
    const orig = (data[p]! | (data[p + 1]! << 8)) + 1;
    const comp = (data[p + 2]! | (data[p + 3]! << 8)) + 1;
    if (p + HEADER + comp > data.length) throw new XpressError('ERR_XPRESS_TRUNCATED', 'xpress chunk is cut short');
    total += orig;
    if (total > maxOutput) {
      throw new XpressError('ERR_XPRESS_QUOTA', `xpress data decompresses to more than ${maxOutput} bytes`);
    }
    p += HEADER + comp;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (let p = 0; p < data.length; ) {
    const orig = (data[p]! | (data[p + 1]! << 8)) + 1;
    const comp = (data[p + 2]! | (data[p + 3]! << 8)) + 1;
    const body = data.subarray(p + HEADER, p + HEADER + comp);
    out.set(orig === comp ? body : xpressDecompress(body, orig), o);
    o += orig;
    p += HEADER + comp;
  }
  return out;
}
