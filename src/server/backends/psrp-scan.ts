/**
 * Reads just enough of the PSRP fragments pwsh writes to route them: the message type of each
 * message (from its start fragment's header), and the state of PIPELINE_STATE messages (only those
 * are reassembled, so a large output object is never held twice). Fragments may arrive in pieces.
 */
import { FRAGMENT_HEADER_SIZE } from '../../psrp/fragment.js';
import { MessageType } from '../../psrp/message.js';
import { decodeTyped } from '../../psrp/messages/index.js';

/** PSInvocationState values that end a pipeline: Stopped, Completed, Failed. */
const TERMINAL = new Set([3, 4, 5]);
/** A PIPELINE_STATE message is small; anything larger is not trusted. */
const MAX_STATE_MESSAGE = 1024 * 1024;
/** pwsh's out-of-process fragments are at most 32 KB; a larger length is not PSRP. */
const MAX_FRAGMENT = 1024 * 1024;

export interface ScanResult {
  /** A terminal PIPELINE_STATE (Stopped, Completed, Failed) passed. */
  terminal: boolean;
}

/** One per PSGuid (pool or pipeline): ObjectIds are only unique per sender. */
export class FragmentScanner {
  private partial: Buffer = Buffer.alloc(0);
  /** ObjectIds of PIPELINE_STATE messages being reassembled, with their parts. */
  private readonly states = new Map<bigint, Buffer[]>();

  /** The stream was not PSRP (a fragment too large): nothing more is scanned or held. */
  private broken = false;

  push(chunk: Uint8Array): ScanResult {
    if (this.broken) return { terminal: false };
    const bytes = this.partial.length ? Buffer.concat([this.partial, chunk]) : Buffer.from(chunk);
    let terminal = false;
    let at = 0;
    while (bytes.length - at >= FRAGMENT_HEADER_SIZE) {
      const objectId = bytes.readBigUInt64BE(at);
      const flags = bytes.readUInt8(at + 16);
      const len = bytes.readUInt32BE(at + 17);
      if (len > MAX_FRAGMENT) {
        this.broken = true;
        this.partial = Buffer.alloc(0);
        this.states.clear();
        return { terminal };
      }
      if (bytes.length - at - FRAGMENT_HEADER_SIZE < len) break;
      const blob = bytes.subarray(at + FRAGMENT_HEADER_SIZE, at + FRAGMENT_HEADER_SIZE + len);
      at += FRAGMENT_HEADER_SIZE + len;
      if (flags & 1) {
        this.states.delete(objectId);
        if (blob.length >= 8 && blob.readUInt32LE(4) === MessageType.PIPELINE_STATE) this.states.set(objectId, []);
      }
      const parts = this.states.get(objectId);
      if (!parts) continue;
      parts.push(Buffer.from(blob));
      if (parts.reduce((n, p) => n + p.length, 0) > MAX_STATE_MESSAGE) {
        this.states.delete(objectId);
        continue;
      }
      if (flags & 2) {
        this.states.delete(objectId);
        try {
          const m = decodeTyped(new Uint8Array(Buffer.concat(parts))).message;
          if (m.type === 'PIPELINE_STATE' && TERMINAL.has(m.pipelineState)) terminal = true;
        } catch {
          // Not ours to judge: the client decodes the message too.
        }
      }
    }
    this.partial = at === bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(at));
    return { terminal };
  }
}
