/**
 * The Receive loop (MS-WSMV §3.1.4.14; protocol.md §3.4): one Receive outstanding at a time,
 * until the command's CommandState is Done.
 *
 * What real servers do that the loop must survive:
 *   - Windows answers a long poll with nothing to say by the `w:TimedOut` fault (2150858793,
 *     HTTP 500): ask again at once;
 *   - OMI answers every Receive after ~30 s, often with an empty Running state and no streams;
 *   - Windows' intermediate answers may carry no CommandState at all;
 *   - a Done state may carry no ExitCode (OMI): the exit code is then 0.
 * Receives are numbered from 1 per command and client (SequenceId; 0 would mean "unnumbered").
 * A response lost on the wire (reset, HTTP timeout) is asked for again with the same SequenceId,
 * which a robust listener answers from its cache (protocol.md §3.4.3): nothing is lost and
 * nothing is delivered twice. Without a retry policy it is asked once more at once; with one
 * (disconnected sessions: PowerShell's robust connections) the client keeps asking once per
 * interval for up to maxMs before giving up with the last network error.
 */
import { Action } from '../core/namespaces.js';
import { WsmanFaultError, WsmanNetworkError, WsmanTimeoutError, WsmanCode } from '../core/errors.js';
import type { Message, ReceiveResponseBody } from '../core/messages/index.js';
import type { WsmanClient, RawExchange, RequestOptions } from './client.js';
import { newMessageId } from './client.js';
import { encodeEnvelope } from '../core/envelope.js';
import { encodeBody } from '../core/messages/index.js';
import { unexpected } from './client.js';
import { DEFAULTS } from './options.js';

/** True for Windows' "nothing happened within OperationTimeout" fault. */
export function isTimedOutFault(err: unknown): boolean {
  return err instanceof WsmanFaultError && (err.wsmanCode === WsmanCode.TimedOut || err.subcode === 'w:TimedOut');
}

function sameId(a: string | undefined, b: string): boolean {
  return a === undefined || a.toUpperCase() === b.toUpperCase();
}

export interface ReceiveTarget {
  client: WsmanClient;
  resourceUri: string;
  shellId: string;
  commandId: string;
  /** Stream names to ask for (default stdout stderr). */
  streams?: string[];
  signal?: AbortSignal;
  /** Called for each non-empty chunk, in order. */
  onData(stream: string, data: Buffer): void;
  /** Resolves when the consumer wants more (backpressure); called before each Receive. */
  ready?(): Promise<void>;
  /** Observer for tests and logs: each TimedOut retry. */
  onTimedOut?(): void;
  /**
   * The SequenceId counter, shared by every Receive loop of this command in this client (a
   * loop that resumes after Reconnect continues the numbering). Default: a fresh one from 1.
   */
  sequence?: { next: number };
  /** Retry a lost connection every intervalMs for up to maxMs (default: once, at once). */
  retry?: RetryPolicy;
  /** Observer: a lost answer or connection is being retried (attempt from 1). */
  onRetry?(attempt: number, err: unknown): void;
  /**
   * Send the next Receive as soon as an answer says Running, before that answer is decoded and
   * delivered, so that the server prepares the next answer while this one is worked on (issue 20).
   * Still one Receive outstanding at a time: the next goes once the last was answered. The consumer
   * (`ready`) is asked before it, so at most one more answer than without waits in the consumer.
   */
  prefetch?: boolean;
  /**
   * A soft stop (Disconnect-PSSession): no new Receive is sent once it is aborted, but the one in
   * flight is left to finish, so output the server already took is delivered, not lost. The loop
   * then throws the signal's reason.
   */
  stop?: AbortSignal;
}

/** How long a client keeps retrying a lost connection (PowerShell: every second for 4 minutes). */
export interface RetryPolicy {
  intervalMs: number;
  maxMs: number;
}

/** PowerShell's robust-connection policy: retry once a second for up to 4 minutes. */
export const ROBUST_RETRY: RetryPolicy = { intervalMs: 1000, maxMs: 240_000 };

/** True for an error that means the connection (or the answer) was lost, not refused by the peer. */
export function isConnectionLost(err: unknown): boolean {
  return err instanceof WsmanTimeoutError || err instanceof WsmanNetworkError;
}

/** `ready()`, or the signal's abort, whichever comes first; the abort listener never outlives the wait. */
export async function readyOrAborted(ready: () => Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([ready(), new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    })]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const RUNNING = Buffer.from('CommandState/Running');

/**
 * True when an answer is positively an intermediate ReceiveResponse: HTTP 200 and a Running
 * CommandState near its end (where CommandState follows the streams). Anything else (Done, no
 * CommandState, a fault, UTF-16) is decoded first, and no Receive is sent ahead of it.
 */
function saysRunning(ex: RawExchange): boolean {
  const { status, body } = ex.response;
  return status === 200 && body.subarray(Math.max(0, body.length - 2048)).includes(RUNNING);
}

const MARK_ID = 'uuid:00000000-0000-4000-8000-00000000D1D1';
const MARK_SEQ = 987654321;

/**
 * The loop's Receive envelope, written once with marks for its MessageID and SequenceId and then
 * filled in (building each anew was a tenth of the client's CPU at 153600); written again when the
 * client's MaxEnvelopeSize changes. The same text the encoder gives: only those two values differ.
 */
