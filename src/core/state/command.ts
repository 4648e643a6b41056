/**
 * The life of one command in a shell (MS-WSMV §3.1.4.11–3.1.4.14, protocol.md §3.2–3.5):
 *
 *   Running ──Exit──▶ Done ──Terminate──▶ Terminated
 *      └──────────── Terminate ──────────────┘
 *
 * Running: the process runs; Send, Receive and Signal are allowed. Done: the process ended; the
 * rest of its output and its exit code can still be received, input is discarded. Terminated:
 * the client sent Signal terminate (or the shell was deleted); the command is gone.
 */
import { StateMachine, type Table } from './table.js';
import { WsmanCode } from '../errors.js';

export type CommandStateKind = 'Running' | 'Done' | 'Terminated';

export type CommandEvent = 'Send' | 'Receive' | 'Signal' | 'Exit' | 'Terminate';

export const COMMAND_TABLE: Table<CommandStateKind, CommandEvent> = {
  Running: { Send: 'Running', Receive: 'Running', Signal: 'Running', Exit: 'Done', Terminate: 'Terminated' },
  Done: { Send: 'Done', Receive: 'Done', Signal: 'Done', Terminate: 'Terminated' },
  Terminated: {},
};

export const commandMachine = new StateMachine<CommandStateKind, CommandEvent>('command', COMMAND_TABLE,
  (_event, state) => (state === 'Terminated' ? { wsmanCode: WsmanCode.UnexpectedSelectors } : undefined));
