/**
 * The PSSession model, sans I/O: what PowerShell shows for a session (Get-PSSession), how its
 * State and Availability follow from what the server reports and what this client holds
 * (protocol.md §5.2, `RemoteRunspacePoolInternal`), and PowerShell's wildcard matching for -Name.
 */
import { ResourceURI } from '../../core/namespaces.js';
import type { ShellFields } from '../../core/messages/index.js';

/** PSSession.State, relative to this client (PowerShell's RunspaceState subset). */
export type SessionState = 'Opened' | 'Disconnected' | 'Closed' | 'Broken';

/**
 * PSSession.Availability (PowerShell's RunspaceAvailability): Available: connected to us and
 * idle; Busy: connected to us and running a command, or connected to another client; None:
 * disconnected and free to connect, or closed.
 */
export type Availability = 'Available' | 'None' | 'Busy';

export type OutputBufferingMode = 'Block' | 'Drop';

/** The properties of a PSSession, with PowerShell's names (what `--json` prints). */
export interface PSSessionJson {
  Id: number;
  Name: string;
  InstanceId: string;
  ComputerName: string;
  State: SessionState;
  ConfigurationName: string;
  Availability: Availability;
  /** Seconds (PowerShell shows IdleTimeout in seconds in the session option; ms on the wire). */
  IdleTimeout: number | null;
  OutputBufferingMode: OutputBufferingMode | null;
  DisconnectedOn: string | null;
  ExpiresOn: string | null;
}

/** What a server says about one of the caller's shells (Get-PSSession -ComputerName). */
export interface RemoteShellInfo {
  instanceId: string;
  name: string;
  resourceUri: string;
  /** `Connected` or `Disconnected`, as the server reports it. */
  serverState: 'Connected' | 'Disconnected';
  idleTimeout?: number;
  maxIdleTimeout?: number;
  outputBufferingMode?: OutputBufferingMode;
  shellInactivity?: number;
  owner?: string;
  clientIp?: string;
  /** DisconnectedOn and ExpiresOn (ms since the epoch) when the server reports it Disconnected. */
  disconnectedOn?: number;
  expiresOn?: number;
}

/** ConfigurationName of a resource URI: PowerShell's name after its prefix, `cmd` for the WinRS shell. */
export function configurationNameOf(resourceUri: string): string {
  if (resourceUri.toLowerCase().startsWith(ResourceURI.PowerShellPrefix.toLowerCase())) return resourceUri.slice(ResourceURI.PowerShellPrefix.length);
  if (resourceUri.toLowerCase() === ResourceURI.Cmd.toLowerCase()) return 'cmd';
  return resourceUri;
}

/** A PowerShell configuration's resource URI (a runspace pool), not the cmd shell's. */
export function isPowerShellUri(resourceUri: string): boolean {
  return resourceUri.toLowerCase().startsWith(ResourceURI.PowerShellPrefix.toLowerCase());
}

/**
 * An enumerated rsp:Shell as PowerShell reads it: items without ShellId or State are skipped
 * (undefined); DisconnectedOn = now − ShellInactivity and ExpiresOn = DisconnectedOn + IdleTimeOut
 * for a Disconnected shell.
 */
export function remoteShellInfo(f: ShellFields, now: number): RemoteShellInfo | undefined {
  if (!f.shellId || !f.state) return undefined;
  const disconnected = f.state.trim().toLowerCase() === 'disconnected';
  const info: RemoteShellInfo = {
    instanceId: f.shellId.toUpperCase(),
    name: f.name ?? f.shellId,
    resourceUri: f.resourceUri ?? ResourceURI.Cmd,
    serverState: disconnected ? 'Disconnected' : 'Connected',
  };
  if (f.idleTimeOut !== undefined) info.idleTimeout = f.idleTimeOut;
  if (f.maxIdleTimeOut !== undefined) info.maxIdleTimeout = f.maxIdleTimeOut;
  if (f.bufferMode !== undefined) info.outputBufferingMode = f.bufferMode;
  if (f.shellInactivity !== undefined) info.shellInactivity = f.shellInactivity;
  if (f.owner !== undefined) info.owner = f.owner;
  if (f.clientIp !== undefined) info.clientIp = f.clientIp;
  if (disconnected) {
    info.disconnectedOn = now - (f.shellInactivity ?? 0);
    if (f.idleTimeOut !== undefined) info.expiresOn = info.disconnectedOn + f.idleTimeOut;
  }
  return info;
}

/**
 * State and Availability of a server shell as this client sees it (Get-PSSession): a shell we
 * hold is Opened (Busy while one of our commands runs); a Disconnected one is Disconnected/None;
 * one connected to another client is Disconnected/Busy.
 */
export function deriveState(serverState: 'Connected' | 'Disconnected', heldByUs: boolean, running: boolean): { state: SessionState; availability: Availability } {
  if (serverState === 'Disconnected') return { state: 'Disconnected', availability: 'None' };
  if (heldByUs) return { state: 'Opened', availability: running ? 'Busy' : 'Available' };
  return { state: 'Disconnected', availability: 'Busy' };
}

/** Availability of a session from its local state (see Availability). */
export function availabilityOf(state: SessionState, running: boolean, heldElsewhere: boolean): Availability {
  if (state === 'Opened') return running ? 'Busy' : 'Available';
  if (state === 'Disconnected') return heldElsewhere ? 'Busy' : 'None';
  return 'None';
}

/**
 * PowerShell's -Name wildcards (WildcardPattern, case-insensitive): `*` any run, `?` one
 * character, `[abc]` / `[a-c]` a set or range, a backtick escapes the next character.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '`' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i]!);
    } else if (c === '*') {
      re += '[\\s\\S]*';
    } else if (c === '?') {
      re += '[\\s\\S]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end).replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += `[${body}]`;
      i = end;
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`${re}$`, 'i').test(text);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Client-side filters of Get-PSSession (-Name, -InstanceId, -State, -ConfigurationName). */
export interface SessionFilter {
  /** Names, with wildcards; a session matching any is kept. */
  name?: string | string[];
  instanceId?: string | string[];
  /** `All` (default) or one state. */
  state?: SessionState | 'All';
  /** Configuration names or resource URIs, with wildcards. */
  configurationName?: string | string[];
  id?: number | number[];
}

const list = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Whether a session passes the filter. */
export function matchesFilter(s: { id: number; name: string; instanceId: string; state: SessionState; configurationName: string; resourceUri: string }, f: SessionFilter = {}): boolean {
  const names = list(f.name);
  if (names && !names.some((p) => wildcardMatch(p, s.name))) return false;
  const ids = list(f.instanceId);
  if (ids && !ids.some((i) => normaliseGuid(i) === s.instanceId.toUpperCase())) return false;
  const nums = list(f.id);
  if (nums && !nums.includes(s.id)) return false;
  if (f.state && f.state !== 'All' && f.state.toLowerCase() !== s.state.toLowerCase()) return false;
  const configs = list(f.configurationName);
  if (configs && !configs.some((p) => wildcardMatch(p, s.configurationName) || wildcardMatch(p, s.resourceUri))) return false;
  return true;
}

/** A GUID in Windows' form: upper case, without `uuid:` or braces. */
export function normaliseGuid(text: string): string {
  let t = text.trim();
  if (t.toLowerCase().startsWith('uuid:')) t = t.slice(5);
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  return t.toUpperCase();
}
