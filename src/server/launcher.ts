/**
 * How the listener starts a command's process.
 *
 * Node's spawn forks the whole listener synchronously: on a small VM that blocks the event loop
 * for several milliseconds per command, during which no other request is answered. The pool
 * below moves process creation out of the listener: a small helper process (the spawn host,
 * src/server/spawn-host.ts) keeps a few `/bin/sh` processes started ahead of time, each waiting
 * for a script on its stdin, and hands their stdin, stdout and stderr pipes to the listener over
 * its IPC channel. A command then only writes a short script ahead of its own input (`cd`,
 * environment changes, `exec /bin/sh -c LINE`): same process group, same `sh -c` semantics, same
 * pipes as a direct spawn.
 *
 * Anything the pool cannot express exactly (another uid/gid, a program started without the
 * shell, odd environment names) and any trouble with the host falls back to a direct spawn.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { SPAWN_HOST_SOURCE, POOLED_SHELL_SCRIPT } from './spawn-host.js';
import { launchSwitched } from './switched.js';
import { pooledScript } from './pooled-script.js';

export { pooledScript, MAX_POOLED_SCRIPT } from './pooled-script.js';

/**
 * What to start: argv, working directory, the complete environment, and maybe another account
 * (uid/gid: started through switched.ts, which applies cwd, env and argv after the switch).
 */
export interface SpawnSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** Another account: where to start when `cwd` cannot be entered by it (its home). */
  home?: string;
}

/** The part of a ChildProcess a ServerCommand uses. */
export interface LaunchedProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/** Starts processes; resolves once the process runs, rejects with the spawn error (ENOENT…). */
export interface Launcher {
  launch(spec: SpawnSpec): Promise<LaunchedProcess>;
}

/**
 * child_process.spawn, in its own process group, with three pipes; another account's command
 * through the switching helper (switched.ts).
 */
export const directLauncher: Launcher = {
  launch(spec: SpawnSpec): Promise<LaunchedProcess> {
    if (spec.uid !== undefined || spec.gid !== undefined) return launchSwitched(spec);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(spec.argv[0]!, spec.argv.slice(1), {
          cwd: spec.cwd, env: spec.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true,
        });
      } catch (err) {
        reject(err);
        return;
      }
      let started = false;
      child.once('spawn', () => {
        started = true;
        resolve(child);
      });
      // Persistent: an 'error' without a listener (a failed kill, later) would take the listener down.
      child.on('error', (err) => {
        if (!started) reject(err);
      });
    });
  },
};

/** A pooled shell handed over by the spawn host, until it is given its script. */
class PooledProcess extends EventEmitter implements LaunchedProcess {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  exited = false;

  constructor(readonly pid: number, readonly stdin: Socket, readonly stdout: Socket, readonly stderr: Socket) {
    super();
    for (const s of [stdin, stdout, stderr]) {
      s.on('error', () => undefined); // EPIPE and the like surface through exit and end, as for a ChildProcess
      s.unref(); // an idle pool must not keep the process alive
    }
  }

  /** Called by the pool with the host's report. */
  reportExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }

  kill(signal: NodeJS.Signals): boolean {
    if (this.exited) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Hand the shell its script, ahead of the command's input; from now on it is a command like any other. */
  begin(script: string): void {
    for (const s of [this.stdin, this.stdout, this.stderr]) s.ref();
    const lines = script.split('\n').length - 1;
    this.stdin.write(`${lines}\n${script}`);
  }

  /** Close an idle pooled shell: with no script, it exits at once. */
  discard(): void {
    this.stdin.destroy();
    this.stdout.destroy();
    this.stderr.destroy();
  }
}

interface HostMessage {
  op: 'fd' | 'exit' | 'error';
  id: number;
  n?: number;
  pid?: number;
  code?: number | null;
  signal?: NodeJS.Signals | null;
  message?: string;
}

interface Pending {
  fds: (Socket | undefined)[];
  waiter?: { resolve: (p: PooledProcess) => void; reject: (e: Error) => void };
}

