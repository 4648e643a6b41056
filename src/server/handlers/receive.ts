/**
 * Receive: the long poll (MS-WSMV §3.1.4.13; protocol.md §3.4).
 *
 * The request waits until the command has output or a state change to report, or until its
 * OperationTimeout (capped by MaxTimeoutms) passes, which answers the w:TimedOut fault
 * 2150858793. Output is taken from the buffer only when a response is built, and never more than
 * fits in the request's MaxEnvelopeSize: the rest waits for the next Receive.
 *
 * SequenceId replay (protocol.md §3.4.3), our design. The last ReceiveResponse of each command is
 * cached with its SequenceId, the client (SessionId) it went to, and whether it was handed to the
 * connection (the HTTP response finished) or lost before that.
 * - No SequenceId attribute: nothing is cached; every Receive gets new output.
 * - SequenceId n ≥ 1 (a numbering client): a cached answer with the same n for the same client is
 *   sent again unchanged (the client says it lost it); a higher n acknowledges the cached answer,
 *   which is dropped, and new output is taken, answered with SequenceID="n" and cached. An n lower
 *   than the cached one (same client) is refused with InvalidSoapBody: that output was delivered.
 * - SequenceId 0 is ambiguous: Windows' examples send 0 on every Receive, and a numbering client
 *   starts at 0. So a repeated 0 is replayed only when the cached 0-answer never reached the
 *   connection; when it did, the client is taken to be one that always sends 0 and gets new output.
 * - A new client (Connect) starts afresh: Connect clears the caches.
 * Clients should number Receives per command (0 or 1 first, +1 after each answered Receive) and
 * repeat the number after a lost answer. Output already delivered is never delivered as new data
 * again, and an answer lost on the wire is not lost.
 */
import { Action, WsmanCode, responseHeaders, encodeMessageBytes, type ReceiveResponseBody, type StreamChunk } from '../../core/index.js';
import { clientIdOf, type WsmanRequest, type Reply } from '../core.js';
import type { BackendCommand as ServerCommand, CachedReceive } from '../command-base.js';
import type { ServerShell } from '../shell.js';
import { fault, badBody, useShell, guid } from './common.js';
import { winrmCompress } from '../../core/xpress/index.js';

/** Thrown when the client went away while its Receive waited: no answer is written. */
export class ClientGone extends Error {
  constructor() {
    super('client closed the connection');
  }
}

type WaitResult = 'news' | 'timeout' | 'closed';

/**
 * The one wait of a Receive: resolves once, with what `arm`'s code passes to `finish`, or 'closed'
 * when the client goes away. `arm` subscribes to what it waits for and returns the unsubscribe;
 * `later` (re)sets the wait's single timer. Timer, abort listener and subscription end with it.
 */
function settle(closed: AbortSignal, arm: (finish: (r: WaitResult) => void, later: (ms: number, f: () => void) => void) => () => void): Promise<WaitResult> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let off: (() => void) | undefined;
    let done = false;
    const onAbort = (): void => finish('closed');
    const finish = (r: WaitResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off?.();
      closed.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const later = (ms: number, f: () => void): void => {
      clearTimeout(timer);
      if (!done) timer = setTimeout(f, ms);
    };
    if (closed.aborted) return finish('closed');
    closed.addEventListener('abort', onAbort);
    const unsubscribe = arm(finish, later);
    if (done) unsubscribe();
    else off = unsubscribe;
  });
}

function waitForNews(cmd: ServerCommand, shell: ServerShell, wanted: ReadonlySet<string> | undefined, ms: number, closed: AbortSignal): Promise<WaitResult> {
  return settle(closed, (finish, later) => {
    later(ms, () => finish('timeout'));
    return cmd.onNews(() => {
      if (cmd.hasNews(wanted) || cmd.state === 'Terminated' || shell.state !== 'Connected') finish('news');
    });
  });
}

/** While output flows, a Receive waits up to this long in all for a full envelope's worth. */
export const FILL_MAX_MS = 10;
/** Output that stopped arriving for this long has stopped flowing: the answer goes with what there is. */
export const FILL_GAP_MS = 2;

