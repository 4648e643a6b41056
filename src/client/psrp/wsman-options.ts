/** The options of a PSRP pool over WS-Man (WsmanRunspace): New-PSSession and New-PSSessionOption's. */
import type { RetryPolicy } from '../receive.js';

export interface WsmanRunspaceOptions {
  /** A configuration name (`Microsoft.PowerShell`, a JEA endpoint…) or a full resource URI. */
  configurationName?: string;
  /** The ShellId to ask for; default the pool's id (PowerShell uses the RunspacePool id). */
  shellId?: string;
  /** The shell's Name (New-PSSession -Name, Invoke-Command -InDisconnectedSession -SessionName). */
  name?: string;
  /** The Create's `protocolversion` option (default 2.3, as PowerShell 5.1 and 7 send). */
  protocolVersion?: string;
  /** IdleTimeOut of the shell in ms (New-PSSessionOption -IdleTimeout). */
  idleTimeout?: number;
  /** New-PSSessionOption -OutputBufferingMode. */
  outputBufferingMode?: 'Block' | 'Drop';
  /**
   * Closing an ended pipeline sends Signal terminate even after its command was Done (as pypsrp
   * does for each invocation in test_psrp_multiple_invocations); default false: a Done command
   * needs nothing more, and the shell's Delete releases everything.
   */
  terminateWhenDone?: boolean;
  /**
   * Offer xpress compression on Create (default false; Windows PowerShell offers it unless
   * -NoCompression) and, when the server accepts, compress Sends and decompress Receives.
   */
  compression?: boolean;
  /**
   * Keep one Receive without CommandId outstanding while the pool is Opened (after the open, a
   * Reconnect and a Connect), re-issued on each w:TimedOut, so what the server sends the pool while
   * nothing is pending (PUBLIC_KEY_REQUEST, RUNSPACEPOOL_HOST_CALL, a Broken state) is handled at
   * once; a fault on it leaves the pool Broken. Default true, as PowerShell's client
   * (WSManClientSessionTransportManager) does; false receives pool messages only while opening and
   * once after each pool message sent, as pypsrp does.
   */
  poolReceive?: boolean;
  /** Robust connection: how long a pipeline's lost Receive is retried (default: not retried). */
  retry?: RetryPolicy;
  /** Observer: a lost Receive is being retried. */
  onRetry?: (attempt: number, err: unknown) => void;
  signal?: AbortSignal;
}