/**
 * A pool of pre-started shells fed by a spawn host. `size` shells are kept ready; when none is
 * ready a command waits for the host (the listener's event loop stays free meanwhile).
 */
export class ProcessPool implements Launcher {
  private host: ChildProcess | undefined;
  private broken = false;
  private nextId = 1;
  private readonly ready: PooledProcess[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly live = new Map<number, PooledProcess>();
  /** Pooled shells running a command: their exit reports come over the IPC channel. */
  private readonly busy = new Set<PooledProcess>();
  private readonly base: Record<string, string>;
  private closed = false;

  constructor(readonly size = 2, private readonly fallback: Launcher = directLauncher) {
    this.base = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) this.base[k] = v;
  }

  async launch(spec: SpawnSpec): Promise<LaunchedProcess> {
    const script = this.closed || this.broken ? undefined : pooledScript(spec, this.base);
    if (script === undefined) return this.direct.launch(spec);
    let proc: PooledProcess | undefined;
    while ((proc = this.ready.shift()) && proc.exited) proc.discard(); // killed from outside while idle
    try {
      proc ??= await new Promise<PooledProcess>((resolve, reject) => {
        if (!this.request({ resolve, reject })) reject(new Error('no spawn host'));
      });
    } catch {
      return this.direct.launch(spec);
    }
    // The host starts the replacement once this command has exited and its output has been read,
    // so that the spawn (CPU for the host and the kernel) does not delay the command's last
    // answer; at once when nothing is left in reserve.
    const refillOnExit = this.ready.length > 0;
    if (!refillOnExit) this.fill();
    this.busy.add(proc);
    proc.once('exit', () => {
      this.busy.delete(proc);
      this.holdLoop();
      if (refillOnExit) afterOutput(proc, () => this.fill());
    });
    this.holdLoop();
    proc.begin(script);
    return proc;
  }

  /**
   * The fallback launcher, each process of which is registered with the spawn host (started for
   * that if need be), which kills its process group should the listener die (spawn-host.ts).
   */
  readonly direct: Launcher = {
    launch: async (spec: SpawnSpec): Promise<LaunchedProcess> => {
      const p = await this.fallback.launch(spec);
      if (p.pid !== undefined) this.watch(p.pid);
      return p;
    },
  };

  /** Have the spawn host kill process group `pgid` if the listener dies. */
  watch(pgid: number): void {
    const host = this.closed || this.broken ? undefined : this.startHost();
    if (host?.connected) host.send({ op: 'watch', pid: pgid }, () => undefined);
  }

  /** The spawn host's pid while it runs (diagnostics and tests). */
  get hostPid(): number | undefined {
    return this.host?.pid;
  }

  /** Stop the host; idle shells exit, running commands are left to their ServerCommand. */
  close(): void {
    this.closed = true;
    for (const p of this.ready.splice(0)) p.discard();
    for (const p of this.pending.values()) {
      for (const s of p.fds) s?.destroy();
      p.waiter?.reject(new Error('the spawn host stopped'));
    }
    this.pending.clear();
    // disconnect() alone would wait for the acknowledgement of handles in flight.
    const host = this.host;
    this.host = undefined;
    if (host?.connected) host.disconnect();
    host?.kill('SIGKILL');
  }

  private fill(): void {
    let want = this.size - this.ready.length - [...this.pending.values()].filter((p) => !p.waiter).length;
    while (want-- > 0 && this.request()) { /* one more on its way */ }
  }

  /** Ask the host for one more shell: for `waiter`, or for the ready list. False without a host. */
  private request(waiter?: Pending['waiter']): boolean {
    const host = this.closed || this.broken ? undefined : this.startHost();
    if (!host) return false;
    const id = this.nextId++;
    this.pending.set(id, { fds: [], ...(waiter ? { waiter } : {}) });
    if (waiter) this.holdLoop();
    host.send({ op: 'spawn', id, file: '/bin/sh', args: ['-c', POOLED_SHELL_SCRIPT] }, (err: Error | null) => {
      if (err) this.fail(id, err);
    });
    return true;
  }

