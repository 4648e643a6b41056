/**
 * A command's undelivered output, in arrival order across streams, with the configured buffering
 * mode (OutputBufferingMode, protocol.md §4.1):
 * - Block: when more than `limit` bytes wait, `onFull` pauses the process's pipes (backpressure:
 *   the child blocks in write, nothing is lost); `onDrained` resumes them below half the limit.
 * - Drop: the oldest bytes are discarded so at most `limit` wait; the process keeps running.
 */
import type { BufferMode } from '../core/index.js';

export interface OutputChunk {
  stream: string;
  data: Buffer;
}

const MERGE_BELOW = 32 * 1024;

export class OutputBuffer {
  private chunks: OutputChunk[] = [];
  private head = 0;
  private bytes = 0;
  private paused = false;
  /** Bytes discarded by Drop mode. */
  dropped = 0;

  constructor(
    public mode: BufferMode,
    public limit: number,
    private readonly onFull: () => void,
    private readonly onDrained: () => void,
  ) {}

  get size(): number {
    return this.bytes;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  push(stream: string, data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push({ stream, data });
    this.bytes += data.length;
    if (this.bytes <= this.limit) return;
    if (this.mode === 'Drop') this.dropOldest(this.bytes - this.limit);
    else if (!this.paused) {
      this.paused = true;
      this.onFull();
    }
  }

  private dropOldest(excess: number): void {
    while (excess > 0 && this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      if (c.data.length <= excess) {
        excess -= c.data.length;
        this.bytes -= c.data.length;
        this.dropped += c.data.length;
        this.head++;
      } else {
        c.data = c.data.subarray(excess);
        this.bytes -= excess;
        this.dropped += excess;
        excess = 0;
      }
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Switch mode or size (Disconnect's BufferMode); applies the new rule at once. */
  configure(mode: BufferMode, limit = this.limit): void {
    this.mode = mode;
    this.limit = limit;
    if (mode === 'Drop' && this.bytes > limit) this.dropOldest(this.bytes - limit);
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && (this.mode === 'Drop' || this.bytes <= this.limit / 2)) {
      this.paused = false;
      this.onDrained();
    }
  }

  /**
   * Take output for one response, in order, merging consecutive chunks of one stream, and only of
   * the `wanted` streams (others stay queued). `maxChars` is the room left in the envelope for
   * base64 text; every stream element costs `groupOverhead` characters more.
   */
  take(maxChars: number, groupOverhead: number, wanted?: ReadonlySet<string>): OutputChunk[] {
    const groups: { stream: string; parts: Buffer[]; bytes: number }[] = [];
    let chars = maxChars;
    let i = this.head;
    const keep: OutputChunk[] = [];
    while (i < this.chunks.length) {
      const c = this.chunks[i]!;
      if (wanted && !wanted.has(c.stream)) {
        keep.push(c);
        i++;
        continue;
      }
      let last = groups[groups.length - 1];
      // Small chunks of one stream merge into one element; large ones get their own (no copy).
      if (!last || last.stream !== c.stream || last.bytes >= MERGE_BELOW) {
        if (chars < groupOverhead + 8) break;
        chars -= groupOverhead + 4; // 4: base64 padding slack of the merged group
        last = { stream: c.stream, parts: [], bytes: 0 };
        groups.push(last);
      }
      const room = Math.floor((chars * 3) / 4);
      if (room <= 0) break;
      const piece = c.data.length <= room ? c.data : c.data.subarray(0, room);
      last.parts.push(piece);
      last.bytes += piece.length;
      chars -= Math.ceil((piece.length * 4) / 3);
      this.bytes -= piece.length;
      if (piece.length === c.data.length) i++;
      else {
        c.data = c.data.subarray(piece.length);
        break;
      }
    }
    // Chunks of streams not asked for stay, in order, before the rest.
    this.chunks = keep.concat(this.chunks.slice(i));
    this.head = 0;
    this.maybeResume();
    return groups.filter((g) => g.parts.length > 0)
      .map((g) => ({ stream: g.stream, data: g.parts.length === 1 ? g.parts[0]! : Buffer.concat(g.parts) }));
  }

  /** Whether any output of the wanted streams waits. */
  has(wanted?: ReadonlySet<string>): boolean {
    if (!wanted) return this.bytes > 0;
    for (let i = this.head; i < this.chunks.length; i++) if (wanted.has(this.chunks[i]!.stream)) return true;
    return false;
  }
}
