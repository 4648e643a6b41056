/** The WS-Management client: WsmanClient (generic operations), Shell and Command, fan-out. */
export { WsmanClient, type RequestOptions, type RawExchange } from './client.js';
export { Shell, configurationUri, newGuid, type ShellOptions, type RunOptions } from './shell.js';
export { Command, CommandDetachedError, type CommandOutput } from './command.js';
export { invokeCommand, invokeOnComputers, type InvokeSpec, type InvokeResult, type FanOutResult, type FanOutOptions } from './invoke.js';
export { receiveUntilDone, isTimedOutFault, isConnectionLost, ROBUST_RETRY, type ReceiveTarget, type RetryPolicy } from './receive.js';
export { WsmanRedirectError, type RedirectPolicy } from './redirect.js';
export { DEFAULTS as CLIENT_DEFAULTS, endpointUrl, computerNameOf, type Endpoint, type SessionOptions, type ClientOptions } from './options.js';
export * from './sessions/index.js';
/** PowerShell remoting (PSRP): RunspacePool and PowerShell over WS-Man or a local `pwsh -s`. */
export { RunspacePool, PowerShell, PipelineFailedError, errorRecordMessage, type RunspacePoolOptions, type RunspaceTarget, type PowerShellStreams } from './psrp/powershell.js';
export { WsmanRunspace, fragmentSizeFor, DEFAULT_CONFIGURATION, type WsmanRunspaceOptions } from './psrp/wsman.js';
export { OutOfProcessRunspace, type OutOfProcessOptions } from './psrp/outofproc.js';
export type { PsrpTransport } from './psrp/transport.js';
