/** Shell operations the lifecycle checks share: run a command, receive until Done. */
import { Action, ResourceURI, SignalURI, WsmanCode, WsmanError } from '../../core/index.js';
import type { ConformanceContext, Reply } from '../context.js';
import { describeReply } from './expect.js';

export async function command(ctx: ConformanceContext, shellId: string, commandLine: string, label = 'Command'): Promise<{ commandId: string; reply: Reply }> {
  const reply = await ctx.send({ label, action: Action.Command, selectors: { ShellId: shellId },
    headers: { options: [{ name: 'WINRS_CONSOLEMODE_STDIN', value: 'TRUE' }, { name: 'WINRS_SKIP_CMD_SHELL', value: 'FALSE' }] },
    body: { kind: 'CommandLine', command: commandLine, arguments: [] } });
  const b = reply.message?.body;
  if (b?.kind !== 'CommandResponse') throw new WsmanError('ERR_CONFORMANCE', `Command failed: ${describeReply(reply)}`);
  return { commandId: b.commandId, reply };
}

export interface Received {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | undefined;
  done: boolean;
  receives: number;
  timedOut: number;
  /** Largest response body seen, in bytes. */
  largest: number;
  /** Stream data arrived after a response that said Done. */
  dataAfterDone: boolean;
}

/** Receive until CommandState Done (TimedOut faults are retried), at most `limit` Receives. */
export async function receiveAll(ctx: ConformanceContext, shellId: string, commandId: string, opts: { maxEnvelopeSize?: number; limit?: number; operationTimeout?: number } = {}): Promise<Received> {
  const out: Received = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: undefined, done: false, receives: 0, timedOut: 0, largest: 0, dataAfterDone: false };
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const limit = opts.limit ?? 500;
  while (!out.done && out.receives < limit) {
    out.receives++;
    const r = await ctx.send({ label: `Receive ${out.receives}`, action: Action.Receive, selectors: { ShellId: shellId },
      headers: { maxEnvelopeSize: opts.maxEnvelopeSize ?? 153600, operationTimeout: opts.operationTimeout ?? 20_000 },
      body: { kind: 'Receive', sequenceId: out.receives - 1, commandId, streams: ['stdout', 'stderr'] } });
    out.largest = Math.max(out.largest, Buffer.byteLength(r.body));
    const b = r.message?.body;
    if (b?.kind === 'Fault' && b.fault.wsmanCode === WsmanCode.TimedOut) {
      out.timedOut++;
      continue;
    }
    if (b?.kind !== 'ReceiveResponse') throw new WsmanError('ERR_CONFORMANCE', `Receive failed: ${describeReply(r)}`);
    for (const s of b.streams) (s.name === 'stderr' ? stderr : stdout).push(s.data);
    if (b.commandState?.state === 'Done') {
      out.done = true;
      out.exitCode = b.commandState.exitCode;
    }
  }
  out.stdout = Buffer.concat(stdout);
  out.stderr = Buffer.concat(stderr);
  return out;
}

export async function signal(ctx: ConformanceContext, shellId: string, commandId: string, code: string = SignalURI.Terminate, label = 'Signal'): Promise<Reply> {
  return ctx.send({ label, action: Action.Signal, selectors: { ShellId: shellId }, body: { kind: 'Signal', commandId, code } });
}

export async function deleteShell(ctx: ConformanceContext, shellId: string, resourceUri: string = ResourceURI.Cmd): Promise<Reply> {
  const r = await ctx.send({ label: 'Delete', action: Action.Delete, resourceUri, selectors: { ShellId: shellId } });
  if (r.status === 200) ctx.forgetShell(shellId);
  return r;
}
