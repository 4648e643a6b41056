/**
 * Memory budgets shared by several output buffers: one per shell (MaxMemoryPerShellMB) whose
 * parent is one per user (MaxMemoryPerUserMB), under one for the whole listener. A buffer charges the bytes it holds to its shell's
 * budget, which charges them up the chain; a budget is full when it or any parent holds more than
 * its limit. Buffers paused because a budget was full wait on it and are told when bytes leave
 * any budget of the chain.
 */
/* eslint-disable @typescript-eslint/no-this-alias -- the loops walk up the chain of budgets from this one (hot path: no generator) */

export class MemoryBudget {
  private held = 0;
  // Made when first needed: a budget exists for every shell, most never wait.
  private waiters: Set<() => void> | undefined;
  private children: Set<MemoryBudget> | undefined;

  /** `limit` in bytes; 0 means no limit. */
  constructor(public limit: number, private parent?: MemoryBudget) {
    if (parent) (parent.children ??= new Set()).add(this);
  }

  /** Bytes held under this budget (its own buffers and every child budget's). */
  get used(): number {
    return this.held;
  }

  /** Attach to a parent (a shell's budget to its user's), moving the bytes already held. */
  attach(parent: MemoryBudget): void {
    if (this.parent === parent) return;
    this.detach();
    this.parent = parent;
    (parent.children ??= new Set()).add(this);
    parent.charge(this.held);
  }

  /** Leave the parent (the shell is gone); what it still held is given back. */
  detach(): void {
    this.parent?.release(this.held);
    this.parent?.children?.delete(this);
    this.parent = undefined;
  }

  /** This budget or one above it holds more than its limit. */
  get full(): boolean {
    for (let b: MemoryBudget | undefined = this; b; b = b.parent) if (b.limit > 0 && b.held > b.limit) return true;
    return false;
  }

  /** The most bytes that must go for no budget of the chain to be over its limit. */
  get excess(): number {
    let e = 0;
    for (let b: MemoryBudget | undefined = this; b; b = b.parent) if (b.limit > 0) e = Math.max(e, b.held - b.limit);
    return e;
  }

  charge(n: number): void {
    for (let b: MemoryBudget | undefined = this; b; b = b.parent) b.held += n;
  }

  /** Give bytes back and tell the buffers waiting anywhere below the budgets that shrank. */
  release(n: number): void {
    if (n <= 0) return;
    let top: MemoryBudget = this;
    for (let b: MemoryBudget | undefined = this; b; b = b.parent) {
      b.held -= n;
      top = b;
    }
    top.notify();
  }

  /** Wait for room: `fn` is called whenever bytes leave a budget of this chain. Returns the cancel. */
  onRoom(fn: () => void): () => void {
    const waiters = (this.waiters ??= new Set());
    waiters.add(fn);
    return () => waiters.delete(fn);
  }

  private notify(): void {
    if (this.waiters?.size) for (const w of [...this.waiters]) w();
    if (this.children) for (const c of this.children) c.notify();
  }
}
