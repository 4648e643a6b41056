/**
 * The life of a session as one client sees it (PowerShell's PSSession: New-PSSession,
 * Disconnect-PSSession, Connect-PSSession, Receive-PSSession, Remove-PSSession; protocol.md §5),
 * the same for cmd (WinRS) shells and PowerShell runspace pools. The shell table (shell.ts) is the
 * server's view of one shell; this one is the client's view of it, which also says how this
 * client may take it back:
 *
 *   New ─▶ Opened ──Disconnect / Lost──▶ Disconnected ──Connect (WS-Man Reconnect)──▶ Reconnected
 *            │                               │ ReconnectRefused (another client took it since)
 *            │                               ▼
 *            │    Listed: server Connected   Free ──Connect (WS-Man Connect)──▶ Connected
 *            │   ┌────────────────────────▶ HeldElsewhere (Busy) ──Listed: server Disconnected──▶ Free
 *            │   (Connect is still tried: the server answers; ConnectRefused keeps it HeldElsewhere)
 *            └─ Remove ─▶ Closed;  Vanished (the server has no such shell) ─▶ Broken ─ Remove ─▶ Closed
 *
 * Opened, Reconnected and Connected are all PowerShell's State Opened; they differ in the WS-Man
 * verb that connects the session's commands (none after New: they were never disconnected).
 * Disconnected (ours: Reconnect takes it back), Free (Connect takes it) and HeldElsewhere
 * (another client holds it: Availability Busy) are all State Disconnected.
 */
import { StateMachine, type Table } from './table.js';
import { WsmanCode } from '../errors.js';

export type SessionPhase = 'Opened' | 'Reconnected' | 'Connected' | 'Disconnected' | 'Free' | 'HeldElsewhere' | 'Closed' | 'Broken';

export type SessionEvent =
  /** Invoke-Command -Session: a command or pipeline started (only while we hold the session). */
  | 'Invoke'
  /** Receive-PSSession on a session we hold (one that is not held first goes through Connect). */
  | 'Receive'
  | 'Disconnect'
  /** Connect-PSSession: Reconnect when we were its last client, Connect when it is free. */
  | 'Connect'
  | 'Remove'
  /** The connection was lost for longer than the robust-connection retries (unintentional disconnection). */
  | 'Lost'
  /** Reconnect was refused: another client connected to it since (ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH). */
  | 'ReconnectRefused'
  /** Connect was refused: another client holds it (ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT). */
  | 'ConnectRefused'
  /** Get-PSSession -ComputerName: the server reports the shell Connected (to us when we hold it). */
  | 'ListedConnected'
  /** Get-PSSession -ComputerName: the server reports the shell Disconnected. */
  | 'ListedDisconnected'
  /** The server no longer has the shell (not listed, or a fault saying no such shell). */
  | 'Vanished';

const held = (self: SessionPhase): Partial<Record<SessionEvent, SessionPhase>> => ({
  Invoke: self, Receive: self, Connect: self, ListedConnected: self,
  Disconnect: 'Disconnected', Lost: 'Disconnected', ListedDisconnected: 'Disconnected',
  Remove: 'Closed', Vanished: 'Broken',
});

export const SESSION_TABLE: Table<SessionPhase, SessionEvent> = {
  Opened: held('Opened'),
  Reconnected: held('Reconnected'),
  Connected: held('Connected'),
  Disconnected: {
    Connect: 'Reconnected', ReconnectRefused: 'Free', ConnectRefused: 'HeldElsewhere', Disconnect: 'Disconnected',
    ListedConnected: 'HeldElsewhere', ListedDisconnected: 'Disconnected', Remove: 'Closed', Vanished: 'Broken',
  },
  Free: {
    Connect: 'Connected', ConnectRefused: 'HeldElsewhere', Disconnect: 'Free',
    ListedConnected: 'HeldElsewhere', ListedDisconnected: 'Free', Remove: 'Closed', Vanished: 'Broken',
  },
  HeldElsewhere: {
    Connect: 'Connected', ConnectRefused: 'HeldElsewhere', ListedConnected: 'HeldElsewhere', ListedDisconnected: 'Free', Remove: 'Closed', Vanished: 'Broken',
  },
  Broken: { Remove: 'Closed', Vanished: 'Broken' },
  Closed: { Remove: 'Closed' },
};

/** PowerShell's PSSession.State of a phase. */
export function sessionStateOf(phase: SessionPhase): 'Opened' | 'Disconnected' | 'Closed' | 'Broken' {
  switch (phase) {
    case 'Opened': case 'Reconnected': case 'Connected': return 'Opened';
    case 'Disconnected': case 'Free': case 'HeldElsewhere': return 'Disconnected';
    default: return phase;
  }
}

/** The WS-Man verb Connect-PSSession sends in a phase (none when the session is held already or gone). */
export function connectVerbOf(phase: SessionPhase): 'Reconnect' | 'Connect' | undefined {
  if (phase === 'Disconnected') return 'Reconnect';
  if (phase === 'Free') return 'Connect';
  return undefined;
}

/** The verb that connected a held session's commands: Reconnect or Connect, none for a session created here. */
export function commandVerbOf(phase: SessionPhase): 'Reconnect' | 'Connect' | undefined {
  if (phase === 'Reconnected') return 'Reconnect';
  if (phase === 'Connected') return 'Connect';
  return undefined;
}

/** The session machine; a refused event carries the fault Windows answers the same request with. */
export const sessionMachine = new StateMachine<SessionPhase, SessionEvent>('session', SESSION_TABLE, (event, phase) => {
  if (phase === 'Closed' || phase === 'Broken') return { wsmanCode: WsmanCode.UnexpectedSelectors };
  if (phase === 'HeldElsewhere' && (event === 'Invoke' || event === 'Receive' || event === 'Disconnect')) return { wsmanCode: WsmanCode.ShellConnectedToDifferentClient };
  if (event === 'Invoke' || event === 'Receive') return { wsmanCode: WsmanCode.ShellDisconnected };
  return undefined;
});
