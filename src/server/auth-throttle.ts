/**
 * Slowing down repeated failed logons (a listener's answer to password guessing), keyed by
 * (client address, user name): one user's failures never slow down another user sharing the
 * address, and one user's success never resets another's counter. Each key gets a few free
 * failures; after that the key is blocked for a time that doubles per further failure, up to a
 * ceiling. An attempt during the block is not looked at: the listener answers it 401 at once with
 * `Retry-After` (see `retryAfter`). A quiet period forgets a key; a success forgets its own key.
 *
 * User-name spraying (one guess per name from one address) is bounded by a per-address total with
 * a larger allowance; it does not apply to a (address, user) pair that logged on successfully
 * recently, so the real user sharing the address with the attacker is not locked out. A failure
 * whose user name is unknown counts under the empty name. Memory is bounded: past `maxEntries`
 * keys per table the least recently failed is dropped. Windows has no such setting (account
 * lockout plays that part there).
 */

export interface FailureThrottleOptions {
  /** Failures per (address, user) allowed before any block (default 5). */
  free?: number;
  /** Failures per address, all user names together, allowed before the address is blocked (default 50). */
  addressFree?: number;
  /** Block after the first failure over the allowance, in ms (default 250). */
  baseMs?: number;
  /** Longest block, in ms (default 8000). */
  maxMs?: number;
  /** A key with no failure for this long starts over; a success is trusted this long (default 10 minutes). */
  forgetAfterMs?: number;
  /** Most keys remembered per table (default 10000). */
  maxEntries?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

interface Entry {
  failures: number;
  last: number;
  /** No attempt is looked at before this time. */
  until: number;
}

/** A bounded map whose iteration order is least recently set first. */
class Table<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get size(): number { return this.map.size; }
  get(k: string): V | undefined { return this.map.get(k); }
  delete(k: string): void { this.map.delete(k); }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }
}

/** The key of a user name: case-insensitive, without `DOMAIN\` or `@domain` (every form of one account). */
export function throttleUserKey(name: string | undefined): string {
  if (!name) return '';
  let n = name.toLowerCase();
  const bs = n.lastIndexOf('\\');
  if (bs >= 0) n = n.slice(bs + 1);
  const at = n.indexOf('@');
  if (at > 0) n = n.slice(0, at);
  return n.slice(0, 256);
}

/** Backoff of failed logons per (address, user) and per address. One per listener, shared by its endpoints. */
export class FailureThrottle {
  private readonly pairs: Table<Entry>;
  private readonly addresses: Table<Entry>;
  /** (address, user) pairs that logged on successfully, and when. */
  private readonly trusted: Table<number>;
  private readonly free: number;
  private readonly addressFree: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly forgetAfterMs: number;
  private readonly now: () => number;

  constructor(o: FailureThrottleOptions = {}) {
    this.free = Math.max(1, o.free ?? 5);
    this.addressFree = Math.max(1, o.addressFree ?? 50);
    this.baseMs = o.baseMs ?? 250;
    this.maxMs = o.maxMs ?? 8000;
    this.forgetAfterMs = o.forgetAfterMs ?? 600_000;
    const max = Math.max(1, o.maxEntries ?? 10_000);
    this.pairs = new Table(max);
    this.addresses = new Table(max);
    this.trusted = new Table(max);
    this.now = o.now ?? Date.now;
  }

  /** (address, user) keys currently remembered (for tests and diagnostics). */
  get size(): number {
    return this.pairs.size;
  }

  private fresh(table: Table<Entry>, key: string): Entry | undefined {
    const e = table.get(key);
    if (e && this.now() - e.last > this.forgetAfterMs) {
      table.delete(key);
      return undefined;
    }
    return e;
  }

  private isTrusted(pair: string): boolean {
    const at = this.trusted.get(pair);
    if (at === undefined) return false;
    if (this.now() - at > this.forgetAfterMs) {
      this.trusted.delete(pair);
      return false;
    }
    return true;
  }

  /**
   * Milliseconds before an attempt from `address` as `user` will be looked at (0: now). `user` is
   * the name the attempt claims (any form; '' when unknown).
   */
  delayFor(address: string, user?: string): number {
    const pair = `${address}\n${throttleUserKey(user)}`;
    const now = this.now();
    let until = this.fresh(this.pairs, pair)?.until ?? 0;
    if (!this.isTrusted(pair)) until = Math.max(until, this.fresh(this.addresses, address)?.until ?? 0);
    return Math.max(0, until - now);
  }

  /** Whole seconds for a `Retry-After` header, or undefined when the attempt may go ahead now. */
  retryAfter(address: string, user?: string): number | undefined {
    const ms = this.delayFor(address, user);
    return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
  }

  private bump(table: Table<Entry>, key: string, free: number): void {
    const failures = (this.fresh(table, key)?.failures ?? 0) + 1;
    const now = this.now();
    const block = failures < free ? 0 : Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - free, 30));
    table.set(key, { failures, last: now, until: now + block });
  }

  /** Record a failed logon from `address` claiming `user` ('' or undefined when unknown). */
  failed(address: string, user?: string): void {
    this.bump(this.pairs, `${address}\n${throttleUserKey(user)}`, this.free);
    this.bump(this.addresses, address, this.addressFree);
  }

  /** Record a successful logon: that (address, user) starts over and is trusted; nobody else's counter changes. */
  succeeded(address: string, user: string): void {
    const pair = `${address}\n${throttleUserKey(user)}`;
    this.pairs.delete(pair);
    this.trusted.set(pair, this.now());
  }
}
