/**
 * All shells of the listener, by uppercase ShellId, with the per-user quota counts and the
 * periodic sweep that enforces IdleTimeOut (delete the shell, kill its processes) and the client
 * keep-alive window (a silent connected shell becomes Disconnected so another client can connect).
 */
import type { ServerShell } from './shell.js';
import type { SessionConfiguration } from './config.js';
import { getHeapStatistics } from 'node:v8';
import { measureMemory } from 'node:vm';
import { MemoryBudget } from './budget.js';

/**
 * A full collection through `vm.measureMemory` with eager execution, without the
 * ExperimentalWarning Node prints on its first use: a listener's stderr is for its own messages.
 */
function collectNow(): void {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(typeof warning === 'string' ? warning : warning.message).includes('measureMemory')) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    measureMemory({ mode: 'summary', execution: 'eager' }).catch(() => undefined);
  } finally {
    process.emitWarning = emit;
  }
}

/** Held output freed by one Delete from which the store asks for a collection (see `collectSoon`). */
const COLLECT_FROM = 16 * 1024 * 1024;

export interface SweepResult {
  expired: ServerShell[];
  disconnected: ServerShell[];
}

export class ShellStore {
  private readonly shells = new Map<string, ServerShell>();
  /** The same shells by lowercase owner name, in creation order (listings and quotas per user). */
  private readonly byOwner = new Map<string, Set<ServerShell>>();
  /** Per-user output budgets (MaxMemoryPerUserMB), by lowercase user name, while the user has shells. */
  private readonly budgets = new Map<string, MemoryBudget>();
  /**
   * Above every user: held output lives in the JavaScript heap (output.ts), so all users together
   * may hold at most a quarter of the heap's limit, whatever the per-user quota says.
   */
  private readonly everyone = new MemoryBudget(Math.floor(getHeapStatistics().heap_size_limit / 4));

  /** `maxMemoryPerUser`: bytes of output one user's shells may hold together (0: no limit). */
  constructor(public maxMemoryPerUser = 0) {}

  get size(): number {
    return this.shells.size;
  }

  get(id: string): ServerShell | undefined {
    return this.shells.get(id.toUpperCase());
  }

  has(id: string): boolean {
    return this.shells.has(id.toUpperCase());
  }

  add(shell: ServerShell): void {
    const id = shell.id.toUpperCase();
    const before = this.shells.get(id);
    if (before !== undefined && before !== shell) this.unindex(before);
    this.shells.set(id, shell);
    const key = shell.owner.name.toLowerCase();
    let mine = this.byOwner.get(key);
    if (!mine) this.byOwner.set(key, (mine = new Set()));
    mine.add(shell);
    shell.budget.attach(this.budgetOf(shell.owner.name));
  }

  private unindex(s: ServerShell): void {
    const key = s.owner.name.toLowerCase();
    const mine = this.byOwner.get(key);
    if (mine?.delete(s) && mine.size === 0) this.byOwner.delete(key);
  }

  /** The output budget of a user's shells together. */
  budgetOf(userName: string): MemoryBudget {
    const key = userName.toLowerCase();
    let b = this.budgets.get(key);
    if (!b) this.budgets.set(key, (b = new MemoryBudget(this.maxMemoryPerUser, this.everyone)));
    return b;
  }

  /** Remove and dispose (kills the shell's processes). */
  delete(id: string): ServerShell | undefined {
    const s = this.shells.get(id.toUpperCase());
    if (!s) return undefined;
    this.shells.delete(id.toUpperCase());
    this.retire(s);
    return s;
  }

  private retire(s: ServerShell): void {
    const freed = s.budget.used;
    s.dispose();
    this.freed(freed);
    if (s.state !== 'Closed') s.state = 'Closed';
    this.unindex(s);
    const key = s.owner.name.toLowerCase();
    const b = this.budgets.get(key);
    if (b?.used === 0 && !this.byOwner.has(key)) {
      b.detach();
      this.budgets.delete(key);
    }
  }

  all(): ServerShell[] {
    return [...this.shells.values()];
  }

  /** Shells a user owns, in creation order. */
  ownedBy(userName: string): ServerShell[] {
    return [...(this.byOwner.get(userName.toLowerCase()) ?? [])];
  }

  countFor(userName: string, config: SessionConfiguration): number {
    let n = 0;
    for (const s of this.byOwner.get(userName.toLowerCase()) ?? []) if (s.config === config) n++;
    return n;
  }

  /**
   * Apply the clocks. A shell with a request in progress is active. Connected shells: silent for
   * `keepAliveMs` → Disconnected; silent for IdleTimeOut → deleted. Disconnected shells: deleted
   * IdleTimeOut after the later of the disconnection and the last request.
   */
  sweep(now: number, keepAliveMs: number): SweepResult {
    const result: SweepResult = { expired: [], disconnected: [] };
    for (const s of this.shells.values()) {
      if (s.busy > 0) continue;
      const since = s.state === 'Disconnected' ? Math.max(s.disconnectedAt ?? s.lastActivity, s.lastActivity) : s.lastActivity;
      if (now - since >= s.idleTimeoutMs) {
        result.expired.push(s);
        continue;
      }
      if (s.state === 'Connected' && keepAliveMs > 0 && now - s.lastActivity >= keepAliveMs) {
        s.transition('KeepAliveLost');
        s.disconnectedAt = now;
        s.lostKeepAlive = true;
        result.disconnected.push(s);
      }
    }
    for (const s of result.expired) {
      this.shells.delete(s.id.toUpperCase());
      this.retire(s);
    }
    return result;
  }

  private collecting: NodeJS.Timeout | undefined;


  /** Held output was just dropped (a shell deleted, a command terminated): collect when it was much. */
  freed(bytes: number): void {
    if (bytes >= COLLECT_FROM) this.collectSoon();
  }

  /**
   * A deleted shell's output is garbage in the JavaScript heap, which an idle listener might not
   * collect for minutes: ask for a full collection 5 s later (once for a burst of Deletes), so
   * that the memory goes back to the system. By then the allocation rate has dropped, and V8 also
   * shrinks its young generation (with 1 s it kept ~40 MB more). `vm.measureMemory` with eager
   * execution is the public way to have a collection.
   */
  private collectSoon(): void {
    if (this.collecting) return;
    this.collecting = setTimeout(() => {
      this.collecting = undefined;
      collectNow();
    }, 5000);
    this.collecting.unref();
  }

  /** Dispose everything (listener shutdown). */
  clear(): void {
    if (this.collecting) clearTimeout(this.collecting);
    this.collecting = undefined;
    for (const s of this.shells.values()) s.dispose();
    this.shells.clear();
    this.byOwner.clear();
    for (const b of this.budgets.values()) b.detach();
    this.budgets.clear();
  }
}
