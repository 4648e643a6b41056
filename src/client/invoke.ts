/**
 * Run one command from start to finish (Invoke-Command -ScriptBlock for a cmd shell; winrs.exe):
 * Create, Command, stdin, the Receive loop, then Delete on the way out (with Signal terminate
 * first after errors and aborts; a command that is Done is released by the Delete itself). And
 * fan-out over many computers with a throttle limit (Invoke-Command -ComputerName … -ThrottleLimit).
 */
import { WsmanClient } from './client.js';
import { Shell, type ShellOptions, type RunOptions } from './shell.js';
import type { Command } from './command.js';
import type { ClientOptions } from './options.js';
import { computerNameOf } from './options.js';
import { isConnectionLost } from './receive.js';
import { SignalURI } from '../core/namespaces.js';
import { WsmanNetworkError } from '../core/errors.js';

export interface InvokeSpec {
  command: string;
  args?: readonly string[];
  /** Create options of the shell. */
  shell?: Omit<ShellOptions, 'signal'>;
  /** Command options. */
  run?: Omit<RunOptions, 'signal'>;
  /** stdin: bytes, text, or a stream; closed (End) after it. Absent: nothing is sent. */
  stdin?: Uint8Array | string | AsyncIterable<Uint8Array | string>;
  signal?: AbortSignal;
  /** Output as it arrives, in order per stream. Absent: output is collected and returned. */
  onData?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export interface InvokeResult {
  exitCode: number;
  /** Collected stdout and stderr (empty when onData was given). */
  stdout: Buffer;
  stderr: Buffer;
  shellId: string;
}

/** The error for input that could not be delivered: the connection's own error, said of stdin. */
function stdinLost(cause: unknown): WsmanNetworkError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new WsmanNetworkError(`stdin could not be delivered (${why}); the command was terminated`, { cause }, 'ERR_STDIN_LOST');
}

/** Open a shell on `client`, run the command, close the shell. */
export async function invokeCommand(client: WsmanClient, spec: InvokeSpec): Promise<InvokeResult> {
  const shell = await Shell.open(client, { ...spec.shell, ...(spec.signal ? { signal: spec.signal } : {}) });
  let cmd: Command | undefined;
  try {
    // The shell is deleted right after, which releases the command: no Signal terminate once Done.
    const running = await shell.run(spec.command, spec.args ?? [], { terminateWhenDone: false, ...spec.run, ...(spec.signal ? { signal: spec.signal } : {}) });
    cmd = running;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const drain = async (stream: 'stdout' | 'stderr'): Promise<void> => {
      for await (const chunk of running[stream]) {
        const b = chunk as Buffer;
        if (spec.onData) spec.onData(stream, b);
        else (stream === 'stdout' ? out : err).push(b);
      }
    };
    const feeding = spec.stdin === undefined ? Promise.resolve()
      : typeof spec.stdin === 'string' || spec.stdin instanceof Uint8Array ? running.end(spec.stdin) : running.pipeStdin(spec.stdin);
    // stdin is fed alongside; once the command is Done nobody waits for the rest of it (like ssh).
    // But input lost on the way (the connection dropped during a Send, which cannot be repeated
    // safely: WS-Man does not number Sends) must not go unnoticed while the command still runs:
    // the command is terminated and that is the error.
    let lostInput: unknown;
    feeding.catch((e: unknown) => {
      if (!isConnectionLost(e) || running.state !== 'Running') return;
      lostInput = e;
      running.signal(SignalURI.Terminate).catch(() => undefined);
    });
    let exitCode: number;
    try {
      [, , exitCode] = await Promise.all([drain('stdout'), drain('stderr'), running.exitCode]);
    } catch (e) {
      throw lostInput ? stdinLost(lostInput) : e;
    }
    if (lostInput) throw stdinLost(lostInput);
    return { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err), shellId: shell.shellId };
  } finally {
    // The loop's own Signal terminate (after an error or abort) goes out before the Delete.
    await cmd?.exitCode.catch(() => undefined);
    await shell.close().catch(() => undefined);
  }
}

/** One computer's outcome in a fan-out. */
export interface FanOutResult {
  computerName: string;
  exitCode?: number;
  error?: Error;
}

export interface FanOutOptions {
  /** `-ThrottleLimit`: most computers at once (default 32). */
  throttleLimit?: number;
  signal?: AbortSignal;
  onData?: (computerName: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  onStart?: (computerName: string) => void;
  onDone?: (result: FanOutResult) => void;
}

/**
 * Run the same command on several computers, at most `throttleLimit` at a time. Never throws
 * for a computer's failure: each result carries its exit code or its error.
 */
export async function invokeOnComputers(targets: readonly ClientOptions[], spec: Omit<InvokeSpec, 'onData' | 'signal' | 'stdin'> & { stdin?: Uint8Array | string },
  opts: FanOutOptions = {}): Promise<FanOutResult[]> {
  const limit = Math.max(1, Math.floor(opts.throttleLimit ?? 32));
  const results: FanOutResult[] = new Array(targets.length);
  let next = 0;
  // Each computer gets its own controller, and the caller's signal exactly one listener that
  // aborts them all: every request in flight listens to its computer's signal only. (Handing the
  // caller's signal to each computer put one listener per request in flight on it, 11 of them
  // past 10 computers at once: Node's MaxListenersExceededWarning.)
  const running = new Set<AbortController>();
  const onAbort = (): void => { for (const c of running) c.abort(opts.signal?.reason); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const target = targets[i];
      if (target === undefined) return;
      const name = computerNameOf(target.endpoint);
      opts.onStart?.(name);
      let result: FanOutResult;
      if (opts.signal?.aborted) {
        result = { computerName: name, error: opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted') };
      } else {
        const client = new WsmanClient(target);
        const own = opts.signal ? new AbortController() : undefined;
        if (own) running.add(own);
        try {
          const r = await invokeCommand(client, {
            ...spec,
            ...(own ? { signal: own.signal } : {}),
            ...(opts.onData ? { onData: (s: 'stdout' | 'stderr', c: Buffer) => opts.onData?.(name, s, c) } : {}),
          });
          result = { computerName: name, exitCode: r.exitCode };
        } catch (err) {
          result = { computerName: name, error: err instanceof Error ? err : new Error(String(err)) };
        } finally {
          if (own) running.delete(own);
          await client.close().catch(() => undefined);
        }
      }
      results[i] = result;
      opts.onDone?.(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, targets.length) }, worker));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return results;
}
