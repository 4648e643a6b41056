/**
 * One server-side shell: what Create asked for, who owns it, which client holds it, its commands
 * and its connection state (src/core/state/shell.ts). Times are passed in (ms since the epoch).
 */
import { shellMachine, type ShellState, type ShellEvent } from '../core/state/index.js';
import type { BufferMode, ShellFields } from '../core/index.js';
import type { SessionConfiguration } from './config.js';
import type { ListenerUser } from './users.js';
import type { BackendCommand } from './command-base.js';
import type { ShellBackend } from './backends/backend.js';
import { MemoryBudget } from './budget.js';

let rss = { at: -Infinity, mb: 1 };
/**
 * The listener's resident memory in MB (a shell's MemoryUsed), read at most once a second:
 * reading it costs about half a millisecond on a small VM, and every Create reports it.
 */
function residentMb(now: number): number {
  if (now - rss.at >= 1000 || now < rss.at) rss = { at: now, mb: Math.max(1, Math.round(process.memoryUsage.rss() / 1048576)) };
  return rss.mb;
}

export interface ShellSpec {
  id: string;
  backend: ShellBackend;
  name?: string;
  config: SessionConfiguration;
  owner: ListenerUser;
  clientIp: string;
  /** The client's SessionId header (its "client id" for Reconnect), '' when it sent none. */
  clientId: string;
  environment: Record<string, string>;
  workingDirectory?: string;
  lifetimeMs?: number;
  idleTimeoutMs: number;
  inputStreams: string[];
  outputStreams: string[];
  locale: string;
  dataLocale: string;
  noProfile: boolean;
  codepage?: string;
  bufferMode: BufferMode;
  creationXml?: string;
  /** `xpress` when Create carried rsp:CompressionType xpress (protocol.md §3.8). */
  compression?: 'xpress';
  now: number;
}

export class ServerShell {
  readonly id: string;
  readonly name: string | undefined;
  readonly config: SessionConfiguration;
  readonly owner: ListenerUser;
  clientIp: string;
  clientId: string;
  readonly environment: Record<string, string>;
  readonly workingDirectory: string | undefined;
  readonly lifetimeMs: number | undefined;
  idleTimeoutMs: number;
  readonly inputStreams: string[];
  readonly outputStreams: string[];
  readonly locale: string;
  readonly dataLocale: string;
  readonly noProfile: boolean;
  readonly codepage: string | undefined;
  bufferMode: BufferMode;
  readonly creationXml: string | undefined;
  /** Send and Receive stream data travel in WinRM's xpress chunks (core/xpress). */
  readonly compression: 'xpress' | undefined;
  state: ShellState = 'Connected';
  readonly createdAt: number;
  /** Last request from a client (any operation on this shell). */
  lastActivity: number;
  disconnectedAt: number | undefined;
  /** Disconnected by the keep-alive window, not by a Disconnect request. */
  lostKeepAlive = false;
  /** Requests in progress on this shell (a pending Receive keeps it active). */
  busy = 0;
  readonly commands = new Map<string, BackendCommand>();
  /** What runs this shell's commands (backends/). */
  readonly backend: ShellBackend;
  /** The backend's own state for this shell (the pwsh backend's process). */
  session: unknown;
  /** The shell's own output, for a Receive without CommandId (a PowerShell pool's messages). */
  shellOutput: BackendCommand | undefined;
  /** Output its commands hold (MaxMemoryPerShellMB); the store attaches it to the owner's budget. */
  readonly budget: MemoryBudget;

  constructor(s: ShellSpec) {
    this.budget = new MemoryBudget((s.config.maxMemoryPerShellMB ?? 0) * 1048576);
    this.id = s.id;
    this.backend = s.backend;
    this.name = s.name;
    this.config = s.config;
    this.owner = s.owner;
    this.clientIp = s.clientIp;
    this.clientId = s.clientId;
    this.environment = s.environment;
    this.workingDirectory = s.workingDirectory;
    this.lifetimeMs = s.lifetimeMs;
    this.idleTimeoutMs = s.idleTimeoutMs;
    this.inputStreams = s.inputStreams;
    this.outputStreams = s.outputStreams;
    this.locale = s.locale;
    this.dataLocale = s.dataLocale;
    this.noProfile = s.noProfile;
    this.codepage = s.codepage;
    this.bufferMode = s.bufferMode;
    this.creationXml = s.creationXml;
    this.compression = s.compression;
    this.createdAt = s.now;
    this.lastActivity = s.now;
  }

  /** Apply a table event (throws WsmanStateError with the fault to answer when not allowed). */
  transition(event: ShellEvent): void {
    this.state = shellMachine.next(this.state, event);
  }

  /** Every output source: the commands, and the shell's own (a PowerShell pool's) when it has one. */
  outputs(): BackendCommand[] {
    const all = [...this.commands.values()];
    if (this.shellOutput) all.push(this.shellOutput);
    return all;
  }

  command(id: string): BackendCommand | undefined {
    return this.commands.get(id.toUpperCase());
  }

  /** Every field Windows reports for a shell (Create response, Get, enumeration: protocol.md §5.1). */
  toFields(now: number, detail: { processId?: number; memoryUsed?: string } = {}): ShellFields {
    const f: ShellFields = {
      shellId: this.id,
      name: this.name ?? this.id,
      resourceUri: this.config.resourceUri,
      owner: this.owner.name,
      clientIp: this.clientIp,
      processId: detail.processId ?? this.backend.processId?.(this) ?? process.pid,
      idleTimeOut: this.idleTimeoutMs,
      inputStreams: this.inputStreams,
      outputStreams: this.outputStreams,
      maxIdleTimeOut: this.config.maxIdleTimeoutMs,
      locale: this.locale,
      dataLocale: this.dataLocale,
      compressionMode: this.compression ? 'XpressCompression' : 'NoCompression',
      profileLoaded: this.noProfile ? 'No' : 'Yes',
      encoding: 'UTF8',
      bufferMode: this.bufferMode,
      state: this.state === 'Disconnected' ? 'Disconnected' : 'Connected',
      shellRunTime: now - this.createdAt,
      shellInactivity: this.busy > 0 ? 0 : now - this.lastActivity,
      memoryUsed: detail.memoryUsed ?? `${residentMb(now)}MB`,
      childProcesses: this.running,
    };
    if (Object.keys(this.environment).length) f.environment = this.environment;
    if (this.workingDirectory !== undefined) f.workingDirectory = this.workingDirectory;
    if (this.lifetimeMs !== undefined) f.lifetime = this.lifetimeMs;
    return f;
  }

  /** Commands whose process still runs (MaxProcessesPerShell counts these). */
  get running(): number {
    let n = 0;
    for (const c of this.commands.values()) if (!c.isDone) n++;
    return n;
  }

  /** Kill every process and forget every command; their buffered output leaves the budgets. */
  dispose(): void {
    for (const c of this.commands.values()) c.dispose();
    this.commands.clear();
    this.shellOutput?.dispose();
    this.backend.close(this);
    this.budget.detach();
  }
}
