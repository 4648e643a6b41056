/**
 * Whether a pool's shell is still there for us (pypsrp's RunspacePool.is_alive): a WS-Transfer Get
 * of the shell. Alive when the server describes it Connected; not alive when it is Disconnected
 * (another client took it, or its IdleTimeOut passed), gone (UnexpectedSelectors), the Get timed
 * out, or the connection broke. Other faults are thrown.
 */
import { WsmanCode, WsmanFaultError, WsmanNetworkError, WsmanTimeoutError } from '../../core/errors.js';
import type { RunspacePool } from './powershell.js';
import { WsmanRunspace } from './wsman.js';

/** Why isAlive answered false, for callers that want to know. */
export type NotAliveReason = 'Disconnected' | 'Gone' | 'TimedOut' | 'ConnectionLost';

/**
 * PowerShell: `(Get-PSSession -ComputerName …).State`, the shell's state as the server reports it
 * (Opened while ours). WS-Man pools only; an out-of-process pool is alive while it is Opened.
 * `timeout` in ms bounds the Get; `operationTimeout` in ms is the Get's OperationTimeout header
 * (pypsrp's is_alive(timeout=…) sets it; default the client's). A pool of ours (Opened) found not
 * alive is Closed for us, as pypsrp marks it: close() then sends no Delete.
 */
export async function isAlive(pool: RunspacePool, opts: {
  timeout?: number; operationTimeout?: number; signal?: AbortSignal; onNotAlive?: (reason: NotAliveReason, err?: Error) => void;
} = {}): Promise<boolean> {
  const t = pool.transport;
  if (!(t instanceof WsmanRunspace) || !t.shell) return pool.core.state === 'Opened';
  const signals = [opts.signal, opts.timeout !== undefined ? AbortSignal.timeout(opts.timeout) : undefined].filter((s): s is AbortSignal => !!s);
  const no = (reason: NotAliveReason, err?: Error): false => {
    t.notAlive();
    opts.onNotAlive?.(reason, err);
    return false;
  };
  try {
    const fields = await t.shell.get(signals.length ? AbortSignal.any(signals) : undefined, opts.operationTimeout !== undefined ? { operationTimeout: opts.operationTimeout } : {});
    return fields.state === 'Disconnected' ? no('Disconnected') : true;
  } catch (err) {
    if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.UnexpectedSelectors) return no('Gone', err);
    if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.TimedOut) return no('TimedOut', err);
    if (err instanceof WsmanTimeoutError) return no('TimedOut', err);
    if (err instanceof WsmanNetworkError) return no('ConnectionLost', err);
    throw err;
  }
}
