/** The options of RunspacePool.open and the shape of a pipeline's streams (PowerShell: PSDataStreams). */
import type { PSValue } from '../../psrp/clixml/model.js';
import type { ErrorRecordMessage, InformationalRecordMessage, InformationRecordMessage, ProgressRecordMessage } from '../../psrp/messages/records.js';
import type { PipelineState } from '../../psrp/pipeline.js';
import type { WsmanClient } from '../client.js';
import type { ClientOptions } from '../options.js';
import type { Channel } from './channel.js';
import type { PSHost } from './host.js';
import type { OutOfProcessOptions } from './outofproc.js';
import type { WsmanRunspaceOptions } from './wsman.js';

/** The streams of a running pipeline. PowerShell: PSDataStreams and the output PSDataCollection. */
export interface PowerShellStreams {
  output: AsyncIterable<PSValue>;
  error: AsyncIterable<ErrorRecordMessage>;
  warning: AsyncIterable<InformationalRecordMessage>;
  verbose: AsyncIterable<InformationalRecordMessage>;
  debug: AsyncIterable<InformationalRecordMessage>;
  information: AsyncIterable<InformationRecordMessage>;
  progress: AsyncIterable<ProgressRecordMessage>;
  /** The final state (Completed, Failed or Stopped); PowerShell: EndInvoke(). Never rejects. */
  completion: Promise<{ state: PipelineState; error?: PSValue }>;
}

export type Channels = {
  output: Channel<PSValue>;
  error: Channel<ErrorRecordMessage>;
  warning: Channel<InformationalRecordMessage>;
  verbose: Channel<InformationalRecordMessage>;
  debug: Channel<InformationalRecordMessage>;
  information: Channel<InformationRecordMessage>;
  progress: Channel<ProgressRecordMessage>;
};

/** Where a pool runs: a WS-Man endpoint (New-PSSession) or a local `pwsh -s` (out-of-process). */
export type RunspaceTarget = ClientOptions | WsmanClient | { outOfProcess: OutOfProcessOptions };

export interface RunspacePoolOptions {
  /** PowerShell: -ConfigurationName (default Microsoft.PowerShell). WS-Man only. */
  configurationName?: string;
  minRunspaces?: number;
  maxRunspaces?: number;
  /** $PSSenderInfo.ApplicationArguments (New-PSSessionOption -ApplicationArguments). */
  applicationArguments?: PSValue;
  /** IdleTimeOut in ms (New-PSSessionOption -IdleTimeout). WS-Man only. */
  idleTimeout?: number;
  /** Offer xpress compression (WS-Man only; default false, New-PSSessionOption -NoCompression). */
  compression?: boolean;
  /** The pool's id (PowerShell: RunspacePool.InstanceId); default a new GUID. */
  instanceId?: string;
  /** The ShellId to ask for (WS-Man); default the pool's id, as PowerShell does. */
  shellId?: string;
  /** New-PSSessionOption -OutputBufferingMode. WS-Man only. */
  outputBufferingMode?: 'Block' | 'Drop';
  /** New-PSSession -Name: the shell's name on the server. WS-Man only. */
  name?: string;
  /** WS-Man: keep the pool's own Receive outstanding while it is Opened (default true, as PowerShell does; false as pypsrp). See WsmanRunspaceOptions.poolReceive. */
  poolReceive?: boolean;
  /** Robust connection (WS-Man): how long a pipeline's lost Receive is retried, and who hears of each retry. */
  retry?: WsmanRunspaceOptions['retry'];
  onRetry?: WsmanRunspaceOptions['onRetry'];
  signal?: AbortSignal;
  /** Answers the server's host calls (Write-Host, Read-Host…), e.g. nonInteractiveHost(…); without one the server sees no host. PowerShell: the client's $Host. */
  host?: PSHost;
  /** Items each pipeline stream holds unread (default 10000); a full one stops receiving until read (progress drops its oldest), so read or break out of every stream. */
  streamCapacity?: number;
}
