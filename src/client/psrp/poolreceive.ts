/**
 * The pool's own Receive over WS-Man: a Receive of `stdout` without CommandId, whose answers carry
 * the messages the server sends to the runspace pool (not to a pipeline). While opening it brings
 * the pool's negotiation and state; once the pool is Opened PowerShell's client keeps one going
 * (WSManClientSessionTransportManager.StartReceivingData, re-issued by WinRM on each w:TimedOut) so
 * that PUBLIC_KEY_REQUEST, RUNSPACEPOOL_HOST_CALL or a Broken/Closed RUNSPACEPOOL_STATE sent while
 * nothing is pending are read at once.
 */
import { Action } from '../../core/namespaces.js';
import type { WsmanClient } from '../client.js';
import { unexpected } from '../client.js';
import { isTimedOutFault, readyOrAborted } from '../receive.js';

export interface PoolReceiveTarget {
  client: WsmanClient;
  resourceUri: string;
  shellId: string;
  /** Whether to send another Receive, `sent` Receives having been answered. */
  more(sent: number): boolean;
  /** Data of the pool (stream chunks without CommandId). */
  feed(data: Uint8Array): void;
  /** Soft stop (Disconnect, Close): no Receive is sent once aborted; the one in flight is awaited. */
  stop: AbortSignal;
  /** Hard stop (after Delete, dispose): the Receive in flight is abandoned. */
  abort: AbortSignal;
  /** The caller's signal for every request. */
  signal?: AbortSignal;
  /** Backpressure: no next Receive until the consumer has room. */
  ready?: () => Promise<void>;
}

/**
 * Receive pool messages while `more()` says so; a w:TimedOut answer (nothing to say within the
 * OperationTimeout) is re-issued. Resolves once stopped or done; a fault or a transport error
 * rejects unless the loop was being stopped (then the answer does not matter).
 */
export async function receivePoolMessages(t: PoolReceiveTarget): Promise<void> {
  const signal = t.signal ? AbortSignal.any([t.abort, t.signal]) : t.abort;
  const stopped = (): boolean => t.stop.aborted || t.abort.aborted;
  for (let sent = 0; !stopped() && t.more(sent); sent++) {
    if (t.ready) await readyOrAborted(t.ready, t.stop);
    if (stopped()) return;
    let msg;
    try {
      msg = await t.client.send(Action.Receive, { kind: 'Receive', streams: ['stdout'] }, {
        resourceUri: t.resourceUri, selectors: { ShellId: t.shellId }, options: [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'True' }], signal,
      });
    } catch (err) {
      if (stopped()) return;
      if (isTimedOutFault(err)) continue;
      throw err;
    }
    if (msg.body.kind !== 'ReceiveResponse') throw unexpected('ReceiveResponse', msg);
    for (const s of msg.body.streams) if (s.data.length && s.commandId === undefined) t.feed(s.data);
  }
}
