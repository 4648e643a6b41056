/** The parameters of the PSSession cmdlets beyond the connection (see manager.ts). */
import type { OutputBufferingMode } from './model.js';
import { WsmanUsageError } from '../../core/errors.js';

/** New-PSSession's parameters (beyond the connection). */
export interface NewSessionOptions {
  /** -Name (default `Session<Id>`). */
  name?: string;
  /** -ConfigurationName (`Microsoft.PowerShell`: a PowerShell session, a runspace pool), `cmd`, or a resource URI (default `Microsoft.PowerShell`, as New-PSSession). */
  configurationName?: string;
  /** New-PSSessionOption -IdleTimeout, ms. */
  idleTimeout?: number;
  /** New-PSSessionOption -OutputBufferingMode. */
  outputBufferingMode?: OutputBufferingMode;
  signal?: AbortSignal;
}

/** Get-PSSession -ComputerName's options. */
export interface GetSessionsOptions {
  /**
   * Enumerate each listed shell's commands into `remoteCommands` (default true, as PowerShell
   * does). Windows accepts a command enumeration only with a ShellId SelectorFilter (else
   * 0x803381C0), so this is one request per shell: pass false when the commands are not shown.
   */
  commands?: boolean;
  /** MaxEnvelopeSize asked for the shell enumeration only (fewer Pulls); refused: the client's size. */
  maxEnvelopeSize?: number;
}

/** Disconnect-PSSession's parameters. */
export interface DisconnectOptions {
  /** -IdleTimeoutSec, in ms: at most the server's MaxIdleTimeout (else the server's fault). */
  idleTimeout?: number;
  /** -OutputBufferingMode. */
  outputBufferingMode?: OutputBufferingMode;
}

/** An IdleTimeout over the server's MaxIdleTimeout, said with both values (seconds, as the CLI takes them). */
export function idleTimeoutRange(ms: number, max: number, cause?: unknown): WsmanUsageError {
  const err = new WsmanUsageError(`IdleTimeout ${ms / 1000} s is above the server's MaxIdleTimeout (${Math.floor(max / 1000)} s)`, 'ERR_IDLE_TIMEOUT_RANGE');
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return err;
}
