/**
 * What every backend's command is to the shared layer above the backends (Receive, Disconnect,
 * enumeration, quotas): its buffered output, its state (src/core/state/command.ts), the last
 * Receive answer, and waiters woken on news. A backend (backends/cmd.ts, backends/pwsh.ts)
 * subclasses it with how input, signals and disposal reach its process.
 */
import { commandMachine, type CommandStateKind, type CommandEvent } from '../core/state/index.js';
import type { ReceiveResponseBody } from '../core/index.js';
import type { OutputBuffer } from './output.js';

/** The last ReceiveResponse sent for a command, kept for SequenceId replay (see receive.ts). */
export interface CachedReceive {
  sequenceId: number;
  /** The client (SessionId) it was sent to. */
  client: string;
  /** The response body; the envelope is rebuilt around it with the new RelatesTo. */
  body: ReceiveResponseBody;
  /** The answer was handed to the connection (false until known, and when the write failed). */
  delivered: boolean;
}

/** How a Send ended: handed to the pipe, given up after its timeout or its client left (nothing written), or the process no longer reads (discarded). */
export type StdinResult = 'written' | 'timeout' | 'aborted' | 'closed';

export type CommandSignal = 'ctrl_c' | 'ctrl_break' | 'terminate';

/** A command of any backend, as Receive, Send, Signal and enumeration see it. */
export abstract class BackendCommand {
  state: CommandStateKind = 'Running';
  exitCode: number | undefined;
  /** The final response (Done) was sent. */
  doneReported = false;
  lastReceive: CachedReceive | undefined;
  abstract readonly output: OutputBuffer;
  private readonly waiters = new Set<() => void>();

  constructor(
    /** The CommandId; '' for a shell's own output (a PowerShell pool's, Receive without CommandId). */
    readonly id: string,
    readonly commandLine: string,
    readonly startedAt: number,
  ) {}

  /** Apply a table event (throws WsmanStateError when not allowed). */
  transition(event: CommandEvent): void {
    this.state = commandMachine.next(this.state, event);
  }

  get isDone(): boolean {
    return this.state !== 'Running';
  }

  /** The process serving this command, when it has its own. */
  abstract get pid(): number | undefined;

  /** Something to say to a Receive: output, or the final state not yet reported. */
  hasNews(wanted?: ReadonlySet<string>): boolean {
    return this.output.has(wanted) || (this.isDone && !this.doneReported);
  }

  onNews(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Wake pending Receives without news (a Disconnect finishes them). */
  poke(): void {
    this.wake();
  }

  protected wake(): void {
    for (const w of [...this.waiters]) w();
  }

  protected clearWaiters(): void {
    this.waiters.clear();
  }

  /**
   * Input for the command (a Send on `stream`). Resolves 'written' once handed on, 'timeout' after
   * `timeoutMs` or 'aborted' when `signal` fires (nothing written), 'closed' when nothing reads it.
   */
  abstract writeStdin(data: Buffer, end: boolean, timeoutMs?: number, signal?: AbortSignal, stream?: string): Promise<StdinResult>;

  /** Bytes of input the listener holds for the process (written, not yet read). */
  get stdinQueued(): number {
    return 0;
  }

  /** ctrl_c / ctrl_break (terminate is dispose). */
  abstract signal(kind: CommandSignal): void;

  /** Stop and release everything (Signal terminate, Delete, shutdown). */
  abstract dispose(): void;
}
