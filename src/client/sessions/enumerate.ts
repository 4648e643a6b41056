/**
 * Get-PSSession -ComputerName on the wire (protocol.md §5.1–5.2): enumerate the caller's shells
 * on `…/windows/shell`, and a shell's commands on `…/windows/shell/Command` with a ShellId
 * SelectorFilter. No server-side filter exists: filtering is done by the caller. Our listener
 * also lists all the caller's commands at once (ShellId `*`); a server that faults on it is
 * asked per shell from then on.
 */
import { ResourceURI, SELECTOR_FILTER_DIALECT, ALL_SHELLS_SELECTOR } from '../../core/namespaces.js';
import { WsmanFaultError } from '../../core/errors.js';
import type { WsmanClient } from '../client.js';
import { remoteShellInfo, type RemoteShellInfo } from './model.js';

/** Windows' default MaxEnvelopeSizekb (500): a listing of many shells takes a third of the requests 153600 would. */
export const LISTING_ENVELOPE_SIZE = 512_000;

/** A fault saying our MaxEnvelopeSize is above the server's (ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED). */
function envelopeRefused(err: unknown): boolean {
  return err instanceof WsmanFaultError &&
    (err.wsmanCode === 2150858823 || (err.subcode === 'w:EncodingLimit' && /MaxEnvelopeSize/i.test(`${err.wsmanMessage ?? ''} ${err.reason ?? ''}`)));
}

/**
 * Every shell of the caller the server reports (items without ShellId or State are skipped).
 * `maxEnvelopeSize` asks for larger answers for this enumeration only (fewer Pulls for many
 * shells); a server that refuses it is asked again with the client's own size.
 */
export async function enumerateShells(client: WsmanClient, opts: { now?: number; signal?: AbortSignal; maxEnvelopeSize?: number } = {}): Promise<RemoteShellInfo[]> {
  const now = opts.now ?? Date.now();
  const big = opts.maxEnvelopeSize !== undefined && opts.maxEnvelopeSize > client.maxEnvelopeSize ? opts.maxEnvelopeSize : undefined;
  const once = async (size: number | undefined): Promise<RemoteShellInfo[]> => {
    const out: RemoteShellInfo[] = [];
    for await (const item of client.enumerate(ResourceURI.Shell, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(size !== undefined ? { headers: { maxEnvelopeSize: size } } : {}),
    })) {
      if (item.kind !== 'Shell') continue;
      const info = remoteShellInfo(item.shell, now);
      if (info) out.push(info);
    }
    return out;
  };
  if (big === undefined) return once(undefined);
  try {
    return await once(big);
  } catch (err) {
    if (!envelopeRefused(err)) throw err;
    return once(undefined);
  }
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

/** Clients whose server faulted on the all-shells command enumeration: never asked it again. */
const bulkRefused = new WeakSet<WsmanClient>();

/**
 * The commands of all the caller's shells in one enumeration (ShellId `*`), by upper-case ShellId;
 * undefined when the server faults on that form (Windows does), remembered for this client.
 */
export async function enumerateAllCommands(client: WsmanClient, signal?: AbortSignal): Promise<Map<string, RemoteCommandInfo[]> | undefined> {
  if (bulkRefused.has(client)) return undefined;
  const out = new Map<string, RemoteCommandInfo[]>();
  try {
    for await (const item of client.enumerate(ResourceURI.ShellCommand, {
      filterSelectors: { ShellId: ALL_SHELLS_SELECTOR }, filterDialect: SELECTOR_FILTER_DIALECT, ...(signal ? { signal } : {}),
    })) {
      if (item.kind !== 'Command' || !item.commandId || !item.shellId) continue;
      const key = item.shellId.toUpperCase();
      let list = out.get(key);
      if (!list) out.set(key, list = []);
      list.push({ commandId: item.commandId.toUpperCase(), commandLine: item.commandLine, state: item.commandState });
    }
  } catch (err) {
    if (!(err instanceof WsmanFaultError)) throw err;
    bulkRefused.add(client);
    return undefined;
  }
  return out;
}

/** The commands of each of these shells: one enumeration for all when the server takes it, else one per shell. */
export async function commandsOfShells(client: WsmanClient, shellIds: readonly string[], signal?: AbortSignal): Promise<Map<string, RemoteCommandInfo[]>> {
  const out = new Map<string, RemoteCommandInfo[]>();
  if (shellIds.length === 0) return out;
  const all = await enumerateAllCommands(client, signal);
  for (const id of shellIds) {
    out.set(id, all ? all.get(id.toUpperCase()) ?? [] : await enumerateCommands(client, id, signal).catch(() => []));
  }
  return out;
}
