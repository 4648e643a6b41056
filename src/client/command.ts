/**
 * A command running in a shell: stdout and stderr as Node Readable streams (which are also async
 * iterables), an exit-code promise, stdin writes split to fit the envelope, signals. When the
 * command ends (Done, error or abort) the client sends Signal terminate so the server can drop it
 * (MS-WSMV §3.1.4.14; protocol.md §3.3–3.5).
 */
import { Readable } from 'node:stream';
import { Action, SignalURI } from '../core/namespaces.js';
import { encodeEnvelope } from '../core/envelope.js';
import { encodeBody } from '../core/messages/index.js';
import type { WsmanClient } from './client.js';
import { receiveUntilDone, isConnectionLost, type RetryPolicy } from './receive.js';
import { WsmanError } from '../core/errors.js';
import { DEFAULTS } from './options.js';
import { commandMachine, type CommandStateKind } from '../core/state/index.js';

/** What a finished command produced. */
export interface CommandOutput {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface CommandContext {
  client: WsmanClient;
  resourceUri: string;
  shellId: string;
  commandId: string;
  signal?: AbortSignal;
  /** Observer: each TimedOut retry of the Receive loop. */
  onTimedOut?: () => void;
  /** SequenceId counter shared by every Receive loop of this command (see receive.ts). */
  sequence?: { next: number };
  /** Retry policy for a lost connection (see receive.ts). */
  retry?: RetryPolicy;
  onRetry?: (attempt: number, err: unknown) => void;
  /** Signal terminate once Done (default true); see RunOptions.terminateWhenDone. */
  terminateWhenDone?: boolean;
}

/** The Receive loop stopped because the client disconnected the session (Disconnect-PSSession). */
export class CommandDetachedError extends WsmanError {
  constructor() {
    super('ERR_DETACHED', 'the session was disconnected; the command keeps running on the server');
    this.name = 'CommandDetachedError';
  }
}

class OutputStream extends Readable {
  private wake: (() => void) | undefined;
  override _read(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  /** Resolves once the consumer has read (immediately when nobody is consuming at all). */
  drained(): Promise<void> {
    if (this.readableFlowing === null || this.readableLength < this.readableHighWaterMark || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => { this.wake = resolve; });
  }
}

/** A running command. PowerShell: the pipeline a remote Invoke-Command runs; winrs.exe's command. */
export class Command {
  readonly commandId: string;
  readonly shellId: string;
  /** The command's stdout. Read it as a stream or with `for await`. */
  readonly stdout: Readable;
  /** The command's stderr. */
  readonly stderr: Readable;
  /** Resolves with the remote exit code when the command is Done; rejects on error or abort. */
  readonly exitCode: Promise<number>;
  private readonly ctx: CommandContext;
  private readonly out: OutputStream;
  private readonly err: OutputStream;
  private sending: Promise<void> = Promise.resolve();
  private stdinClosed = false;
  private done = false;
  /** Running → Done → Terminated, by the shared command table (src/core/state). */
  private current: CommandStateKind = 'Running';
  /** Aborted by detach(): stops receiving without terminating the command. */
  private readonly detacher = new AbortController();

  constructor(ctx: CommandContext) {
    this.ctx = ctx;
    this.commandId = ctx.commandId;
    this.shellId = ctx.shellId;
    this.out = new OutputStream();
    this.err = new OutputStream();
    this.stdout = this.out;
    this.stderr = this.err;
    this.exitCode = this.loop();
    this.exitCode.catch(() => undefined); // observed through exitCode/wait(); never an unhandled rejection
  }

  private async loop(): Promise<number> {
    try {
      const code = await receiveUntilDone({
        client: this.ctx.client,
        resourceUri: this.ctx.resourceUri,
        shellId: this.ctx.shellId,
        commandId: this.ctx.commandId,
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
        stop: this.detacher.signal,
        ...(this.ctx.onTimedOut ? { onTimedOut: this.ctx.onTimedOut } : {}),
        ...(this.ctx.sequence ? { sequence: this.ctx.sequence } : {}),
        ...(this.ctx.retry ? { retry: this.ctx.retry } : {}),
        ...(this.ctx.onRetry ? { onRetry: this.ctx.onRetry } : {}),
        prefetch: true,
        onData: (name, data) => {
          if (name === 'stderr') this.err.push(data);
          else this.out.push(data);
        },
        ready: () => Promise.all([this.out.drained(), this.err.drained()]).then(() => undefined),
      });
      this.done = true;
      this.current = commandMachine.next(this.current, 'Exit');
      this.out.push(null);
      this.err.push(null);
      if (this.ctx.terminateWhenDone !== false) await this.terminate();
      return code;
    } catch (e) {
      this.done = true;
      const detached = this.detacher.signal.aborted;
      const err = detached ? new CommandDetachedError() : e;
      for (const s of [this.out, this.err]) {
        if (s.listenerCount('error') > 0 && !detached) s.destroy(err as Error);
        else s.push(null);
      }
      // A detached command keeps running on the server, as does one whose connection was lost
      // for good under a retry policy (a disconnected session); anything else is released there.
      if (!detached && !(this.ctx.retry && isConnectionLost(e))) await this.terminate();
      throw err;
    }
  }

