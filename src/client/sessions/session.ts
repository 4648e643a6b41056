/**
 * PSSession: one server shell as this client knows it (PowerShell's PSSession object). The
 * SessionManager creates, finds and changes sessions; this object holds their state.
 */
import type { WsmanClient } from '../client.js';
import type { Shell } from '../shell.js';
import type { Command } from '../command.js';
import type { RemoteCommandInfo } from './enumerate.js';
import {
  availabilityOf, configurationNameOf, type Availability, type OutputBufferingMode, type PSSessionJson, type SessionState,
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
  /** Relative to this client. */
  state: SessionState;
  /** Connected to another client (Availability Busy while Disconnected for us). */
  heldElsewhere = false;
  /** IdleTimeout in ms, as last set or reported. */
  idleTimeout: number | undefined;
  /** The server's MaxIdleTimeout in ms, when it said (Create response, enumeration). */
  maxIdleTimeout: number | undefined;
  outputBufferingMode: OutputBufferingMode | undefined;
  disconnectedOn: Date | undefined;
  expiresOn: Date | undefined;
  readonly client: WsmanClient;
  readonly shell: Shell;
  /** Commands this client is receiving, by CommandId. */
  readonly commands = new Map<string, Command>();
  /** SequenceId counters per CommandId, kept across Disconnect/Reconnect (see receive.ts). */
  readonly sequences = new Map<string, { next: number }>();
  /** Commands known to run in the shell that nobody here receives (started disconnected, detached). */
  readonly pendingCommands = new Set<string>();
  /** This client disconnected it (a later connect is a Reconnect), or took it with Connect. */
  lastVerb: ConnectVerb | undefined;
  /** This client was the last to hold the shell (it disconnected it, or lost the connection): Reconnect, not Connect, takes it back. */
  disconnectedByUs = false;
  /** The shell's commands as the server last listed them (Get-PSSession -ComputerName). */
  remoteCommands: RemoteCommandInfo[] = [];
  /** Commands still to connect after the shell was (re)connected. */
  readonly commandsToConnect = new Set<string>();

  constructor(init: {
    id: number; name: string; instanceId: string; computerName: string; resourceUri: string; state: SessionState;
    client: WsmanClient; shell: Shell; idleTimeout?: number; outputBufferingMode?: OutputBufferingMode;
  }) {
    this.id = init.id;
    this.name = init.name;
    this.instanceId = init.instanceId.toUpperCase();
    this.computerName = init.computerName;
    this.resourceUri = init.resourceUri;
    this.state = init.state;
    this.client = init.client;
    this.shell = init.shell;
    this.idleTimeout = init.idleTimeout;
    this.maxIdleTimeout = init.shell.info.maxIdleTimeOut;
    this.outputBufferingMode = init.outputBufferingMode;
  }

  /** ConfigurationName: PowerShell's name after …/powershell/, `cmd` for the WinRS shell. */
  get configurationName(): string {
    return configurationNameOf(this.resourceUri);
  }

  /** Whether one of our commands is running here. */
  get running(): boolean {
    for (const c of this.commands.values()) if (c.receiving) return true;
    return false;
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

  /** Mark the session Disconnected now (DisconnectedOn now, ExpiresOn after IdleTimeout). */
  markDisconnected(now: number): void {
    this.state = 'Disconnected';
    this.disconnectedOn = new Date(now);
    this.expiresOn = this.idleTimeout !== undefined ? new Date(now + this.idleTimeout) : undefined;
  }

  /** Mark the session Opened (connected to us). */
  markOpened(): void {
    this.state = 'Opened';
    this.heldElsewhere = false;
    this.disconnectedOn = undefined;
    this.expiresOn = undefined;
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
