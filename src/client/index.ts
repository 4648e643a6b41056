/**
 * `wsman/client`: every client piece. WsmanClient (generic operations), Shell and Command, fan-out,
 * sessions, resources, and the HTTP transport under them.
 */
export { WsmanClient, type RequestOptions, type RawExchange } from './client.js';
export { Shell, configurationUri, newGuid, type ShellOptions, type RunOptions } from './shell.js';
export { Command, CommandDetachedError, type CommandOutput } from './command.js';
export { invokeCommand, invokeOnComputers, type InvokeSpec, type InvokeResult, type FanOutResult, type FanOutOptions } from './invoke.js';
export { receiveUntilDone, isTimedOutFault, isConnectionLost, ROBUST_RETRY, type ReceiveTarget, type RetryPolicy } from './receive.js';
export { WsmanRedirectError, type RedirectPolicy } from './redirect.js';
export { DEFAULTS as CLIENT_DEFAULTS, endpointUrl, computerNameOf, type Endpoint, type SessionOptions, type ClientOptions } from './options.js';
export * from './sessions/index.js';
export {
  resolveResourceUri, getResource, putResource, createResource, deleteResource, invokeMethod, enumerateResources, enumerateAll,
  instanceOf, propertiesJson, RESOURCE_ALIASES, WQL_DIALECT,
  type ResolvedResource, type ResourceInstance, type ResourceOptions, type EnumerateOptions, type EndpointReference, type PropertyValues, type CreatedResource,
} from './resources.js';
export * from '../transport/index.js';
/** PowerShell remoting (PSRP): RunspacePool and PowerShell over WS-Man or a local `pwsh -s`. */
export { RunspacePool, PowerShell, PipelineFailedError, errorRecordMessage, type RunspacePoolOptions, type RunspaceTarget, type PowerShellStreams } from './psrp/powershell.js';
export { WsmanRunspace, fragmentSizeFor, DEFAULT_CONFIGURATION, type WsmanRunspaceOptions } from './psrp/wsman.js';
export { OutOfProcessRunspace, type OutOfProcessOptions } from './psrp/outofproc.js';
export type { PsrpTransport } from './psrp/transport.js';
export { getCommandMetadata, CommandTypes, type CommandMetadata, type CommandMetadataOptions } from './psrp/commandmeta.js';
export { isAlive, type NotAliveReason } from './psrp/alive.js';
export { SecureString } from './psrp/securestring.js';
