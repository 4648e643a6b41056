/** How PSRP fragments are sized and grouped for WS-Man envelopes (MS-PSRP 3.1.5.1.1). */
import { decodeFragments, encodeFragment } from '../../psrp/fragment.js';

/**
 * The largest PSRP fragment that fits a WS-Man envelope of `maxEnvelopeSize` bytes once base64
 * encoded, leaving room for the SOAP envelope around it (headers, Send/Command body).
 */
export function fragmentSizeFor(maxEnvelopeSize: number): number {
  const ENVELOPE_ROOM = 2048;
  return Math.max(256, Math.floor((maxEnvelopeSize - ENVELOPE_ROOM) / 4) * 3);
}

/** Whole fragments grouped into pieces of at most `max` bytes (a larger fragment goes alone). */
export function splitFragments(data: Uint8Array, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  for (const f of decodeFragments(data)) {
    const bytes = encodeFragment(f);
    if (size && size + bytes.length > max) {
      pieces.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(bytes);
    size += bytes.length;
  }
  if (current.length) pieces.push(Buffer.concat(current));
  return pieces;
}
