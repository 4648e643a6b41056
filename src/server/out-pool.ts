/**
 * Reused memory for large response envelopes (ReceiveResponse). Writing 500 KB into fresh pages
 * costs several times the base64 work itself on a busy VM (every first touch of a page faults);
 * a few buffers handed back once the response was written to the socket avoid that. At most
 * POOL_MAX buffers of at most BUFFER_MAX bytes are kept (a bounded few MB per process). A buffer
 * is written in full up to the envelope's length before it is sent, and only that view is sent:
 * nothing of an earlier response goes out again.
 */
const POOL_MAX = 4;
const BUFFER_MAX = 1024 * 1024;
const ROUND = 64 * 1024;

export class OutPool {
  private free: Buffer[] = [];
  /** Memory this pool allocated: only that is ever taken back. */
  private readonly mine = new WeakSet<ArrayBufferLike>();

  /** A buffer of at least `size` bytes (its content is left over from earlier use). */
  readonly take = (size: number): Buffer => {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.length >= size) {
        this.free.splice(i, 1);
        return b;
      }
    }
    const b = Buffer.allocUnsafeSlow(Math.ceil(size / ROUND) * ROUND);
    this.mine.add(b.buffer);
    return b;
  };

  /** Give back a buffer from `take` (any view of it) once nothing reads it any more. */
  give(view: Buffer): void {
    if (!this.mine.has(view.buffer)) return;
    const whole = Buffer.from(view.buffer, 0, view.buffer.byteLength);
    if (whole.length > BUFFER_MAX || this.free.length >= POOL_MAX || this.free.some((b) => b.buffer === view.buffer)) return;
    this.free.push(whole);
  }
}
