/**
 * Receive: the long poll (MS-WSMV §3.1.4.13; protocol.md §3.4).
 *
 * The request waits until the command has output or a state change to report, or until its
 * OperationTimeout (capped by MaxTimeoutms) passes, which answers the w:TimedOut fault
 * 2150858793. Output is taken from the buffer only when a response is built, and never more than
 * fits in the request's MaxEnvelopeSize: the rest waits for the next Receive.
 *
 * SequenceId replay (protocol.md §3.4.3), our design:
 * - A Receive without SequenceId, or with SequenceId 0, is unnumbered: it always gets new output
 *   and nothing is cached. (Windows examples send 0 on every Receive; such clients keep working.)
 * - A numbered Receive (SequenceId n ≥ 1) from client C: when the command's cached response has
 *   sequence n and came from C, the cached response is sent again unchanged (the client lost it);
 *   otherwise n acknowledges everything before it, the cache is dropped, new output is taken and
 *   the response is cached as (n, C) and echoed with SequenceID="n". A numbered Receive older than
 *   the cache (n < cached, same client) is refused with InvalidSoapBody: that output was delivered.
 * - Clients number their Receives per command from 1, incrementing after each answered Receive and
 *   re-sending the same number after a lost response; a new client (Connect) starts again at 1.
 * So output already delivered is never delivered as new data again, and a lost answer is not lost.
 */
import { Action, WsmanCode, responseHeaders, type ReceiveResponseBody, type StreamChunk } from '../../core/index.js';
import { receiveEnvelopeXml } from '../receive-xml.js';
import { clientIdOf, type WsmanRequest, type Reply } from '../core.js';
import type { ServerCommand } from '../command.js';
import type { ServerShell } from '../shell.js';
import { fault, badBody, useShell, guid } from './common.js';

/** Thrown when the client went away while its Receive waited: no answer is written. */
export class ClientGone extends Error {
  constructor() {
    super('client closed the connection');
  }
}

type WaitResult = 'news' | 'timeout' | 'closed';

function waitForNews(cmd: ServerCommand, shell: ServerShell, wanted: ReadonlySet<string> | undefined, ms: number, closed: AbortSignal): Promise<WaitResult> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let off = (): void => undefined;
    const finish = (r: WaitResult): void => {
      if (timer) clearTimeout(timer);
      off();
      closed.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = (): void => finish('closed');
    off = cmd.onNews(() => {
      if (cmd.hasNews(wanted) || cmd.state === 'Terminated' || shell.state !== 'Connected') finish('news');
    });
    closed.addEventListener('abort', onAbort);
    timer = setTimeout(() => finish('timeout'), ms);
  });
}

function chooseCommand(shell: ServerShell, commandId: string | undefined): ServerCommand | undefined {
  if (commandId !== undefined) return shell.command(guid(commandId) ?? commandId);
  // A Receive without CommandId on a cmd shell: the only command, if there is exactly one.
  return shell.commands.size === 1 ? [...shell.commands.values()][0] : undefined;
}

export async function receive(req: WsmanRequest): Promise<Reply> {
  const shell = useShell(req, 'Receive');
  if (req.body.kind !== 'Receive') throw badBody('Receive needs an rsp:Receive body');
  const body = req.body;
  const cmd = chooseCommand(shell, body.commandId);
  if (!cmd) throw fault(WsmanCode.UnexpectedSelectors, 'the request contained a command identifier that does not exist');
  req.note.commandId = cmd.id;
  cmd.transition('Receive');
  const client = clientIdOf(req.headers);
  const seq = body.sequenceId !== undefined && body.sequenceId > 0 ? body.sequenceId : undefined;
  if (seq !== undefined && cmd.lastReceive && cmd.lastReceive.client === client) {
    if (seq === cmd.lastReceive.sequenceId) return { kind: 'soap', action: Action.ReceiveResponse, body: cmd.lastReceive.body };
    if (seq < cmd.lastReceive.sequenceId) throw fault(WsmanCode.InvalidSoapBody, 'SequenceId is older than the last answered Receive');
  }
  if (seq !== undefined) cmd.lastReceive = undefined;
  const wanted = body.streams.length ? new Set(body.streams) : undefined;
  if (!cmd.hasNews(wanted)) {
    const cap = req.core.config.maxTimeoutMs;
    const ms = Math.min(req.headers.operationTimeout ?? cap, cap);
    const r = await waitForNews(cmd, shell, wanted, ms, req.closed);
    if (r === 'closed') throw new ClientGone();
    if (cmd.state === 'Terminated') throw fault(WsmanCode.UnexpectedSelectors, 'the command was terminated');
    if (r === 'timeout') throw fault(WsmanCode.TimedOut, 'no output within OperationTimeout');
  }
  if (req.closed.aborted) throw new ClientGone();
  const rr = buildResponse(req, shell, cmd, wanted, seq);
  if (seq !== undefined) cmd.lastReceive = { sequenceId: seq, client, body: rr };
  return { kind: 'soap', action: Action.ReceiveResponse, body: rr };
}

/** The largest response this request accepts, in bytes. */
export function envelopeLimit(req: WsmanRequest): number {
  const max = req.core.config.maxEnvelopeSizeKb * 1024;
  return Math.min(req.headers.maxEnvelopeSize ?? max, max);
}

function buildResponse(req: WsmanRequest, shell: ServerShell, cmd: ServerCommand, wanted: ReadonlySet<string> | undefined, seq: number | undefined): ReceiveResponseBody {
  const limit = envelopeLimit(req);
  const outNames = shell.outputStreams.filter((n) => !wanted || wanted.has(n));
  // The envelope without data, in its largest form (final: End markers and exit code).
  const skeleton: ReceiveResponseBody = {
    kind: 'ReceiveResponse',
    streams: outNames.map((name) => ({ name, commandId: cmd.id, end: true, data: Buffer.alloc(0) })),
    commandState: { commandId: cmd.id, state: 'Done', exitCode: -2147483648 },
  };
  if (seq !== undefined) skeleton.sequenceId = seq;
  const probe = responseHeaders(req.headers, Action.ReceiveResponse, 'uuid:00000000-0000-0000-0000-000000000000');
  const base = Buffer.byteLength(receiveEnvelopeXml(probe, skeleton));
  const longest = Math.max(6, ...shell.outputStreams.map((n) => Buffer.byteLength(n)));
  const groupOverhead = `<rsp:Stream Name="" CommandId="${cmd.id}"></rsp:Stream>`.length + longest;
  const room = limit - base - 128;
  const taken = cmd.output.take(Math.max(0, room), groupOverhead, wanted);
  const streams: StreamChunk[] = taken.map((c) => ({ name: c.stream, commandId: cmd.id, data: c.data }));
  const rr: ReceiveResponseBody = { kind: 'ReceiveResponse', streams };
  if (seq !== undefined) rr.sequenceId = seq;
  if (cmd.isDone && !cmd.output.has(wanted)) {
    for (const name of outNames) streams.push({ name, commandId: cmd.id, end: true, data: Buffer.alloc(0) });
    rr.commandState = { commandId: cmd.id, state: 'Done', exitCode: cmd.exitCode ?? 0 };
    cmd.doneReported = true;
  } else {
    rr.commandState = { commandId: cmd.id, state: 'Running' };
  }
  return rr;
}
