/**
 * A bounded queue read as an async iterable (one reader): the streams of a running pipeline. The
 * writer asks `room()` before writing more; it waits while the queue holds `capacity` items, so a
 * consumer that does not read stops the receiving (backpressure) instead of growing memory. A
 * queue made with `dropOldest` (progress) never waits: it forgets its oldest item instead. A reader
 * that stops early (break) releases the writer: the rest is dropped.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private roomWaiters: Array<() => void> = [];
  private ended = false;
  private failure: Error | undefined;

  constructor(
    /** Items held before `room()` waits (or, with dropOldest, before the oldest is dropped). */
    readonly capacity = 10_000,
    private readonly dropOldest = false,
  ) {}

  /** Items waiting to be read. */
  get size(): number {
    return this.items.length;
  }

  /** True when a writer should wait (`room()`) before writing more. */
  get full(): boolean {
    return !this.dropOldest && !this.ended && this.items.length >= this.capacity;
  }

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    if (this.dropOldest && this.items.length > this.capacity) this.items.shift();
    this.wake();
  }

  /** Resolves once the channel is below its capacity (or ended: nothing more will be read). */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  end(err?: Error): void {
    this.ended = true;
    this.failure ??= err;
    this.wake();
    this.freeRoom();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private freeRoom(): void {
    if (this.full) return;
    const ws = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of ws) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.items.length) {
          const item = this.items.shift()!;
          this.freeRoom();
          yield item;
          continue;
        }
        if (this.ended) {
          if (this.failure) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      // The reader stopped early (break): what is left, and what comes, is dropped, never waited for.
      if (!this.ended) {
        this.items.length = 0;
        this.ended = true;
        this.freeRoom();
      }
    }
  }
}
