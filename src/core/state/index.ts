/** Sans-IO state machines for shells and commands, shared by the listener and the client. */
export { WsmanStateError } from './errors.js';
export { StateMachine, type Table, type FaultPolicy } from './table.js';
export { shellMachine, SHELL_TABLE, type ShellState, type ShellEvent } from './shell.js';
export { commandMachine, COMMAND_TABLE, type CommandStateKind, type CommandEvent } from './command.js';
export {
  sessionMachine, SESSION_TABLE, sessionStateOf, connectVerbOf, commandVerbOf, type SessionPhase, type SessionEvent,
} from './session.js';
