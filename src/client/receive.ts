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
 * A response lost on the wire (reset, HTTP timeout) is asked for once more with the same
 * SequenceId, which a robust listener answers from its cache (protocol.md §3.4.3).
 */
import { Action } from '../core/namespaces.js';
import { WsmanFaultError, WsmanNetworkError, WsmanTimeoutError, WsmanCode } from '../core/errors.js';
import type { ReceiveResponseBody } from '../core/messages/index.js';
import type { WsmanClient } from './client.js';
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
}

/** Run the loop; resolves with the exit code once the command is Done. */
export async function receiveUntilDone(t: ReceiveTarget): Promise<number> {
  const streams = t.streams ?? ['stdout', 'stderr'];
  const operationTimeout = Math.min(t.client.operationTimeout, DEFAULTS.receiveTimeout);
  let sequenceId = 0;
  let retriedLost = false;
  for (;;) {
    t.signal?.throwIfAborted();
    if (t.ready) await t.ready();
    t.signal?.throwIfAborted();
    let body: ReceiveResponseBody;
    try {
      const msg = await t.client.send(Action.Receive, { kind: 'Receive', sequenceId, commandId: t.commandId, streams }, {
        resourceUri: t.resourceUri,
        selectors: { ShellId: t.shellId },
        options: [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'TRUE' }],
        operationTimeout,
        ...(t.signal ? { signal: t.signal } : {}),
      });
      if (msg.body.kind !== 'ReceiveResponse') throw unexpected('ReceiveResponse', msg);
      body = msg.body;
    } catch (err) {
      if (isTimedOutFault(err)) {
        t.onTimedOut?.();
        continue;
      }
      const lost = err instanceof WsmanTimeoutError || (err instanceof WsmanNetworkError && err.code === 'ERR_CONNECTION_RESET');
      if (lost && !retriedLost && !t.signal?.aborted) {
        retriedLost = true;
        continue;
      }
      throw err;
    }
    retriedLost = false;
    sequenceId++;
    for (const s of body.streams) {
      if (!sameId(s.commandId, t.commandId)) continue;
      if (s.data.length) t.onData(s.name, s.data);
    }
    const cs = body.commandState;
    if (cs && sameId(cs.commandId, t.commandId) && cs.state === 'Done') return cs.exitCode ?? 0;
  }
}
