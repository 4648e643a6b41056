/**
 * Basic is verified once: a successful scrypt check (about 40 ms of CPU) is remembered for a while,
 * so a client sending the same Basic header on every request (as Basic clients do, on new
 * connections too) does not pay it each time. What is kept is an HMAC of the credentials under a
 * random key made at start (never the password, nor anything that can be checked offline without
 * that key), the account's name, and the stored hash it was checked against: when the users file
 * gives that account another hash, the entry no longer counts. Bounded in time and count. Failed
 * checks are never remembered (the failed-logon backoff deals with those). One cache belongs to
 * each UserStore (users.ts), so listeners sharing a store (one users file) share its verifications.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface BasicCacheOptions {
  /** How long a verification counts, in ms (default 5 minutes). */
  ttlMs?: number;
  /** Most verifications remembered (default 1000; the oldest goes first). */
  maxEntries?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

interface Entry {
  /** The account name as the users file has it. */
  user: string;
  /** The stored hash the password was checked against. */
  hash: string;
  until: number;
}

/** Successful Basic verifications, keyed by a keyed hash of `name:password`. */
export class BasicVerifyCache {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, Entry>();
  /** Checks under way, by the same key: at most one per credential at a time. */
  readonly #running = new Map<string, Promise<unknown>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(o: BasicCacheOptions = {}) {
    this.ttlMs = o.ttlMs ?? 300_000;
    this.maxEntries = Math.max(1, o.maxEntries ?? 1000);
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  #id(name: string, password: string): string {
    return createHmac('sha256', this.#key).update(name.toLowerCase()).update('\0').update(password).digest('base64');
  }

  /**
   * The account name when `name`/`password` were verified recently against `currentHash` (the hash
   * the users file has for that account now), else undefined.
   */
  lookup(name: string, password: string, currentHash: (user: string) => string | undefined): string | undefined {
    const id = this.#id(name, password);
    const e = this.#entries.get(id);
    if (!e) return undefined;
    if (this.now() > e.until || currentHash(e.user) !== e.hash) {
      this.#entries.delete(id);
      return undefined;
    }
    return e.user;
  }

  /**
   * The account `name`/`password` log on as: from the cache when verified recently against the
   * account's current hash in `store`, else by `check` (the scrypt check), whose success is
   * remembered. Concurrent calls with the same credentials share one running check (a fan-out
   * logs on to every listener of a store at once: without this, each of the first wave paid its
   * own scrypt); its answer, failure included, goes to those waiting, and nothing of a failure
   * is kept once it ends.
   */
  async verify<U extends { name: string; hash: string }>(name: string, password: string, store: { get(name: string): U | undefined },
    check: () => Promise<U | undefined>): Promise<U | undefined> {
    const known = this.lookup(name, password, (n) => store.get(n)?.hash);
    if (known !== undefined) return store.get(known);
    const id = this.#id(name, password);
    const running = this.#running.get(id) as Promise<U | undefined> | undefined;
    if (running) return running;
    const p = (async (): Promise<U | undefined> => {
      try {
        const user = await check();
        if (user) this.remember(name, password, user.name, user.hash);
        return user;
      } finally {
        this.#running.delete(id);
      }
    })();
    this.#running.set(id, p);
    return p;
  }

  /** Remember a successful verification of `name`/`password` as account `user` with stored `hash`. */
  remember(name: string, password: string, user: string, hash: string): void {
    const id = this.#id(name, password);
    this.#entries.delete(id);
    this.#entries.set(id, { user, hash, until: this.now() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Forget everything (e.g. when the users file is reloaded). */
  clear(): void {
    this.#entries.clear();
  }

  toJSON(): unknown {
    return { size: this.size };
  }
}
