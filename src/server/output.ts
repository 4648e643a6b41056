/**
 * A command's undelivered output, in arrival order across streams, with the configured buffering
 * mode (OutputBufferingMode, protocol.md §4.1):
 * - Block: when more than `limit` bytes wait, or the shared budget (the shell's and its user's,
 *   budget.ts) is full, `onFull` pauses the process's pipes (backpressure: the child blocks in
 *   write, nothing is lost, the command does not fail); `onDrained` resumes them once the buffer
 *   is below half its limit and the budget has room again.
 * - Drop: the oldest bytes are discarded so that at most `limit` wait and the budget is kept;
 *   the process keeps running.
 * Every buffer may hold OUTPUT_RESERVE bytes whatever the shared budget says, so that a command
 * whose output is being read goes on while other commands of the same user fill the budget.
 *
 * Bytes held for long are one-byte (latin1) strings, in the JavaScript heap, rather than the
 * Buffers the pipes deliver. Buffers live in the C allocator, which keeps what it once held: a
 * listener that buffered 150 MB for a user stayed 150 MB larger after Delete, the freed memory
 * scattered between live allocations (glibc only returns the top of its heap). The JavaScript heap
 * compacts, and gives its pages back to the system after a collection. The cost is one copy in and
 * one copy out per byte, and the collector's: young strings are copied at every scavenge (a third
 * of a streaming listener's CPU when megabytes waited).
 * So the first HOT_BYTES of a buffer stay the pipes' Buffers (a bounded few in the C heap per
 * command), and while a reader takes output (a Receive within READER_ACTIVE_MS) a Block buffer
 * pauses the pipes at HOT_BYTES already: a streaming command waits in write for its reader instead
 * of filling megabytes of strings. A reader that stays away longer gets the whole `limit`, as strings.
 */
import type { BufferMode } from '../core/index.js';
import type { MemoryBudget } from './budget.js';

export interface OutputChunk {
  stream: string;
  data: Buffer;
}

const MERGE_BELOW = 32 * 1024;

/** Bytes a command may always hold beyond the shared budgets. */
export const OUTPUT_RESERVE = 64 * 1024;

/** Largest piece held as one string: Node makes strings above about 1 MB external (C-allocated). */
const PIECE = 512 * 1024;

/** Bytes of a buffer held as the pipes' Buffers; beyond, strings. Also where an active reader's Block buffer pauses. */
export const HOT_BYTES = 1024 * 1024;
/** A reader that took output within this long is active: its Block buffer pauses at HOT_BYTES. */
export const READER_ACTIVE_MS = 250;

/** Output as held: a Buffer (recent, while few bytes wait) or latin1 text, one character per byte. */
interface Held {
  stream: string;
  text: string | Buffer;
  /** Whole-message mode: the chunk ends a message (the last fragment of a PSRP message). */
  end?: boolean;
}

export class OutputBuffer {
  private chunks: Held[] = [];
  private head = 0;
  private bytes = 0;
  private paused = false;
  private closed = false;
  private stopWaiting: (() => void) | undefined;
  /** Bytes discarded by Drop mode. */
  dropped = 0;
  /** When output last arrived (performance.now()): a Receive waits a moment for more while it flows. */
  lastPushAt = -Infinity;
  /** When output was last taken (performance.now()): a reader is active. */
  private lastTakeAt = -Infinity;
  /** Paused at HOT_BYTES for an active reader (not the limit); lifted if the reader stays away. */
  private softTimer: NodeJS.Timeout | undefined;
  /**
   * Whole-message mode (PSRP): each push is one or more whole fragments, marked when it ends a
   * message. Drop discards whole messages only; a response cuts a fragment only when not even
   * one fits; a new client (Connect) starts at a message boundary (`resync`).
   */
  wholeMessages = false;
  /**
   * Whole-message mode: what was taken of a message whose end was not taken yet. Kept (and counted
   * in the shared budget) so that a new client (`resync`) gets that message whole.
   */
  private retained: Held[] = [];
  private retainedBytes = 0;
  /** Whole-message mode: the rest of a message Drop discarded is discarded as it arrives. */
  private skipToEnd = false;

  constructor(
    public mode: BufferMode,
    public limit: number,
    private readonly onFull: () => void,
    private readonly onDrained: () => void,
    private readonly shared?: MemoryBudget,
  ) {}

