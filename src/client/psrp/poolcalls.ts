/**
 * Calls on an open runspace pool that the server answers with RUNSPACE_AVAILABILITY (MS-PSRP
 * 2.2.2.6-2.2.2.8, 2.2.2.11, RESET_RUNSPACE_STATE), matched by call id. PowerShell:
 * RunspacePool.SetMaxRunspaces / SetMinRunspaces / GetAvailableRunspaces, and ResetRunspaceState.
 */
import { EMPTY_GUID } from '../../psrp/message.js';
import type { TypedMessage } from '../../psrp/messages/index.js';
import type { RunspaceAvailability } from '../../psrp/messages/pool.js';
import type { RunspacePool } from './powershell.js';

const callIds = new WeakMap<RunspacePool, bigint>();

async function call(pool: RunspacePool, build: (callId: bigint) => TypedMessage, signal?: AbortSignal): Promise<RunspaceAvailability['response']> {
  const callId = (callIds.get(pool) ?? -1n) + 1n; // from 0, as the recorded client (Windows answers any)
  callIds.set(pool, callId);
  const answer = pool.poolAnswer((m): m is RunspaceAvailability => m.type === 'RUNSPACE_AVAILABILITY' && m.callId === callId, signal);
  pool.core.queueMessage(EMPTY_GUID, build(callId));
  await pool.transport.flush();
  return (await answer).response;
}

/** PowerShell: RunspacePool.SetMaxRunspaces(n). True when the server took it. */
export async function setMaxRunspaces(pool: RunspacePool, runspaces: number, signal?: AbortSignal): Promise<boolean> {
  return (await call(pool, (callId) => ({ type: 'SET_MAX_RUNSPACES', runspaces, callId }), signal)) === true;
}

/** PowerShell: RunspacePool.SetMinRunspaces(n). True when the server took it. */
export async function setMinRunspaces(pool: RunspacePool, runspaces: number, signal?: AbortSignal): Promise<boolean> {
  return (await call(pool, (callId) => ({ type: 'SET_MIN_RUNSPACES', runspaces, callId }), signal)) === true;
}

/** PowerShell: RunspacePool.GetAvailableRunspaces(). */
export async function getAvailableRunspaces(pool: RunspacePool, signal?: AbortSignal): Promise<number> {
  return Number(await call(pool, (callId) => ({ type: 'GET_AVAILABLE_RUNSPACES', callId }), signal));
}

/** PowerShell: RunspacePool.ResetRunspaceState() (protocol 2.3). True when the server reset it. */
export async function resetRunspaceState(pool: RunspacePool, signal?: AbortSignal): Promise<boolean> {
  return (await call(pool, (callId) => ({ type: 'RESET_RUNSPACE_STATE', callId }), signal)) === true;
}
