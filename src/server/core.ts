/**
 * The listener's protocol state, independent of HTTP: configuration, users, shells, enumeration
 * contexts, per-user operation counts, the clock, and the sweep timer. Handlers receive it with
 * each request.
 */
import { randomUUID } from 'node:crypto';
import { WsmanProtocolError, WsmanCode, selector, type Headers, type Body, type EnumerationItem } from '../core/index.js';
import type { ListenerConfig, SessionConfiguration } from './config.js';
import type { UserStore, ListenerUser } from './users.js';
import type { Logger } from './log.js';
import { ShellStore } from './store.js';
import type { ServerShell } from './shell.js';
import type { Authenticator } from './auth.js';
import { acquireSharedPool, type Launcher } from './launcher.js';

/** One decoded, authenticated request, as handlers see it. */
export interface WsmanRequest {
  headers: Headers;
  body: Body;
  user: ListenerUser;
  clientIp: string;
  /** `Machine` in faults: the address the client reached. */
  machine: string;
  secure: boolean;
  /** The endpoint URL (for ResourceCreated's Address). */
  endpoint: string;
  /** The session configuration of a shell resource URI. */
  config?: SessionConfiguration;
  /** Aborted when the client's connection closes. */
  closed: AbortSignal;
  core: ListenerCore;
  /**
   * Fields for the request's log line (ShellId…), and `undo`: what a handler that created
   * something (Create) leaves to remove it when its answer faults or never reaches the client.
   */
  note: { shellId?: string; commandId?: string; undo?: () => void };
}

export type Reply =
  /** `onSent` learns whether the answer was handed to the connection (true) or lost before (false). */
  | { kind: 'soap'; action: string; body: Body; onSent?: (delivered: boolean) => void }
  | { kind: 'redirect'; location: string };

export interface EnumerationContext {
  items: EnumerationItem[];
  owner: string;
  expires: number;
}

export interface CoreOptions {
  config: ListenerConfig;
  users: UserStore;
  log: Logger;
  authenticators: Authenticator[];
  allowUnencrypted: boolean;
  /** A URL to answer every shell Create with (302), unless a configuration sets its own. */
  redirect?: string;
  /** Accounts of listener users (`--run-as`), resolved at spawn time. */
  sweepIntervalMs?: number;
  /** Drop credentials-like env vars from children (e.g. the PFX password variable). */
  hiddenEnv?: string[];
  /**
   * Start commands from a pool of shells prepared by a helper process (launcher.ts), so that
   * process creation does not block the listener (default true); false spawns each directly.
   */
  processPool?: boolean;
  now?: () => number;
}

export class ListenerCore {
  readonly config: ListenerConfig;
  readonly users: UserStore;
  readonly log: Logger;
  readonly store = new ShellStore();
  readonly authenticators: Authenticator[];
  readonly allowUnencrypted: boolean;
  readonly redirect: string | undefined;
  readonly hiddenEnv: string[];
  readonly enumerations = new Map<string, EnumerationContext>();
  /** The endpoints being served (`winrm enumerate winrm/config/Listener`), filled as they start. */
  readonly listening: { host: string; port: number; secure: boolean; path: string; thumbprint?: string }[] = [];
  private readonly operations = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;
  readonly now: () => number;
  private readonly usePool: boolean;
  private pool: { launcher: Launcher; direct: Launcher; release: () => void } | undefined;

  constructor(o: CoreOptions) {
    this.config = o.config;
    this.store.maxMemoryPerUser = (o.config.maxMemoryPerUserMB ?? 0) * 1048576;
    this.users = o.users;
    this.log = o.log;
    this.authenticators = o.authenticators;
    this.allowUnencrypted = o.allowUnencrypted;
    this.redirect = o.redirect;
    this.hiddenEnv = o.hiddenEnv ?? [];
    this.usePool = o.processPool ?? true;
    this.now = o.now ?? Date.now;
    const interval = o.sweepIntervalMs ?? 1000;
    this.sweeper = setInterval(() => this.sweep(), interval);
    this.sweeper.unref();
  }

  /**
   * What starts command processes: the shared pool (taken on first use) or direct spawns; either
   * way the pool's spawn host watches them, and kills them should the listener die.
   */
  get launcher(): Launcher {
    this.pool ??= acquireSharedPool();
    return this.usePool ? this.pool.launcher : this.pool.direct;
  }

  newId(): string {
    return randomUUID().toUpperCase();
  }

  /** Enforce idle timeouts and the client keep-alive window; drop expired enumerations. */
  sweep(): void {
    const now = this.now();
    const r = this.store.sweep(now, this.config.clientKeepAliveMs);
    for (const s of r.expired) this.log.log('info', 'shell idle timeout expired; deleted', { shellId: s.id, user: s.owner.name });
    for (const s of r.disconnected) this.log.log('info', 'client silent past keep-alive; shell disconnected', { shellId: s.id, user: s.owner.name });
    for (const [k, e] of this.enumerations) if (e.expires <= now) this.enumerations.delete(k);
  }

  /** Count an operation against the user's MaxConcurrentOperationsPerUser; returns the release. */
  beginOperation(user: string, limit: number): () => void {
    const key = user.toLowerCase();
    const n = this.operations.get(key) ?? 0;
    if (n >= limit) throw new WsmanProtocolError('ERR_QUOTA', 'too many concurrent operations', { wsmanCode: WsmanCode.QuotaMaxOperations });
    this.operations.set(key, n + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const m = (this.operations.get(key) ?? 1) - 1;
      if (m <= 0) this.operations.delete(key);
      else this.operations.set(key, m);
    };
  }

  /** The shell named by the ShellId selector, owned by the caller; faults as Windows otherwise. */
  requireShell(req: WsmanRequest): ServerShell {
    const id = selector(req.headers, 'ShellId');
    if (id === undefined || id.trim() === '') {
      throw new WsmanProtocolError('ERR_NO_SHELLID', 'the request has no ShellId selector', { wsmanCode: WsmanCode.UnexpectedSelectors });
    }
    const shell = this.store.get(id.trim());
    if (!shell) throw new WsmanProtocolError('ERR_NO_SHELL', `no shell ${id.trim().slice(0, 60)}`, { wsmanCode: WsmanCode.UnexpectedSelectors });
    if (shell.owner.name.toLowerCase() !== req.user.name.toLowerCase()) {
      throw new WsmanProtocolError('ERR_ACCESS_DENIED', 'the shell belongs to another user', { wsmanCode: WsmanCode.AccessDenied });
    }
    req.note.shellId = shell.id;
    return shell;
  }

  /** Stop timers and kill every shell's processes. */
  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.store.clear();
    this.enumerations.clear();
    this.pool?.release();
    this.pool = undefined;
  }
}

/** The client id of a request: its SessionId, normalised ('' when absent). */
export function clientIdOf(h: Headers): string {
  const s = h.sessionId?.trim() ?? '';
  return (s.toLowerCase().startsWith('uuid:') ? s.slice(5) : s).toUpperCase();
}
