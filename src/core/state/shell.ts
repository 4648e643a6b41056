/**
 * The connection state of a WinRS shell, from the listener's side (MS-WSMV §3.1.4.15–3.1.4.17,
 * protocol.md §4). The client uses the same table to refuse calls before sending them.
 *
 *   Connected ──Disconnect / KeepAliveLost──▶ Disconnected ──Reconnect / Connect──▶ Connected
 *        └────────── Delete / IdleExpired ──▶ Closed ◀── Delete / IdleExpired ──────┘
 *
 * Reconnect on a Connected shell is allowed by the table (same client: Windows ignores it); the
 * listener refuses it first when the caller is another client (2150859213).
 */
import { StateMachine, type Table } from './table.js';
import { WsmanCode } from '../errors.js';

export type ShellState = 'Connected' | 'Disconnected' | 'Closed';

export type ShellEvent =
  | 'Get' | 'Command' | 'Send' | 'Receive' | 'Signal' | 'Delete'
  | 'Disconnect' | 'Reconnect' | 'Connect'
  /** The client sent nothing for the keep-alive window (unintentional disconnection). */
  | 'KeepAliveLost'
  /** IdleTimeOut passed with no client: the server deletes the shell. */
  | 'IdleExpired';

export const SHELL_TABLE: Table<ShellState, ShellEvent> = {
  Connected: {
    Get: 'Connected', Command: 'Connected', Send: 'Connected', Receive: 'Connected', Signal: 'Connected',
    Reconnect: 'Connected', Disconnect: 'Disconnected', KeepAliveLost: 'Disconnected',
    Delete: 'Closed', IdleExpired: 'Closed',
  },
  Disconnected: {
    Get: 'Disconnected', Reconnect: 'Connected', Connect: 'Connected',
    Delete: 'Closed', IdleExpired: 'Closed',
  },
  Closed: {},
};

/** The shell machine; refused events carry the fault Windows answers with. */
export const shellMachine = new StateMachine<ShellState, ShellEvent>('shell', SHELL_TABLE, (event, state) => {
  if (state === 'Closed') return { wsmanCode: WsmanCode.UnexpectedSelectors };
  if (state === 'Disconnected') {
    if (event === 'Disconnect') return { wsmanCode: WsmanCode.ShellAlreadyDisconnected };
    return { wsmanCode: WsmanCode.ShellDisconnected };
  }
  if (event === 'Connect') return { wsmanCode: WsmanCode.ShellConnectedToDifferentClient };
  return undefined;
});
