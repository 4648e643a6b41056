/**
 * The one router table: (Action, resource kind) → handler. A resource URI resolves to a kind:
 * a session configuration's shell URI is `shell`, `…/windows/shell` is `shells`,
 * `…/windows/shell/Command` is `commands`, `…/wsman/1/config` is `config`. Actions compare
 * case-insensitively.
 */
import { Action, ResourceURI } from '../core/index.js';
import type { WsmanRequest, Reply, ListenerCore } from './core.js';
import { configurationFor, type SessionConfiguration } from './config.js';
import { createShell, getShell, deleteShell, command, send, signal } from './handlers/shell.js';
import { receive } from './handlers/receive.js';
import { enumerateShells, enumerateCommands, pull, release } from './handlers/enumerate.js';
import { getConfigResource, putConfig, enumerateConfig } from './handlers/config.js';
import { getCim, enumerateCim, cimResource } from './handlers/cim.js';
import { disconnect, reconnect, connect } from './handlers/disconnect.js';

export type ResourceKind = 'shell' | 'shells' | 'commands' | 'config' | 'cim';
export type Handler = (req: WsmanRequest) => Promise<Reply>;

const TABLE: [string, ResourceKind, Handler][] = [
  [Action.Create, 'shell', createShell],
  [Action.Get, 'shell', getShell],
  [Action.Delete, 'shell', deleteShell],
  [Action.Command, 'shell', command],
  [Action.Send, 'shell', send],
  [Action.Receive, 'shell', receive],
  [Action.Signal, 'shell', signal],
  [Action.Disconnect, 'shell', disconnect],
  [Action.Reconnect, 'shell', reconnect],
  [Action.Connect, 'shell', connect],
  [Action.Enumerate, 'shell', enumerateShells],
  [Action.Pull, 'shell', pull],
  [Action.Release, 'shell', release],
  [Action.Get, 'shells', getShell],
  [Action.Delete, 'shells', deleteShell],
  [Action.Enumerate, 'shells', enumerateShells],
  [Action.Pull, 'shells', pull],
  [Action.Release, 'shells', release],
  [Action.Enumerate, 'commands', enumerateCommands],
  [Action.Pull, 'commands', pull],
  [Action.Release, 'commands', release],
  [Action.Get, 'config', getConfigResource],
  [Action.Put, 'config', putConfig],
  [Action.Enumerate, 'config', enumerateConfig],
  [Action.Pull, 'config', pull],
  [Action.Release, 'config', release],
  [Action.Get, 'cim', getCim],
  [Action.Enumerate, 'cim', enumerateCim],
  [Action.Pull, 'cim', pull],
  [Action.Release, 'cim', release],
];

export const ROUTES: ReadonlyMap<string, Handler> = new Map(TABLE.map(([a, k, h]) => [`${k} ${a.toLowerCase()}`, h]));

export function resolveResource(core: ListenerCore, uri: string | undefined): { kind: ResourceKind; config?: SessionConfiguration } | undefined {
  if (uri === undefined) return undefined;
  const config = configurationFor(core.config, uri.trim());
  if (config) return { kind: 'shell', config };
  const lower = uri.trim().toLowerCase();
  if (lower === ResourceURI.Shell.toLowerCase()) return { kind: 'shells' };
  if (lower === ResourceURI.ShellCommand.toLowerCase()) return { kind: 'commands' };
  if (lower === ResourceURI.Config.toLowerCase() || lower.startsWith(ResourceURI.Config.toLowerCase() + '/')) return { kind: 'config' };
  if (cimResource(uri)) return { kind: 'cim' };
  return undefined;
}

export function route(kind: ResourceKind, action: string): Handler | undefined {
  return ROUTES.get(`${kind} ${action.trim().toLowerCase()}`);
}
