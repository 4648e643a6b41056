/**
 * What the client's RunspacePool code needs from a PSRP transport (WS-Man or out-of-process):
 * send what the sans-IO pool queued, hand back its events, end. The same pool code runs over either.
 */
import type { ClientRunspacePool, PsrpEvent } from '../../psrp/pool.js';

export interface PsrpTransport {
  readonly pool: ClientRunspacePool;
  /** Send everything the pool has queued (pool.dataToSend()), in order. */
  flush(opts?: { receive?: boolean }): Promise<void>;
  /** The next event of the pool, waiting for one; throws the transport's failure. */
  nextEvent(): Promise<PsrpEvent>;
  /** Release the transport's resources (process, connections) without a graceful close. */
  dispose(): Promise<void>;
}

/** Pool events a transport holds unread before it stops receiving (backpressure). */
export const EVENT_HIGH_WATER = 1000;

/**
 * A queue of pool events with waiters, shared by the transports. Past `highWater` events the
 * transport waits (`whenRoom()`) before it receives more.
 */
export class EventQueue {
  private readonly events: PsrpEvent[] = [];
  private readonly waiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  failure: Error | undefined;

  constructor(readonly highWater = EVENT_HIGH_WATER) {}

  /** Events held unread. */
  get size(): number {
    return this.events.length;
  }

  /** Resolves once fewer than `highWater` events wait (or the queue failed). */
  whenRoom(): Promise<void> {
    if (this.events.length < this.highWater || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Move every event the pool has ready into the queue. */
  drain(pool: ClientRunspacePool): void {
    let e: PsrpEvent | undefined;
    while ((e = pool.nextEvent())) this.events.push(e);
    this.wake();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
    this.freeRoom();
  }

  private freeRoom(): void {
    if (this.events.length >= this.highWater && !this.failure) return;
    const ws = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of ws) w();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async next(): Promise<PsrpEvent> {
    for (;;) {
      const e = this.events.shift();
      if (e) {
        this.freeRoom();
        return e;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** Events until one matches (that one included). */
export async function eventsUntil(t: PsrpTransport, match: (e: PsrpEvent) => boolean): Promise<PsrpEvent[]> {
  const seen: PsrpEvent[] = [];
  for (;;) {
    const e = await t.nextEvent();
    seen.push(e);
    if (match(e)) return seen;
  }
}
