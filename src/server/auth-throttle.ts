/**
 * Slowing down repeated authentication failures from one address (a listener's answer to password
 * guessing). Each address gets a few free failures; after that every authentication attempt from
 * it waits before it is looked at, twice as long per further failure up to a ceiling. A success
 * forgets the address; so does a quiet period. Memory is bounded: past `maxEntries` addresses the
 * oldest entry is dropped. Windows has no such setting (account lockout plays that part there).
 */

export interface FailureThrottleOptions {
  /** Failures allowed before any delay (default 5). */
  free?: number;
  /** Delay after the first failure over `free`, in ms (default 250). */
  baseMs?: number;
  /** Longest delay, in ms (default 8000). */
  maxMs?: number;
  /** An address with no failure for this long starts over (default 10 minutes). */
  forgetAfterMs?: number;
  /** Most addresses remembered (default 10000). */
  maxEntries?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** How to wait, injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

interface Entry {
  failures: number;
  last: number;
}

/** Per-address backoff for failed logons. One per listener, shared by its endpoints. */
export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sleepFn: (ms: number) => Promise<void>;

  constructor(o: FailureThrottleOptions = {}) {
    this.free = o.free ?? 5;
    this.baseMs = o.baseMs ?? 250;
    this.maxMs = o.maxMs ?? 8000;
    this.forgetAfterMs = o.forgetAfterMs ?? 600_000;
    this.maxEntries = Math.max(1, o.maxEntries ?? 10_000);
    this.now = o.now ?? Date.now;
    this.sleepFn = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.()));
  }

  /** Addresses currently remembered (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  private entry(address: string): Entry | undefined {
    const e = this.entries.get(address);
    if (e && this.now() - e.last > this.forgetAfterMs) {
      this.entries.delete(address);
      return undefined;
    }
    return e;
  }

  /** Milliseconds an attempt from `address` must wait now (0: none). */
  delayFor(address: string): number {
    const e = this.entry(address);
    if (!e || e.failures < Math.max(this.free, 1)) return 0;
    const over = e.failures - Math.max(this.free, 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(over, 30));
  }

  /** Wait as long as `delayFor` says; resolves to the delay applied. */
  async wait(address: string): Promise<number> {
    const ms = this.delayFor(address);
    if (ms > 0) await this.sleepFn(ms);
    return ms;
  }

  /** Record a failed logon from `address`. */
  failed(address: string): void {
    const e = this.entry(address);
    this.entries.delete(address); // re-insert: the Map's order is then least recently failed first
    this.entries.set(address, { failures: (e?.failures ?? 0) + 1, last: this.now() });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Record a successful logon: the address starts over. */
  succeeded(address: string): void {
    this.entries.delete(address);
  }
}