/**
 * A Receive that finds less output than its envelope holds, while the process is still writing
 * (output came within FILL_GAP_MS), waits for more: up to FILL_MAX_MS, until the envelope's worth
 * is there, or until the output pauses for FILL_GAP_MS. Answering each Receive at once with what
 * the last pipe reads brought sent envelopes a third full on a busy machine, three times the
 * requests (and their fixed cost on both ends) per byte. Output that trickles (a prompt, a line
 * now and then) is answered after at most FILL_GAP_MS more. Whole-message (PSRP) output is not held.
 * One wait per Receive: each pipe read only compares sizes (a wait re-armed per read cost a promise,
 * a timer and an abort listener each time, at 4 KB a read).
 */
async function fillWait(req: WsmanRequest, cmd: ServerCommand, shell: ServerShell): Promise<WaitResult> {
  const out = cmd.output;
  if (out.wholeMessages) return 'news';
  const want = Math.floor((envelopeLimit(req) * 3) / 4) - 4096;
  const full = (): boolean => out.size >= want || out.isPaused || cmd.isDone || shell.state !== 'Connected';
  const start = performance.now();
  const deadline = start + FILL_MAX_MS;
  if (full() || start - out.lastPushAt > FILL_GAP_MS) return 'news';
  return settle(req.closed, (finish, later) => {
    const check = (): void => {
      const now = performance.now();
      if (now >= deadline || now - out.lastPushAt >= FILL_GAP_MS) finish('news');
      else later(Math.min(deadline, out.lastPushAt + FILL_GAP_MS) - now, check);
    };
    later(Math.min(deadline, out.lastPushAt + FILL_GAP_MS) - start, check);
    // Called on every pipe read (thousands per second): it only compares; the timer sees the gaps.
    return cmd.onNews(() => {
      if (full()) finish('news');
    });
  });
}

function chooseCommand(shell: ServerShell, commandId: string | undefined): ServerCommand | undefined {
  if (commandId !== undefined) return shell.command(guid(commandId) ?? commandId);
  // A PowerShell shell: the pool's own messages.
  if (shell.shellOutput) return shell.shellOutput;
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
  const seq = body.sequenceId;
  const cached = cmd.lastReceive;
  if (seq !== undefined && cached && cached.client === client) {
    if (seq === cached.sequenceId && (seq > 0 || !cached.delivered)) {
      return { kind: 'soap', action: Action.ReceiveResponse, body: cached.body, onSent: (ok) => { cached.delivered ||= ok; } };
    }
    if (seq < cached.sequenceId) throw fault(WsmanCode.InvalidSoapBody, 'SequenceId is older than the last answered Receive');
  }
  if (seq !== undefined) cmd.lastReceive = undefined;
  const wanted = body.streams.length ? new Set(body.streams) : undefined;
  // A finished command answers at once, Done again if Done was already said: the client asking may
  // not be the one that heard it (it disconnected before Signal terminate; another one connected).
  if (!cmd.hasNews(wanted) && cmd.state !== 'Done') {
    const cap = req.core.config.maxTimeoutMs;
    const ms = Math.min(req.headers.operationTimeout ?? cap, cap);
    const r = await waitForNews(cmd, shell, wanted, ms, req.closed);
    if (r === 'closed') throw new ClientGone();
    if (cmd.state === 'Terminated') throw fault(WsmanCode.UnexpectedSelectors, 'the command was terminated');
    if (r === 'timeout') throw fault(WsmanCode.TimedOut, 'no output within OperationTimeout');
  }
  if (await fillWait(req, cmd, shell) === 'closed' || req.closed.aborted) throw new ClientGone();
  const rr = buildResponse(req, shell, cmd, wanted, seq);
  if (seq === undefined) return { kind: 'soap', action: Action.ReceiveResponse, body: rr };
  const entry: CachedReceive = { sequenceId: seq, client, body: rr, delivered: false };
  cmd.lastReceive = entry;
  return { kind: 'soap', action: Action.ReceiveResponse, body: rr, onSent: (ok) => { entry.delivered ||= ok; } };
}