  get size(): number {
    return this.bytes;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Buffer output; `end` (whole-message mode): it ends a message. */
  push(stream: string, data: Buffer, end = true): void {
    if (data.length === 0 || this.closed) return;
    this.lastPushAt = performance.now();
    if (this.skipToEnd) {
      this.dropped += data.length;
      if (end) this.skipToEnd = false;
      return;
    }
    if (!this.wholeMessages && this.bytes + data.length <= HOT_BYTES) this.chunks.push({ stream, text: data });
    else {
      for (let o = 0; o < data.length; o += PIECE) {
        const last = o + PIECE >= data.length;
        const held: Held = { stream, text: data.toString('latin1', o, Math.min(o + PIECE, data.length)) };
        if (this.wholeMessages && last && end) held.end = true;
        this.chunks.push(held);
      }
    }
    this.bytes += data.length;
    this.shared?.charge(data.length);
    if (this.mode === 'Drop') this.dropOver();
    else if (!this.paused && this.overBudget()) this.pause();
    else if (!this.paused && !this.wholeMessages && this.bytes > HOT_BYTES && performance.now() - this.lastTakeAt < READER_ACTIVE_MS) this.softPause();
  }

  /** Pause for an active reader; if it takes nothing for READER_ACTIVE_MS, read on up to the limit. */
  private softPause(): void {
    this.paused = true;
    this.softTimer = setTimeout(() => {
      this.softTimer = undefined;
      if (!this.paused || this.closed) return;
      this.paused = false;
      if (this.overBudget()) this.pause();
      else this.onDrained();
    }, READER_ACTIVE_MS);
    this.softTimer.unref?.();
    this.onFull();
  }

  private endSoftPause(): void {
    clearTimeout(this.softTimer);
    this.softTimer = undefined;
  }

  /** Own limit passed, or the shared budget full while this buffer holds more than its reserve. */
  private overBudget(): boolean {
    return this.bytes > this.limit || (this.bytes > OUTPUT_RESERVE && this.shared?.full === true);
  }

  private pause(): void {
    this.paused = true;
    this.stopWaiting = this.shared?.onRoom(() => this.maybeResume());
    this.onFull();
  }

  /** Drop mode: discard the oldest bytes beyond the own limit and, down to the reserve, the budget's excess. */
  private dropOver(): void {
    let excess = this.bytes - this.limit;
    if (this.shared && this.bytes > OUTPUT_RESERVE) excess = Math.max(excess, Math.min(this.shared.excess, this.bytes - OUTPUT_RESERVE));
    if (excess > 0) this.dropOldest(excess);
  }

  private dropOldest(excess: number): void {
    if (this.wholeMessages) return this.dropOldestMessages(excess);
    let gone = 0;
    while (excess > 0 && this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      if (c.text.length <= excess) {
        excess -= c.text.length;
        gone += c.text.length;
        this.head++;
      } else {
        c.text = cut(c.text, excess);
        gone += excess;
        excess = 0;
      }
    }
    this.dropped += gone;
    this.compact();
    this.release(gone);
  }

  /** Whole messages, oldest first, until `excess` bytes are gone; a message is never cut. */
  private dropOldestMessages(excess: number): void {
    let gone = 0;
    let atBoundary = true;
    while ((excess > 0 || !atBoundary) && this.head < this.chunks.length) {
      const c = this.chunks[this.head++]!;
      excess -= c.text.length;
      gone += c.text.length;
      atBoundary = c.end === true;
    }
    // The newest message is incomplete and had to go too: the rest of it goes as it comes.
    if (!atBoundary) this.skipToEnd = true;
    this.forgetRetained();
    this.dropped += gone;
    this.compact();
    this.release(gone);
  }

  /**
   * Whole-message mode, for a new client (Connect): the message the last reader took only part of
   * is given again from its start, so that the new reader gets it whole (the last one never
   * completes it), and what follows starts a message.
   */
  resync(): void {
    if (!this.wholeMessages || this.retained.length === 0) return;
    this.compact(true);
    this.chunks = this.retained.concat(this.chunks);
    this.bytes += this.retainedBytes; // already in the shared budget
    this.retained = [];
    this.retainedBytes = 0;
  }

  private forgetRetained(): void {
    this.shared?.release(this.retainedBytes);
    this.retained = [];
    this.retainedBytes = 0;
  }

  /** Whole-message mode: a piece of `c` was taken (all of it when `whole`). */
  private retain(c: Held, piece: string | Buffer, whole: boolean): void {
    if (whole && c.end) {
      this.forgetRetained();
      return;
    }
    this.retained.push({ stream: c.stream, text: piece });
    this.retainedBytes += piece.length;
    this.shared?.charge(piece.length);
  }

  /** Whole-message mode: put complete messages (made by the listener) before everything held. */
  unshift(stream: string, data: Buffer): void {
    if (data.length === 0 || this.closed) return;
    this.compact(true);
    this.chunks.unshift({ stream, text: data.toString('latin1'), ...(this.wholeMessages ? { end: true } : {}) });
    this.bytes += data.length;
    this.shared?.charge(data.length);
  }

  private release(n: number): void {
    if (n <= 0) return;
    this.bytes -= n;
    this.shared?.release(n);
  }

  /** Forget everything (the command is gone): the bytes leave the shared budget at once. */
  clear(): void {
    this.closed = true;
    this.endSoftPause();
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    this.chunks = [];
    this.head = 0;
    this.release(this.bytes);
    this.forgetRetained();
  }

  private compact(force = false): void {
    if (force || this.head > 1024 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Switch mode or size (Disconnect's BufferMode); applies the new rule at once. */
  configure(mode: BufferMode, limit = this.limit): void {
    this.mode = mode;
    this.limit = limit;
    if (mode === 'Drop') this.dropOver();
    this.maybeResume();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.softTimer) {
      if (this.bytes > HOT_BYTES / 2) return;
      this.endSoftPause();
      this.paused = false;
      this.onDrained();
      return;
    }
    const room = this.mode === 'Drop' ||
      (this.bytes <= this.limit / 2 && (this.bytes <= OUTPUT_RESERVE || this.shared?.full !== true));
    if (!room) return;
    this.paused = false;
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    this.onDrained();
  }

  /**
   * Take output for one response, in order, merging consecutive chunks of one stream, and only of
   * the `wanted` streams (others stay queued). `maxChars` is the room left in the envelope for
   * base64 text; every stream element costs `groupOverhead` characters more.
   */
  take(maxChars: number, groupOverhead: number, wanted?: ReadonlySet<string>): OutputChunk[] {
    const groups: { stream: string; parts: (string | Buffer)[]; bytes: number }[] = [];
    let chars = maxChars;
    let i = this.head;
    const keep: Held[] = [];
    let taken = 0;
    while (i < this.chunks.length) {
      const c = this.chunks[i]!;
      if (wanted && !wanted.has(c.stream)) {
        keep.push(c);
        i++;
        continue;
      }
      let last = groups[groups.length - 1];
      // Small chunks of one stream merge into one element; large ones get their own.
      if (!last || last.stream !== c.stream || last.bytes >= MERGE_BELOW) {
        if (chars < groupOverhead + 8) break;
        chars -= groupOverhead + 4; // 4: base64 padding slack of the merged group
        last = { stream: c.stream, parts: [], bytes: 0 };
        groups.push(last);
      }
      const room = Math.floor((chars * 3) / 4);
      if (room <= 0) break;
      // Whole-message mode: a fragment is cut only when nothing at all would go otherwise.
      if (this.wholeMessages && c.text.length > room && taken > 0) break;
      const piece = c.text.length <= room ? c.text : cut(c.text, 0, room);
      last.parts.push(piece);
      last.bytes += piece.length;
      chars -= Math.ceil((piece.length * 4) / 3);
      taken += piece.length;
      const whole = piece.length === c.text.length;
      if (this.wholeMessages) this.retain(c, piece, whole);
      if (whole) i++;
      else {
        c.text = cut(c.text, piece.length);
        break;
      }
    }
    // Chunks of streams not asked for stay, in order, before the rest.
    this.chunks = keep.concat(this.chunks.slice(i));
    this.head = 0;
    if (taken > 0) this.lastTakeAt = performance.now();
    this.release(taken);
    this.maybeResume();
    return groups.filter((g) => g.parts.length > 0).map((g) => ({ stream: g.stream, data: toBuffer(g.parts, g.bytes) }));
  }

  /** Whether any output of the wanted streams waits. */
  has(wanted?: ReadonlySet<string>): boolean {
    if (!wanted) return this.bytes > 0;
    for (let i = this.head; i < this.chunks.length; i++) if (wanted.has(this.chunks[i]!.stream)) return true;
    return false;
  }
}

function toBuffer(parts: readonly (string | Buffer)[], bytes: number): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  let o = 0;
  for (const p of parts) o += typeof p === 'string' ? b.write(p, o, 'latin1') : p.copy(b, o);
  return b;
}

/** `slice` of held output, whichever form it has. */
function cut(t: string | Buffer, from: number, to?: number): string | Buffer {
  return typeof t === 'string' ? t.slice(from, to) : t.subarray(from, to);
}