  /**
   * Stop receiving without terminating the command (Disconnect-PSSession): no new Receive is
   * sent; the one in flight finishes (the server answers it when the shell is disconnected), so
   * output it carries is delivered, and the rest stays on the server. `exitCode` then rejects
   * with CommandDetachedError (or resolves, if that answer was the last); the streams end.
   */
  detach(): void {
    if (!this.done) this.detacher.abort(new CommandDetachedError());
  }

  /** Whether output is still being received (false once Done, failed, aborted or detached). */
  get receiving(): boolean {
    return !this.done;
  }

  /** Whether the loop ended by detach(). */
  get detached(): boolean {
    return this.detacher.signal.aborted;
  }

  /** Signal terminate, best effort, with the cancel timeout and without the (maybe aborted) signal. */
  private async terminate(): Promise<void> {
    const cancel = this.ctx.client.options.cancelTimeout ?? DEFAULTS.cancelTimeout;
    await this.signal(SignalURI.Terminate, AbortSignal.timeout(cancel)).catch(() => undefined);
  }

  /** Running, Done (exit code known, output may remain) or Terminated (released on the server). */
  get state(): CommandStateKind {
    return this.current;
  }

  /** Wait for the exit code. */
  wait(): Promise<number> {
    return this.exitCode;
  }

  /** Collect all output and the exit code. */
  async output(): Promise<CommandOutput> {
    const collect = async (r: Readable): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const c of r) parts.push(c as Buffer);
      return Buffer.concat(parts);
    };
    const [stdout, stderr, exitCode] = await Promise.all([collect(this.stdout), collect(this.stderr), this.exitCode]);
    return { stdout, stderr, exitCode };
  }

  /** Largest stdin payload per Send so the request stays within MaxEnvelopeSize. */
  maxStdinChunk(): number {
    const probe = encodeEnvelope(this.ctx.client.requestHeaders(Action.Send, `uuid:${'0'.repeat(36)}`, {
      resourceUri: this.ctx.resourceUri, selectors: { ShellId: this.shellId },
    }), encodeBody({ kind: 'Send', streams: [{ name: 'stdin', commandId: this.commandId, end: true, data: Buffer.alloc(0) }] }), 'request');
    const room = this.ctx.client.maxEnvelopeSize - Buffer.byteLength(probe) - 512;
    return Math.max(1024, Math.floor(room / 4) * 3);
  }

  /** Send stdin (split across Sends as needed); `end` closes stdin afterwards. Writes are queued in order. */
  write(data: Uint8Array | string, end = false): Promise<void> {
    try {
      commandMachine.next(this.current, 'Send');
    } catch (err) {
      return Promise.reject(err); // WsmanStateError once terminated
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    const next = this.sending.then(() => this.sendChunks(bytes, end));
    this.sending = next.catch(() => undefined);
    return next;
  }

  /** Close stdin (Send with End="true"). */
  end(data?: Uint8Array | string): Promise<void> {
    return this.write(data ?? Buffer.alloc(0), true);
  }

  /** Copy a Node stream to stdin, closing stdin when it ends. */
  async pipeStdin(input: AsyncIterable<Uint8Array | string>): Promise<void> {
    for await (const chunk of input) {
      if (this.done) return;
      await this.write(chunk);
    }
    if (!this.done) await this.end();
  }

  private async sendChunks(bytes: Buffer, end: boolean): Promise<void> {
    if (this.stdinClosed) return;
    const max = this.maxStdinChunk();
    let off = 0;
    do {
      const piece = bytes.subarray(off, off + max);
      off += piece.length;
      const last = off >= bytes.length;
      const stream = { name: 'stdin', commandId: this.commandId, data: piece, ...(last && end ? { end: true } : {}) };
      await this.ctx.client.send(Action.Send, { kind: 'Send', streams: [stream] }, {
        resourceUri: this.ctx.resourceUri,
        selectors: { ShellId: this.shellId },
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
      });
    } while (off < bytes.length);
    if (end) this.stdinClosed = true;
  }

  /** Send a signal to the command (terminate, ctrl_c, ctrl_break or any URI). */
  async signal(code: string, signal?: AbortSignal): Promise<void> {
    const terminate = code.toLowerCase() === SignalURI.Terminate.toLowerCase();
    const next = commandMachine.next(this.current, terminate ? 'Terminate' : 'Signal');
    if (terminate) this.current = next; // released locally even if the server has already forgotten it
    await this.ctx.client.send(Action.Signal, { kind: 'Signal', commandId: this.commandId, code }, {
      resourceUri: this.ctx.resourceUri,
      selectors: { ShellId: this.shellId },
      ...(signal ?? this.ctx.signal ? { signal: (signal ?? this.ctx.signal) as AbortSignal } : {}),
    });
  }

  /** Ctrl+C: ask the command to stop (signal ctrl_c). */
  stop(): Promise<void> {
    return this.signal(SignalURI.CtrlC);
  }
}
