/**
 * Get-PSSession -ComputerName on the wire (protocol.md §5.1–5.2): enumerate the caller's shells
 * on `…/windows/shell`, and a shell's commands on `…/windows/shell/Command` with a ShellId
 * SelectorFilter. No server-side filter exists: filtering is done by the caller.
 */
import { ResourceURI, SELECTOR_FILTER_DIALECT } from '../../core/namespaces.js';
import type { WsmanClient } from '../client.js';
import { remoteShellInfo, type RemoteShellInfo } from './model.js';

/** Every shell of the caller the server reports (items without ShellId or State are skipped). */
export async function enumerateShells(client: WsmanClient, opts: { now?: number; signal?: AbortSignal } = {}): Promise<RemoteShellInfo[]> {
  const now = opts.now ?? Date.now();
  const out: RemoteShellInfo[] = [];
  for await (const item of client.enumerate(ResourceURI.Shell, opts.signal ? { signal: opts.signal } : {})) {
    if (item.kind !== 'Shell') continue;
    const info = remoteShellInfo(item.shell, now);
    if (info) out.push(info);
  }
  return out;
}

/** A command of a shell as the server reports it. */
export interface RemoteCommandInfo {
  commandId: string;
  commandLine: string;
  /** `Running` or `Done`. */
  state: string;
}

/** The commands of one shell (the SelectorFilter enumeration PowerShell sends per shell). */
export async function enumerateCommands(client: WsmanClient, shellId: string, signal?: AbortSignal): Promise<RemoteCommandInfo[]> {
  const out: RemoteCommandInfo[] = [];
  for await (const item of client.enumerate(ResourceURI.ShellCommand, {
    filterSelectors: { ShellId: shellId }, filterDialect: SELECTOR_FILTER_DIALECT, ...(signal ? { signal } : {}),
  })) {
    if (item.kind !== 'Command' || !item.commandId) continue;
    out.push({ commandId: item.commandId.toUpperCase(), commandLine: item.commandLine, state: item.commandState });
  }
  return out;
}
