/** Disconnected sessions (PowerShell's PSSession cmdlets): the model, the manager, jobs, the local state file. */
export { SessionManager, type SessionManagerOptions, type NewSessionOptions, type DisconnectOptions } from './manager.js';
export { PSSession, type ConnectVerb } from './session.js';
export { Job, type JobState, type JobOutput } from './job.js';
export { PowerShellJob, PS_JOB_CAPACITY, type PSJobRecord, type PSJobStream } from './psjob.js';
export { type ReceiveOptions, type HostReceiveResult } from './receive.js';
export { enumerateShells, enumerateCommands, enumerateAllCommands, commandsOfShells, type RemoteCommandInfo } from './enumerate.js';
export {
  deriveState, availabilityOf, remoteShellInfo, configurationNameOf, isPowerShellUri, wildcardMatch, matchesFilter, normaliseGuid,
  type SessionState, type Availability, type OutputBufferingMode, type PSSessionJson, type RemoteShellInfo, type SessionFilter,
} from './model.js';
export { SessionStateFile, sessionStateFile, recordOf, type SessionRecord } from './statefile.js';
export { sessionTable, jobTable, SESSION_COLUMNS, JOB_COLUMNS } from './format.js';
export { LocalSessions, type RecordResolver } from './local.js';
export { type ReceivedPipeline } from './powershell.js';
