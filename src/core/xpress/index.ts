/** MS-XCA LZ77+Huffman ("xpress") and WinRM's chunk framing of it. Sans-IO. */
export { xpressCompress, type XpressCompressOptions } from './compress.js';
export { xpressDecompress, BLOCK_SIZE } from './decompress.js';
export { XpressError } from './huffman.js';
export { winrmCompress, winrmDecompress, CHUNK_SIZE, MIN_COMPRESSED_CHUNK } from './winrm.js';
