/**
 * One running command of a shell: its process (a process group, so signals reach the whole
 * tree), its stdin, its buffered output and its state (src/core/state/command.ts). Receive
 * waiters are woken on output and on exit; nothing is taken from the buffer until a response is
 * actually sent.
 *
 * Stdin has backpressure: a Send's bytes are handed to the pipe at once while fewer than
 * STDIN_QUEUE_BYTES wait in the listener for the process to read them; otherwise the Send waits
 * (in order, behind earlier Sends) until the process has read what was queued, or gives up after
 * its timeout having written nothing.
 */
import { commandMachine } from '../core/state/index.js';
import type { BufferMode } from '../core/index.js';
import { BackendCommand, type StdinResult, type CommandSignal } from './command-base.js';
import { OutputBuffer } from './output.js';
import type { MemoryBudget } from './budget.js';
import { directLauncher, type Launcher, type LaunchedProcess, type SpawnSpec } from './launcher.js';

export type { SpawnSpec } from './launcher.js';

export type { CachedReceive, StdinResult } from './command-base.js';

/** Stdin bytes a command may have waiting in the listener before a Send must wait. */
export const STDIN_QUEUE_BYTES = 256 * 1024;

interface PendingInput {
  data: Buffer;
  end: boolean;
  settle: (r: StdinResult) => void;
}

const SIGNALS: Record<string, NodeJS.Signals> = { ctrl_c: 'SIGINT', ctrl_break: 'SIGQUIT', terminate: 'SIGKILL' };

/** A cmd-backend command: one process (group) per Command. */
export class ServerCommand extends BackendCommand {
  readonly output: OutputBuffer;
  private child: LaunchedProcess | undefined;
  private disposed = false;
  private streamsOpen = 0;
  private exited = false;
  private closed = false;
  private readonly inputs: PendingInput[] = [];

  constructor(
    id: string,
    commandLine: string,
    spec: SpawnSpec,
    bufferMode: BufferMode,
    bufferBytes: number,
    now: number,
    readonly outputStreams: readonly string[],
    launcher: Launcher = directLauncher,
    /** The shell's budget (MaxMemoryPerShellMB, and its user's above it). */
    budget?: MemoryBudget,
  ) {
    super(id, commandLine, now);
    this.output = new OutputBuffer(bufferMode, bufferBytes, () => this.pausePipes(), () => this.resumePipes(), budget);
    this.spawned = this.start(spec, launcher);
  }

  /** Resolves when the process started; rejects with the spawn error (ENOENT…). */
  readonly spawned: Promise<void>;

  private async start(spec: SpawnSpec, launcher: Launcher): Promise<void> {
    let child: LaunchedProcess;
    try {
      child = await launcher.launch(spec);
    } catch (err) {
      this.finish(127);
      throw err;
    }
    this.child = child;
    if (this.disposed) {
      // Deleted or terminated while the process was being started.
      this.dispose();
      return;
    }
    child.stdin?.on('error', () => undefined); // EPIPE when the process ignores its input
    const pipe = (name: string, s: NodeJS.ReadableStream | null): void => {
      if (!s) return;
      this.streamsOpen++;
      s.on('data', (d: Buffer) => {
        this.output.push(this.outputStreams.includes(name) ? name : this.outputStreams[0] ?? name, d);
        this.wake();
      });
      let ended = false;
      const once = (): void => {
        if (ended) return;
        ended = true;
        this.streamsOpen--;
        this.maybeClosed();
      };
      s.once('end', once);
      s.on('error', once);
    };
    pipe('stdout', child.stdout);
    pipe('stderr', child.stderr);
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitCode = code ?? 128 + signalNumber(signal);
      // A grandchild may keep the pipes open; do not wait for it forever.
      setTimeout(() => {
        if (!this.closed) {
          child.stdout?.destroy();
          child.stderr?.destroy();
          this.streamsOpen = 0;
          this.maybeClosed();
        }
      }, 2000).unref();
      this.maybeClosed();
    });
    this.pumpInput(); // Sends that came while the process was starting
  }

  private maybeClosed(): void {
    if (this.exited && this.streamsOpen <= 0 && !this.closed) this.finish(this.exitCode ?? 0);
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.exitCode ??= code;
    if (this.state === 'Running') this.state = commandMachine.next(this.state, 'Exit');
    this.wake();
    this.pumpInput();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Give the process input (a Send), after any input still waiting. Resolves 'written' once the
   * bytes are handed to the pipe (the process has them, or fewer than STDIN_QUEUE_BYTES wait in
   * the listener); 'timeout' after `timeoutMs` or 'aborted' when `signal` fires, in both cases
   * with nothing written; 'closed' when the process no longer reads (the input is discarded).
   */
  writeStdin(data: Buffer, end: boolean, timeoutMs = Infinity, signal?: AbortSignal): Promise<StdinResult> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => entry.settle('aborted');
      const entry: PendingInput = {
        data,
        end,
        settle: (r) => {
          const i = this.inputs.indexOf(entry);
          if (i >= 0) this.inputs.splice(i, 1);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      if (signal?.aborted) {
        resolve('aborted');
        return;
      }
      this.inputs.push(entry);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => entry.settle('timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort);
      this.pumpInput();
    });
  }

  /** Bytes of input the listener holds for the process: written to its pipe but not yet read (stdin backpressure). */
  override get stdinQueued(): number {
    return this.child?.stdin?.writableLength ?? 0;
  }

  /** Hand waiting input to the pipe while there is room, in order. */
  private pumpInput(): void {
    while (this.inputs.length > 0) {
      const next = this.inputs[0]!;
      const stdin = this.child?.stdin;
      if (this.disposed || this.isDone || (this.child && (!stdin || stdin.destroyed || stdin.writableEnded))) {
        next.settle('closed');
        continue;
      }
      if (!stdin) return; // still starting
      const queued = stdin.writableLength;
      if (queued > 0 && queued + next.data.length > STDIN_QUEUE_BYTES) return; // a write callback calls again
      this.inputs.shift();
      if (next.data.length) stdin.write(next.data, () => this.pumpInput());
      if (next.end) stdin.end();
      next.settle('written');
    }
  }

  private pausePipes(): void {
    this.child?.stdout?.pause();
    this.child?.stderr?.pause();
  }

  private resumePipes(): void {
    this.child?.stdout?.resume();
    this.child?.stderr?.resume();
  }

  /** Send a signal by its short name (ctrl_c, ctrl_break, terminate) to the whole process group. */
  signal(kind: CommandSignal): void {
    if (this.closed && this.exited) return;
    killGroup(this.child, SIGNALS[kind] ?? 'SIGKILL');
  }

  /** Kill the process tree and release everything (Signal terminate, Delete, shutdown). */
  dispose(): void {
    this.disposed = true;
    this.output.clear();
    this.pumpInput();
    // The whole group, even after the command exited: a background child it left behind dies too.
    killGroup(this.child, 'SIGKILL');
    this.child?.stdin?.destroy();
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    if (this.state !== 'Terminated') this.state = 'Terminated';
    this.wake();
    this.clearWaiters();
  }
}

function killGroup(child: LaunchedProcess | undefined, sig: NodeJS.Signals): void {
  const pid = child?.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  }
}

const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };
function signalNumber(sig: NodeJS.Signals | null): number {
  return sig ? SIGNUM[sig] ?? 0 : 0;
}
