/**
 * `wsman run [connection options] -- COMMAND [ARGS...]`: run a command remotely (winrs.exe;
 * Invoke-Command for several computers). One computer: stdout and stderr stream through as bytes
 * and the exit code is the remote one. Several: at most --throttle-limit at once, each line
 * prefixed with the computer name, a progress line on a terminal, a summary, non-zero exit when
 * any failed. Our own errors print one line and exit 255 (like ssh), so they cannot be mistaken
 * for a remote exit code.
 */
import { StringDecoder } from 'node:string_decoder';
import { Option, type Command as Cli } from 'commander';
import { type WsmanError, WsmanUsageError } from '../core/errors.js';
import { WsmanClient } from '../client/client.js';
import { invokeCommand, invokeOnComputers, type FanOutResult } from '../client/invoke.js';
import type { RunOptions } from '../client/shell.js';
import { ROBUST_RETRY } from '../client/receive.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { EXIT_STDOUT_CLOSED, onInterrupt, stdoutClosed, writeStdout } from './stdout.js';
import { runInDisconnectedSession, runInSession } from './session.js';
import { describeError, describeFor, exitStatus, EXIT_ERROR } from './errors.js';

function stdinSource(): AsyncIterable<Buffer> | undefined {
  return process.stdin.isTTY ? undefined : (process.stdin as AsyncIterable<Buffer>);
}

/**
 * PowerShell's robust connections for `run`: output lost with a dropped connection is asked for
 * again once a second for up to 4 minutes, so a network outage shorter than that loses nothing.
 * On a terminal, the first retry is announced (not on a pipe: stderr carries the remote stderr).
 */
function robust(computer?: string): RunOptions {
  if (computer === undefined) return { retry: ROBUST_RETRY }; // a fan-out: its progress line says enough
  return {
    retry: ROBUST_RETRY,
    onRetry: (attempt) => {
      if (attempt === 2 && process.stderr.isTTY) { // the first retry, at once, is for a lost answer
        process.stderr.write(`wsman run: ${computer}: connection lost; reconnecting once a second for up to 4 minutes (Ctrl-C stops)\n`);
      }
    },
  };
}

/**
 * Abort on Ctrl-C (the command is then terminated and the shell deleted); a second Ctrl-C exits at
 * once. Stdout closing under us (`| head`) aborts the same way, as ssh does on SIGPIPE.
 */
function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const dispose = onInterrupt(() => ac.abort(Object.assign(new Error('interrupted'), { name: 'AbortError' })));
  return { signal: ac.signal, dispose };
}