export function receiveTemplate(t: ReceiveTarget, streams: string[], opts: RequestOptions): (messageId: string, sequenceId: number) => string {
  let size = -1;
  let parts: string[] = [];
  return (messageId, sequenceId) => {
    if (size !== t.client.maxEnvelopeSize) {
      size = t.client.maxEnvelopeSize;
      const xml = encodeEnvelope(t.client.requestHeaders(Action.Receive, MARK_ID, opts),
        encodeBody({ kind: 'Receive', sequenceId: MARK_SEQ, commandId: t.commandId, streams }), 'request');
      const [a, rest] = splitOnce(xml, MARK_ID);
      const [b, c] = splitOnce(rest, `"${MARK_SEQ}"`);
      parts = [a, b, c];
    }
    return `${parts[0]}${messageId}${parts[1]}"${sequenceId}"${parts[2]}`;
  };
}

function splitOnce(s: string, mark: string): [string, string] {
  const at = s.indexOf(mark);
  if (at === -1 || s.indexOf(mark, at + 1) !== -1) throw new Error(`Receive template: ${mark} not found exactly once`);
  return [s.slice(0, at), s.slice(at + mark.length)];
}

/** Run the loop; resolves with the exit code once the command is Done. */
export async function receiveUntilDone(t: ReceiveTarget): Promise<number> {
  const streams = t.streams ?? ['stdout', 'stderr'];
  const operationTimeout = Math.min(t.client.operationTimeout, DEFAULTS.receiveTimeout);
  const seq = t.sequence ?? { next: 1 };
  let lostSince: number | undefined;
  let attempts = 0;
  const opts: RequestOptions = {
    resourceUri: t.resourceUri,
    selectors: { ShellId: t.shellId },
    options: [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'TRUE' }],
    operationTimeout,
    ...(t.signal ? { signal: t.signal } : {}),
  };
  const template = receiveTemplate(t, streams, opts);
  const receive = (sequenceId: number): Promise<RawExchange> => {
    const messageId = newMessageId();
    return t.client.exchangeXml(Action.Receive, messageId, template(messageId, sequenceId), opts);
  };
  /** The next Receive, sent before the last answer was decoded (prefetch). */
  let ahead: Promise<RawExchange> | undefined;
  try {
    for (;;) {
      let body: ReceiveResponseBody;
      try {
        let ex: RawExchange;
        if (ahead) {
          // Already sent: its answer is awaited whatever `stop` says (output it carries is not lost).
          const next = ahead;
          ahead = undefined;
          ex = await next;
        } else {
          t.signal?.throwIfAborted();
          t.stop?.throwIfAborted();
          if (t.ready) await (t.stop ? readyOrAborted(t.ready, t.stop) : t.ready());
          t.signal?.throwIfAborted();
          t.stop?.throwIfAborted();
          ex = await receive(seq.next);
        }
        if (t.prefetch && saysRunning(ex)) ahead = (await sendAhead(t, () => receive(seq.next + 1)))?.next;
        let msg: Message;
        try {
          msg = t.client.decode(ex);
        } catch (err) {
          if (ahead || !t.client.shrinkEnvelope(err)) throw err;
          msg = t.client.decode(await receive(seq.next));
        }
        if (msg.body.kind !== 'ReceiveResponse') throw unexpected('ReceiveResponse', msg);
        body = msg.body;
      } catch (err) {
        // A Receive sent ahead of an answer that then failed to decode: no retry beside it.
        if (ahead) throw err;
        if (isTimedOutFault(err)) {
          t.onTimedOut?.();
          continue;
        }
        if (t.signal?.aborted) throw err;
        // Stopping: the answer to the last Receive came (or failed); send no other.
        t.stop?.throwIfAborted();
        if (t.retry ? isConnectionLost(err) : (err instanceof WsmanTimeoutError || (err instanceof WsmanNetworkError && err.code === 'ERR_CONNECTION_RESET'))) {
          const now = Date.now();
          lostSince ??= now;
          attempts++;
          const window = t.retry?.maxMs ?? 0;
          if (attempts === 1 || now - lostSince < window) {
            t.onRetry?.(attempts, err);
            // The first retry goes at once (a lost answer); later ones once per interval.
            if (attempts > 1 && t.retry) await sleep(t.retry.intervalMs, t.signal);
            continue;
          }
        }
        throw err;
      }
      lostSince = undefined;
      attempts = 0;
      seq.next++;
      for (const s of body.streams) {
        if (!sameId(s.commandId, t.commandId)) continue;
        if (s.data.length) t.onData(s.name, s.data);
      }
      const cs = body.commandState;
      if (cs && sameId(cs.commandId, t.commandId) && cs.state === 'Done') return cs.exitCode ?? 0;
    }
  } finally {
    // An answer sent ahead that nobody waits for any more (an error, an abort): never unhandled.
    ahead?.catch(() => undefined);
  }
}

/**
 * The next Receive for prefetch, once the consumer wants more (`ready`), unless the loop is being
 * stopped. Resolves with its exchange (not awaited), or undefined when none was sent.
 */
async function sendAhead(t: ReceiveTarget, send: () => Promise<RawExchange>): Promise<{ next: Promise<RawExchange> } | undefined> {
  if (t.signal?.aborted || t.stop?.aborted) return undefined;
  if (t.ready) await (t.stop ? readyOrAborted(t.ready, t.stop) : t.ready());
  if (t.signal?.aborted || t.stop?.aborted) return undefined;
  const next = send();
  next.catch(() => undefined); // awaited (and its error handled) by the next turn of the loop
  return { next };
}
