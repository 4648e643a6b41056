/**
 * The seam between WS-Man shell operations and what runs the commands. Everything shared
 * (authentication, ownership, Disconnect/Reconnect, output buffering and quotas, Receive,
 * enumeration) lives above it; a backend only starts and feeds processes:
 * - `cmd` (backends/cmd.ts): today's `/bin/sh -c`, one process per Command;
 * - `pwsh` (backends/pwsh.ts): one `pwsh -s` per shell, PSRP packets over its stdio.
 */
import type { CommandLineBody } from '../../core/index.js';
import type { WsmanRequest } from '../core.js';
import type { ServerShell } from '../shell.js';
import type { BackendCommand, CommandSignal, StdinResult } from '../command-base.js';

/** Which backend serves a session configuration. */
export type BackendKind = 'cmd' | 'pwsh';

export interface ShellBackend {
  readonly kind: BackendKind;
  /** Start what the shell needs (may fault; the shell is already in the store). */
  create(req: WsmanRequest, shell: ServerShell): Promise<void>;
  /** Start a command with this id; resolves once it runs (faults like Windows when it cannot). */
  command(req: WsmanRequest, shell: ServerShell, id: string, body: CommandLineBody): Promise<BackendCommand>;
  /** A Send's bytes for one stream of a command. */
  send(cmd: BackendCommand, stream: string, data: Buffer, end: boolean, timeoutMs: number, signal?: AbortSignal): Promise<StdinResult>;
  /** ctrl_c / ctrl_break for a command. */
  signal(shell: ServerShell, cmd: BackendCommand, kind: Exclude<CommandSignal, 'terminate'>): void;
  /**
   * A Connect from another client carrying the backend's own payload (PowerShell's connectXml):
   * checks it and builds the connectResponseXml without changing anything (may fault); `apply`
   * runs once the shell was handed to the new client.
   */
  connect?(shell: ServerShell, connectXml: string): { responseXml: string; apply(): void };
  /** The process serving the whole shell (reported as its ProcessId), when there is one. */
  processId?(shell: ServerShell): number | undefined;
  /** The shell is gone (Delete, idle timeout, shutdown): its commands are disposed; end the rest. */
  close(shell: ServerShell): void;
}