/** Splits chunks into lines per (computer, stream) and writes them prefixed. */
export class LinePrefixer {
  private readonly partial = new Map<string, string>();
  /** One decoder per (stream, computer): a UTF-8 character split across two chunks stays whole. */
  private readonly decoders = new Map<string, StringDecoder>();
  constructor(private readonly write: (stream: 'stdout' | 'stderr', text: string) => void) {}
  push(computer: string, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const key = `${stream}\u0000${computer}`;
    let dec = this.decoders.get(key);
    if (!dec) {
      dec = new StringDecoder('utf8');
      this.decoders.set(key, dec);
    }
    const text = (this.partial.get(key) ?? '') + dec.write(chunk);
    const lines = text.split(/\r?\n/);
    this.partial.set(key, lines.pop() ?? '');
    for (const l of lines) this.write(stream, `[${computer}] ${l}\n`);
  }
  flush(computer: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${stream}\u0000${computer}`;
      const rest = (this.partial.get(key) ?? '') + (this.decoders.get(key)?.end() ?? '');
      if (rest) this.write(stream, `[${computer}] ${rest}\n`);
      this.partial.delete(key);
      this.decoders.delete(key);
    }
  }
}

async function runOne(flags: ConnectionFlags, command: string, args: string[]): Promise<number> {
  const { targets, resourceUri } = await clientOptionsFrom(flags);
  const target = targets[0];
  if (!target) return EXIT_ERROR;
  const client = new WsmanClient(target);
  const { signal, dispose } = interruptible();
  const stdin = stdinSource();
  try {
    const res = await invokeCommand(client, {
      command, args, signal, shell: { resourceUri }, run: robust(client.computerName),
      ...(stdin ? { stdin } : {}),
      ...(flags.json ? {} : { onData: (s: 'stdout' | 'stderr', c: Buffer) => { if (s === 'stdout') writeStdout(c); else process.stderr.write(c); } }),
    });
    if (flags.json) {
      writeStdout(`${JSON.stringify({ ComputerName: client.computerName, ExitCode: res.exitCode, Stdout: res.stdout.toString('utf8'), Stderr: res.stderr.toString('utf8') })}\n`);
    }
    return stdoutClosed() ? EXIT_STDOUT_CLOSED : exitStatus(res.exitCode);
  } catch (err) {
    // Nobody reads our output any more: the remote command was terminated and its shell deleted; say nothing.
    if (stdoutClosed()) return EXIT_STDOUT_CLOSED;
    if (signal.aborted) {
      process.stderr.write('wsman run: interrupted; the remote command was terminated\n');
      return 130;
    }
    if (flags.json) writeStdout(`${JSON.stringify({ ComputerName: client.computerName, Error: describeError(err), Code: (err as WsmanError).code })}\n`);
    else process.stderr.write(`wsman run: ${client.computerName}: ${describeError(err)}\n`);
    return EXIT_ERROR;
  } finally {
    dispose();
    if (stdin) process.stdin.destroy(); // the remote command is over: stop reading local input
    await client.close();
  }
}

async function runMany(flags: ConnectionFlags, command: string, args: string[]): Promise<number> {
  const { targets, resourceUri, throttleLimit } = await clientOptionsFrom(flags);
  const tty = process.stderr.isTTY === true && !flags.json;
  let progress = '';
  const clearProgress = (): void => { if (progress) process.stderr.write('\r\x1b[K'); };
  const drawProgress = (): void => { if (tty && progress) process.stderr.write(progress); };
  const out = (stream: 'stdout' | 'stderr', text: string): void => {
    clearProgress();
    if (stream === 'stdout') writeStdout(text);
    else process.stderr.write(text);
    drawProgress();
  };
  const prefixer = new LinePrefixer(out);
  const collected = new Map<string, { stdout: Buffer[]; stderr: Buffer[] }>();
  let running = 0;
  let done = 0;
  let failed = 0;
  const update = (): void => {
    if (!tty) return;
    clearProgress();
    progress = `running on ${targets.length} computers: ${done} done, ${running} running, ${failed} failed`;
    drawProgress();
  };
  const { signal, dispose } = interruptible();
  let results: FanOutResult[];
  try {
    results = await invokeOnComputers(targets, { command, args, shell: { resourceUri }, run: robust() }, {
      throttleLimit,
      signal,
      onStart: () => { running++; update(); },
      onData: (name, stream, chunk) => {
        if (flags.json) {
          const c = collected.get(name) ?? { stdout: [], stderr: [] };
          c[stream].push(chunk);
          collected.set(name, c);
        } else {
          prefixer.push(name, stream, chunk);
        }
      },
      onDone: (r) => {
        running--;
        done++;
        if (r.error || r.exitCode !== 0) failed++;
        if (!flags.json) {
          prefixer.flush(r.computerName);
          if (r.error) out('stderr', `[${r.computerName}] error: ${describeError(r.error)}\n`);
        }
        update();
      },
    });
  } finally {
    dispose();
  }
  clearProgress();
  progress = '';
  if (stdoutClosed()) return EXIT_STDOUT_CLOSED;
  if (flags.json) {
    for (const r of results) {
      const c = collected.get(r.computerName);
      writeStdout(`${JSON.stringify({
        ComputerName: r.computerName,
        ...(r.exitCode !== undefined ? { ExitCode: r.exitCode } : {}),
        Stdout: Buffer.concat(c?.stdout ?? []).toString('utf8'),
        Stderr: Buffer.concat(c?.stderr ?? []).toString('utf8'),
        ...(r.error ? { Error: describeError(r.error), Code: (r.error as WsmanError).code } : {}),
      })}\n`);
    }
  }
  const bad = results.filter((r) => r.error || r.exitCode !== 0);
  if (bad.length === 0) return 0;
  const list = bad.map((r) => (r.error ? `${r.computerName} (${describeError(r.error)})` : `${r.computerName} (exit ${r.exitCode})`));
  process.stderr.write(`wsman run: ${results.length - bad.length} of ${results.length} succeeded; failed: ${list.join(', ')}\n`);
  return signal.aborted ? 130 : 1;
}

export function register(program: Cli): void {
  const cmd = program
    .command('run')
    .description('run a command on one or more WinRM hosts; exits with the remote exit code')
    .argument('<command>', 'the command (use -- before it)')
    .argument('[args...]', 'its arguments');
  // `wsman run … ls -la` makes -la an option of ours: say where the remote command's options go.
  cmd.configureOutput({
    outputError: (text, write) => write(/unknown option/.test(text) && !process.argv.includes('--')
      ? `${text.trimEnd()}\n(the remote command and its options go after --: wsman run … -- ls -la)\n` : text),
  });
  addConnectionOptions(cmd)
    .option('--in-disconnected-session', 'start the command in a new session and disconnect at once (Invoke-Command -InDisconnectedSession); prints the session')
    .option('--session-name <name>', 'with --in-disconnected-session: the new session\'s name')
    .option('--idle-timeout <sec>', 'with --in-disconnected-session: IdleTimeout while disconnected, in seconds (at most the server\'s MaxIdleTimeout)')
    .addOption(new Option('--output-buffering-mode <mode>', 'with --in-disconnected-session: what the server does when the output buffer is full').choices(['block', 'drop']))
    .option('--session <name>', 'run in this existing session (connecting to it), then leave it disconnected')
    .action(async (command: string, args: string[], flags: ConnectionFlags & { inDisconnectedSession?: boolean; sessionName?: string; session?: string; idleTimeout?: string; outputBufferingMode?: string }) => {
    let status: number;
    try {
      if (flags.session !== undefined && flags.inDisconnectedSession) throw new WsmanUsageError('--session and --in-disconnected-session do not go together', 'ERR_BAD_OPTION');
      for (const [given, name] of [[flags.sessionName, '--session-name'], [flags.idleTimeout, '--idle-timeout'], [flags.outputBufferingMode, '--output-buffering-mode']] as const) {
        if (given !== undefined && !flags.inDisconnectedSession) throw new WsmanUsageError(`${name} goes with --in-disconnected-session`, 'ERR_BAD_OPTION');
      }
      if (flags.session !== undefined) {
        process.exitCode = await runInSession(flags, flags.session, command, args);
        return;
      }
      if (flags.inDisconnectedSession) {
        process.exitCode = await runInDisconnectedSession(flags, command, args);
        return;
      }
      const many = flags.computerName !== undefined && flags.computerName.split(',').filter((s) => s.trim()).length > 1;
      status = many ? await runMany(flags, command, args) : await runOne(flags, command, args);
    } catch (err) {
      process.stderr.write(`wsman run: ${describeFor('run', err)}\n`);
      status = EXIT_ERROR;
    }
    process.exitCode = status;
  });
}
