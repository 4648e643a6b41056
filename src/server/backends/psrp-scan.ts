/**
 * Reads just enough of the PSRP fragments pwsh writes to route and buffer them: whole fragments
 * with their end-of-message flag (so that Drop mode discards whole messages and a Receive rarely
 * cuts one), the state of PIPELINE_STATE messages, and, when asked, whole messages of a few small
 * types (the pool's SESSION_CAPABILITY and APPLICATION_PRIVATE_DATA, kept for a later Connect).
 * Only those are reassembled, so a large output object is never held twice. Fragments may arrive
 * in pieces; a partial fragment is held until it is complete.
 */
import { FRAGMENT_HEADER_SIZE } from '../../psrp/fragment.js';
import { MessageType } from '../../psrp/message.js';
import { decodeTyped } from '../../psrp/messages/index.js';

/** PSInvocationState values that end a pipeline: Stopped, Completed, Failed. */
const TERMINAL = new Set([3, 4, 5]);
/** A reassembled (state or captured) message is small; anything larger is not trusted. */
const MAX_SMALL_MESSAGE = 1024 * 1024;
/** pwsh's out-of-process fragments are at most 32 KB; a larger length is not PSRP. */
const MAX_FRAGMENT = 1024 * 1024;

/** Bytes to buffer: whole fragments, or (once the stream is not PSRP) whatever came. */
export interface ScannedPiece {
  data: Buffer;
  /** It ends a message (the fragment's End flag); also true for unscanned bytes. */
  end: boolean;
}

export interface ScanResult {
  /** A terminal PIPELINE_STATE (Stopped, Completed, Failed) passed. */
  terminal: boolean;
  /** The complete fragments (or unscanned bytes) of this push, in order. */
  pieces: ScannedPiece[];
  /** Whole messages of the captured types, as written (header included). */
  captured: { messageType: number; message: Buffer }[];
}

/** One per PSGuid (pool or pipeline): ObjectIds are only unique per sender. */
export class FragmentScanner {
  private partial: Buffer = Buffer.alloc(0);
  /** ObjectIds of messages being reassembled (PIPELINE_STATE, captured types), with their parts. */
  private readonly held = new Map<bigint, { type: number; parts: Buffer[]; size: number }>();

  /** The stream was not PSRP (a fragment too large): nothing more is scanned or held. */
  private broken = false;

  constructor(private readonly capture: ReadonlySet<number> = new Set()) {}

  push(chunk: Uint8Array): ScanResult {
    const r: ScanResult = { terminal: false, pieces: [], captured: [] };
    if (this.broken) {
      if (chunk.length) r.pieces.push({ data: Buffer.from(chunk), end: true });
      return r;
    }
    const bytes = this.partial.length ? Buffer.concat([this.partial, chunk]) : Buffer.from(chunk);
    let at = 0;
    while (bytes.length - at >= FRAGMENT_HEADER_SIZE) {
      const objectId = bytes.readBigUInt64BE(at);
      const flags = bytes.readUInt8(at + 16);
      const len = bytes.readUInt32BE(at + 17);
      if (len > MAX_FRAGMENT) {
        this.broken = true;
        this.partial = Buffer.alloc(0);
        this.held.clear();
        r.pieces.push({ data: Buffer.from(bytes.subarray(at)), end: true });
        return r;
      }
      if (bytes.length - at - FRAGMENT_HEADER_SIZE < len) break;
      const blob = bytes.subarray(at + FRAGMENT_HEADER_SIZE, at + FRAGMENT_HEADER_SIZE + len);
      r.pieces.push({ data: Buffer.from(bytes.subarray(at, at + FRAGMENT_HEADER_SIZE + len)), end: (flags & 2) !== 0 });
      at += FRAGMENT_HEADER_SIZE + len;
      if (flags & 1) {
        this.held.delete(objectId);
        const type = blob.length >= 8 ? blob.readUInt32LE(4) : -1;
        if (type === MessageType.PIPELINE_STATE || this.capture.has(type)) this.held.set(objectId, { type, parts: [], size: 0 });
      }
      const h = this.held.get(objectId);
      if (!h) continue;
      h.parts.push(Buffer.from(blob));
      h.size += blob.length;
      if (h.size > MAX_SMALL_MESSAGE) {
        this.held.delete(objectId);
        continue;
      }
      if (flags & 2) {
        this.held.delete(objectId);
        const message = Buffer.concat(h.parts);
        if (this.capture.has(h.type)) r.captured.push({ messageType: h.type, message });
        if (h.type !== MessageType.PIPELINE_STATE) continue;
        try {
          const m = decodeTyped(new Uint8Array(message)).message;
          if (m.type === 'PIPELINE_STATE' && TERMINAL.has(m.pipelineState)) r.terminal = true;
        } catch {
          // Not ours to judge: the client decodes the message too.
        }
      }
    }
    this.partial = at === bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(at));
    return r;
  }
}
