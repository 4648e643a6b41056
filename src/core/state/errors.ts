/**
 * The error raised when an operation is not allowed in the current state of a shell or command
 * (h11's LocalProtocolError/RemoteProtocolError idea: the table says no, the error says why).
 */
import { WsmanError, type FaultHint } from '../errors.js';

/**
 * `action` was attempted on a `machine` (shell connection, command…) in `state`; only `allowed`
 * states permit it. `fault` says how a listener answers a peer that asked for it.
 */
export class WsmanStateError extends WsmanError {
  readonly machine: string;
  readonly action: string;
  readonly state: string;
  readonly allowed: readonly string[];
  readonly fault: FaultHint | undefined;
  constructor(machine: string, action: string, state: string, allowed: readonly string[], fault?: FaultHint) {
    const where = allowed.length ? `allowed only when ${allowed.join(' or ')}` : 'never allowed';
    super('ERR_STATE', `${action} is not valid for a ${machine} in state ${state} (${where})`);
    this.name = 'WsmanStateError';
    this.machine = machine;
    this.action = action;
    this.state = state;
    this.allowed = allowed;
    this.fault = fault;
  }
}