/** The largest response this request accepts, in bytes. */
export function envelopeLimit(req: WsmanRequest): number {
  const max = req.core.config.maxEnvelopeSizeKb * 1024;
  return Math.min(req.headers.maxEnvelopeSize ?? max, max);
}

/** Skeleton sizes by what they depend on (see skeletonSize); at most SKELETON_CACHE entries. */
const SKELETONS = new Map<string, number>();
const SKELETON_CACHE = 256;
/** Characters XML escapes (in text or attributes) or whose byte length differs from their count. */
const ESCAPED = /[&<>"'\s]|[^\x20-\x7e]/;

/** A value's part in a skeleton's key: its length when plain ASCII; undefined when it holds anything else. */
function sizeKey(v: string | undefined): string | undefined {
  return v === undefined ? '-' : ESCAPED.test(v) ? undefined : String(v.length);
}

/**
 * The bytes of the response envelope without data. It depends only on the stream names, the
 * SequenceId's digits, the length of the MessageID it relates to and that of the CommandId (or on
 * them themselves when they hold characters XML escapes), so it is encoded once per such shape for
 * the whole listener, not once per command: with a cache per command, every short command (one or
 * two small answers) paid a second encode of its envelope just to measure it.
 */
function skeletonSize(req: WsmanRequest, cmd: ServerCommand, skeleton: ReceiveResponseBody, outNames: readonly string[], seq: number | undefined): number {
  const mid = sizeKey(req.headers.messageId);
  const id = sizeKey(cmd.id);
  // Values with characters XML escapes are measured each time rather than kept: a key holding
  // them would let a client's long MessageIDs fill the cache with its own text.
  const key = mid === undefined || id === undefined ? undefined : `${outNames.join('\0')}\0|${seq === undefined ? '' : String(seq).length}|${mid}|${id}`;
  const known = key === undefined ? undefined : SKELETONS.get(key);
  if (known !== undefined) return known;
  const probe = responseHeaders(req.headers, Action.ReceiveResponse, 'uuid:00000000-0000-0000-0000-000000000000');
  const size = encodeMessageBytes({ headers: probe, body: skeleton }, 'response').length;
  if (key === undefined) return size;
  if (SKELETONS.size >= SKELETON_CACHE) SKELETONS.clear();
  SKELETONS.set(key, size);
  return size;
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
  const base = skeletonSize(req, cmd, skeleton, outNames, seq);
  const longest = Math.max(6, ...shell.outputStreams.map((n) => Buffer.byteLength(n)));
  // xpress adds a 4-byte header per 64 KiB chunk to data that does not shrink (base64: 8 bytes).
  const groupOverhead = `<rsp:Stream Name="" CommandId="${cmd.id}"></rsp:Stream>`.length + longest + (shell.compression ? 8 : 0);
  const room = limit - base - 128 - (shell.compression ? 8 * Math.ceil(limit / 65536) : 0);
  const taken = cmd.output.take(Math.max(0, room), groupOverhead, wanted);
  if (shell.compression) for (const c of taken) c.data = xpressed(c.data);
  if (cmd.id === '') {
    // A PowerShell pool's own messages: no CommandId, no CommandState. Once pwsh has ended and
    // everything it wrote was delivered, there is nothing more to wait for.
    if (cmd.isDone && taken.length === 0) throw fault(WsmanCode.UnexpectedSelectors, 'the PowerShell process of this shell has ended');
    const rr: ReceiveResponseBody = { kind: 'ReceiveResponse', streams: taken.map((c) => ({ name: c.stream, data: c.data })) };
    if (seq !== undefined) rr.sequenceId = seq;
    return rr;
  }
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

/** Stream data of a compressed shell in WinRM's xpress chunks (stored where compressing does not help). */
function xpressed(data: Buffer): Buffer {
  if (data.length === 0) return data;
  const out = winrmCompress(data);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
