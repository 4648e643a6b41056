/**
 * PSSession: one server shell as this client knows it (PowerShell's PSSession object). The
 * SessionManager creates, finds and changes sessions; this object holds their state.
 */
import type { WsmanClient } from '../client.js';
import type { Shell } from '../shell.js';
import type { Command } from '../command.js';
import type { RemoteCommandInfo } from './enumerate.js';
import type { RunspacePool } from '../psrp/powershell.js';
import { WsmanRunspace } from '../psrp/wsman.js';
import { sessionMachine, sessionStateOf, commandVerbOf, type SessionEvent, type SessionPhase } from '../../core/state/index.js';
import {
  availabilityOf, configurationNameOf, isPowerShellUri, type Availability, type OutputBufferingMode, type PSSessionJson, type SessionState,
} from './model.js';

/** How this client last connected the shell: its commands are then connected the same way. */
export type ConnectVerb = 'Connect' | 'Reconnect';

/** A session. PowerShell: PSSession (New-PSSession, Get-PSSession). */
export class PSSession {
  /** Unique within this client (the SessionManager). */
  readonly id: number;
  name: string;
  /** The ShellId. */
  readonly instanceId: string;
  readonly computerName: string;
  readonly resourceUri: string;
  /**
   * Where the session is in its life for this client (core/state/session.ts): every change goes
   * through `apply(event)`, named for the cmdlet or what the server said.
   */
  phase: SessionPhase;
  /** IdleTimeout in ms, as last set or reported. */
  idleTimeout: number | undefined;
  /** The server's MaxIdleTimeout in ms, when it said (Create response, enumeration). */
  maxIdleTimeout: number | undefined;
  outputBufferingMode: OutputBufferingMode | undefined;
  disconnectedOn: Date | undefined;
  expiresOn: Date | undefined;
  readonly client: WsmanClient;
  /** The server's shell (for a PowerShell session, the runspace pool's shell). */
  shell: Shell;
  /** A PowerShell session's runspace pool, once this client opened or connected it. */
  pool: RunspacePool | undefined;
  /** Commands this client is receiving, by CommandId. */
  readonly commands = new Map<string, Command>();
  /** SequenceId counters per CommandId, kept across Disconnect/Reconnect (see receive.ts). */
  readonly sequences = new Map<string, { next: number }>();
  /** Commands known to run in the shell that nobody here receives (started disconnected, detached). */
  readonly pendingCommands = new Set<string>();
  /** The shell's commands as the server last listed them (Get-PSSession -ComputerName). */
  remoteCommands: RemoteCommandInfo[] = [];
  /** Commands still to connect after the shell was (re)connected. */
  readonly commandsToConnect = new Set<string>();
  /** The script of each pipeline this client started in a PowerShell session, by CommandId (upper case). */
  readonly pipelineScripts = new Map<string, string>();

  constructor(init: {
    id: number; name: string; instanceId: string; computerName: string; resourceUri: string; phase: SessionPhase;
    client: WsmanClient; shell: Shell; idleTimeout?: number; outputBufferingMode?: OutputBufferingMode;
  }) {
    this.id = init.id;
    this.name = init.name;
    this.instanceId = init.instanceId.toUpperCase();
    this.computerName = init.computerName;
    this.resourceUri = init.resourceUri;
    this.phase = init.phase;
    this.client = init.client;
    this.shell = init.shell;
    this.idleTimeout = init.idleTimeout;
    this.maxIdleTimeout = init.shell.info.maxIdleTimeOut;
    this.outputBufferingMode = init.outputBufferingMode;
  }

  /** PowerShell's State, relative to this client. */
  get state(): SessionState {
    return sessionStateOf(this.phase);
  }

  /** Connected to another client (Availability Busy while Disconnected for us). */
  get heldElsewhere(): boolean {
    return this.phase === 'HeldElsewhere';
  }

  /** This client was the last to hold the shell (it disconnected it, or lost the connection): Reconnect, not Connect, takes it back. */
  get disconnectedByUs(): boolean {
    return this.phase === 'Disconnected';
  }

  /** How this client connected the shell it holds (its commands are connected the same way); none after New. */
  get lastVerb(): ConnectVerb | undefined {
    return commandVerbOf(this.phase);
  }

  /** A PowerShell runspace pool (…/powershell/NAME), not a cmd shell. */
  get isPowerShell(): boolean {
    return isPowerShellUri(this.resourceUri);
  }

  /** Move to the phase `event` leads to (WsmanStateError when the table refuses it); keeps DisconnectedOn/ExpiresOn in step. */
  apply(event: SessionEvent, now: number = Date.now()): SessionPhase {
    const before = this.state;
    this.phase = sessionMachine.next(this.phase, event);
    const after = this.state;
    if (after === 'Opened') {
      this.disconnectedOn = undefined;
      this.expiresOn = undefined;
    } else if (after === 'Disconnected' && before === 'Opened') {
      this.disconnectedOn = new Date(now);
      this.expiresOn = this.idleTimeout !== undefined ? new Date(now + this.idleTimeout) : undefined;
    }
    return this.phase;
  }

  /** Whether the table allows `event` now. */
  can(event: SessionEvent): boolean {
    return sessionMachine.can(this.phase, event);
  }

  /** ConfigurationName: PowerShell's name after …/powershell/, `cmd` for the WinRS shell. */
  get configurationName(): string {
    return configurationNameOf(this.resourceUri);
  }

  /** Whether one of our commands is running here. */
  get running(): boolean {
    for (const c of this.commands.values()) if (c.receiving) return true;
    const t = this.pool?.transport;
    return this.state === 'Opened' && t instanceof WsmanRunspace && t.livePipelines.length > 0;
  }

  /** Available, Busy or None (see Availability). */
  get availability(): Availability {
    return availabilityOf(this.state, this.running, this.heldElsewhere);
  }

  /** The SequenceId counter of a command. */
  sequenceOf(commandId: string): { next: number } {
    const key = commandId.toUpperCase();
    let s = this.sequences.get(key);
    if (!s) {
      s = { next: 1 };
      this.sequences.set(key, s);
    }
    return s;
  }

  /** PowerShell's property names and values (what `Get-PSSession | ConvertTo-Json` shows, in short). */
  toJSON(): PSSessionJson {
    return {
      Id: this.id,
      Name: this.name,
      InstanceId: this.instanceId,
      ComputerName: this.computerName,
      State: this.state,
      ConfigurationName: this.configurationName,
      Availability: this.availability,
      IdleTimeout: this.idleTimeout === undefined ? null : Math.round(this.idleTimeout / 1000),
      OutputBufferingMode: this.outputBufferingMode ?? null,
      DisconnectedOn: this.disconnectedOn?.toISOString() ?? null,
      ExpiresOn: this.expiresOn?.toISOString() ?? null,
    };
  }
}