  private startHost(): ChildProcess | undefined {
    if (this.host || this.broken || this.closed) return this.host;
    let host: ChildProcess;
    try {
      // The host's environment is the pooled shells' environment: `base`, which pooledScript diffs against.
      host = spawn(process.execPath, ['-e', SPAWN_HOST_SOURCE], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: this.base, windowsHide: true });
    } catch {
      this.broken = true;
      return undefined;
    }
    host.on('message', (m: HostMessage, handle?: Socket) => this.onMessage(m, handle));
    host.on('error', () => this.lost());
    host.on('exit', () => this.lost());
    host.unref();
    (host.channel as { unref?: () => void } | undefined)?.unref?.();
    this.host = host;
    return host;
  }

  /** The host is gone: direct spawns from now on; commands already handed over keep running. */
  private lost(): void {
    if (this.closed) return;
    this.broken = true;
    this.host = undefined;
    for (const id of [...this.pending.keys()]) this.fail(id, new Error('the spawn host exited'));
    for (const p of this.ready.splice(0)) p.discard();
    // Exit reports will not come any more: a command in flight ends when its pipes close.
    for (const p of this.live.values()) p.reportExit(null, 'SIGKILL');
    this.live.clear();
  }

  private fail(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    for (const s of p.fds) s?.destroy();
    p.waiter?.reject(err);
    this.holdLoop();
  }

  /**
   * The IPC channel keeps the process alive only while a command waits for a shell or for the
   * exit report of its process, as a ChildProcess would; an idle pool does not.
   */
  private holdLoop(): void {
    const channel = this.host?.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (this.busy.size > 0 || [...this.pending.values()].some((p) => p.waiter)) channel?.ref?.();
    else channel?.unref?.();
  }

  private onMessage(m: HostMessage, handle: Socket | undefined): void {
    if (m.op === 'exit') {
      const proc = this.live.get(m.id);
      this.live.delete(m.id);
      if (proc) proc.reportExit(m.code ?? null, m.signal ?? null);
      else this.fail(m.id, new Error('a pooled shell exited before it was ready'));
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) {
      handle?.destroy();
      return;
    }
    if (m.op === 'error') {
      this.fail(m.id, new Error(m.message ?? 'spawn failed'));
      return;
    }
    if (!handle || m.n === undefined || m.n < 0 || m.n > 2 || m.pid === undefined) {
      this.fail(m.id, new Error('the spawn host sent no pipe'));
      return;
    }
    p.fds[m.n] = handle;
    if (m.n < 2) return;
    // The last pipe: the shell is ready.
    const [stdin, stdout, stderr] = p.fds;
    if (!stdin || !stdout || !stderr) {
      this.fail(m.id, new Error('the spawn host sent too few pipes'));
      return;
    }
    this.pending.delete(m.id);
    const proc = new PooledProcess(m.pid, stdin, stdout, stderr);
    this.live.set(m.id, proc);
    this.holdLoop();
    if (p.waiter) p.waiter.resolve(proc);
    else if (this.closed) proc.discard();
    else this.ready.push(proc);
  }
}

/** Run `fn` once the process's stdout and stderr are closed (at most 100 ms from now), then one turn later. */
function afterOutput(proc: PooledProcess, fn: () => void): void {
  let left = 0;
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    clearTimeout(timer);
    setImmediate(fn);
  };
  const timer = setTimeout(fire, 100);
  timer.unref();
  for (const s of [proc.stdout, proc.stderr]) {
    if (s.closed) continue;
    left++;
    s.once('close', () => { if (--left === 0) fire(); });
  }
  if (left === 0) fire();
}

let shared: { pool: ProcessPool; users: number } | undefined;

/** The process-wide pool, shared by every listener of this process (one spawn host in all). */
export function acquireSharedPool(): { launcher: Launcher; direct: Launcher; release: () => void } {
  shared ??= { pool: new ProcessPool(), users: 0 };
  const s = shared;
  s.users++;
  let released = false;
  return {
    launcher: s.pool,
    direct: s.pool.direct,
    release: () => {
      if (released) return;
      released = true;
      if (--s.users === 0 && shared === s) {
        s.pool.close();
        shared = undefined;
      }
    },
  };
}
