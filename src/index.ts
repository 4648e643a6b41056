/**
 * wsman: WS-Management (WinRM) for Node. The everyday surface, by task; everything else is under
 * the subpaths `wsman/core` (sans-IO envelopes, messages, faults, state machines), `wsman/client`
 * (every client piece: transport, shells, sessions, resources), `wsman/server` (the listener's
 * parts) and `wsman/auth` (NTLM, Negotiate, Kerberos, Basic, certificates, sealing).
 */

// Errors: every failure is a WsmanError with a stable `code`; a peer's fault is a WsmanFaultError.
export {
  WsmanError, WsmanUsageError, WsmanProtocolError, WsmanFaultError, WsmanNetworkError, WsmanTimeoutError, WsmanAuthError, WsmanTlsError,
} from './core/errors.js';

// Connect: one endpoint, its generic operations (Test-WSMan, Get-WSManInstance…).
export { WsmanClient, type RequestOptions } from './client/client.js';
export { endpointUrl, type ClientOptions, type Endpoint, type SessionOptions } from './client/options.js';

// Run a command (winrs.exe, Invoke-Command), on one computer or many.
export { invokeCommand, invokeOnComputers, type InvokeSpec, type InvokeResult, type FanOutResult, type FanOutOptions } from './client/invoke.js';
export { ROBUST_RETRY, type RetryPolicy } from './client/receive.js';
export { Shell, type ShellOptions, type RunOptions } from './client/shell.js';
export { Command, type CommandOutput } from './client/command.js';

// Invoke PowerShell (runspace pools and pipelines, [powershell]::Create(), Invoke-Command -ScriptBlock).
export { RunspacePool, PowerShell, PipelineFailedError, type RunspacePoolOptions, type RunspaceTarget, type PowerShellStreams } from './client/psrp/powershell.js';
export { SecureString } from './client/psrp/securestring.js';
export { getCommandMetadata, CommandTypes, type CommandMetadata } from './client/psrp/commandmeta.js';
export { isAlive } from './client/psrp/alive.js';
export { nonInteractiveHost, answerHostCall, HostError, type PSHost, type HostMethod, type HostMethodName, type HostCallContext } from './client/psrp/host.js';

// Disconnected sessions (New-, Get-, Disconnect-, Connect-, Receive-, Remove-PSSession).
export { SessionManager, type SessionManagerOptions, type NewSessionOptions, type DisconnectOptions } from './client/sessions/manager.js';
export { PSSession } from './client/sessions/session.js';
export { Job, type JobState, type JobOutput } from './client/sessions/job.js';
export { PowerShellJob, type PSJobRecord, type PSJobStream } from './client/sessions/psjob.js';
export type { SessionState, Availability, OutputBufferingMode, SessionFilter, PSSessionJson } from './client/sessions/model.js';

// Resources (winrm get/set/create/delete/enumerate/invoke, Get-CimInstance over WS-Man).
export {
  getResource, putResource, createResource, deleteResource, invokeMethod, enumerateResources, enumerateAll, resolveResourceUri,
  type ResourceInstance, type ResourceOptions, type EnumerateOptions, type PropertyValues,
} from './client/resources.js';

// The listener (`wsman listen`).
export { WsmanListener, type ListenerOptions, type ListeningEndpoint } from './server/listener.js';
export { UserStore, hashPassword, loadUsersFile, type ListenerUser } from './server/users.js';
export { defaultConfig, loadConfigFile, parseConfig, type ListenerConfig, type SessionConfiguration } from './server/config.js';
export { createLogger, type Logger, type LogLevel } from './server/log.js';
