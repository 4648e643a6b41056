/**
 * The transport RunspacePool.open() runs a new pool over: a WS-Man shell (New-PSSession) or a local
 * `pwsh -s` (out-of-process), with the sans-IO pool it drives, from RunspacePool's options.
 */
import { randomUUID } from 'node:crypto';
import { uiHostInfo } from '../../psrp/messages/pool.js';
import { ClientRunspacePool as PoolCore } from '../../psrp/pool.js';
import { WsmanClient } from '../client.js';
import { OutOfProcessRunspace } from './outofproc.js';
import type { RunspacePoolOptions, RunspaceTarget } from './pool-options.js';
import type { PsrpTransport } from './transport.js';
import { fragmentSizeFor, WsmanRunspace } from './wsman.js';

/** A transport for `target` with a pool not yet opened; `owned` is the WsmanClient made for it (closed with the pool). */
export async function transportFor(target: RunspaceTarget, opts: RunspacePoolOptions): Promise<{ transport: PsrpTransport; owned: WsmanClient | undefined }> {
  const poolOptions = {
    rpid: opts.instanceId ?? randomUUID(),
    ...(opts.minRunspaces !== undefined ? { minRunspaces: opts.minRunspaces } : {}),
    ...(opts.maxRunspaces !== undefined ? { maxRunspaces: opts.maxRunspaces } : {}),
    ...(opts.applicationArguments !== undefined ? { applicationArguments: opts.applicationArguments } : {}),
    ...(opts.host ? { hostInfo: uiHostInfo() } : {}),
  };
  if ('outOfProcess' in target) return { transport: new OutOfProcessRunspace(new PoolCore(poolOptions), target.outOfProcess), owned: undefined };
  let owned: WsmanClient | undefined;
  const client = target instanceof WsmanClient ? target : (owned = new WsmanClient(target));
  await client.prepare(opts.signal);
  const pool = new PoolCore({ ...poolOptions, maxFragmentSize: fragmentSizeFor(client.maxEnvelopeSize) });
  const transport = new WsmanRunspace(client, pool, {
    ...(opts.configurationName !== undefined ? { configurationName: opts.configurationName } : {}),
    ...(opts.idleTimeout !== undefined ? { idleTimeout: opts.idleTimeout } : {}),
    ...(opts.compression ? { compression: true } : {}),
    ...(opts.shellId !== undefined ? { shellId: opts.shellId } : {}),
    ...(opts.outputBufferingMode ? { outputBufferingMode: opts.outputBufferingMode } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.poolReceive !== undefined ? { poolReceive: opts.poolReceive } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { transport, owned };
}
