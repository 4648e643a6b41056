/**
 * The WinRS Shell resource and Command (MS-WSMV §2.2.4.37 ShellType, §3.1.4.5.2 Create,
 * §3.1.4.11 Command; protocol.md §3.1–3.2, §5.1).
 *
 *   <rsp:Shell ShellId="…">            Create request (client-chosen id as attribute)
 *    <rsp:Name>…</rsp:Name> <rsp:Environment><rsp:Variable Name="FOO">bar</rsp:Variable></rsp:Environment>
 *    <rsp:WorkingDirectory>…</rsp:WorkingDirectory> <rsp:IdleTimeOut>PT600S</rsp:IdleTimeOut>
 *    <rsp:InputStreams>stdin</rsp:InputStreams> <rsp:OutputStreams>stdout stderr</rsp:OutputStreams>
 *   </rsp:Shell>
 *   <rsp:Shell><rsp:ShellId>…</rsp:ShellId> … <rsp:State>Connected</rsp:State> …</rsp:Shell>   responses
 *
 *   <rsp:CommandLine CommandId="…"><rsp:Command>dir</rsp:Command><rsp:Arguments>/w</rsp:Arguments></rsp:CommandLine>
 *   <rsp:CommandResponse><rsp:CommandId>…</rsp:CommandId></rsp:CommandResponse>
 */
import { NS } from '../namespaces.js';
import { parseDuration, formatTimeout, formatRunTime } from '../duration.js';
import { type XmlElement, type XNode, el, child, childrenOf, attr, attrCI } from '../xml.js';
import { badBody, parseIntField, setOwn, splitList } from './common.js';

export type BufferMode = 'Block' | 'Drop';

/** Every field of rsp:Shell. Durations in milliseconds. */
export interface ShellFields {
  /** The ShellId element (responses). */
  shellId?: string;
  /** The ShellId attribute: a client-chosen id on Create (required for disconnect support). */
  requestedShellId?: string;
  name?: string;
  resourceUri?: string;
  owner?: string;
  clientIp?: string;
  processId?: number;
  environment?: Record<string, string>;
  workingDirectory?: string;
  lifetime?: number;
  idleTimeOut?: number;
  inputStreams?: string[];
  outputStreams?: string[];
  maxIdleTimeOut?: number;
  locale?: string;
  dataLocale?: string;
  /** `NoCompression` or `XpressCompression`. */
  compressionMode?: string;
  /** `Yes` or `No` (not an xs:boolean). */
  profileLoaded?: string;
  /** `UTF8` or `UTF16`. */
  encoding?: string;
  bufferMode?: BufferMode;
  /** `Connected` or `Disconnected`. */
  state?: string;
  shellRunTime?: number;
  shellInactivity?: number;
  /** Windows adds these on Get and enumeration: `58MB`, `0`. */
  memoryUsed?: string;
  childProcesses?: number;
  /** PSRP creationXml payload, base64, opaque here. */
  creationXml?: string;
}

export interface ShellBody {
  kind: 'Shell';
  shell: ShellFields;
}

function duration(e: XmlElement | undefined, what: string): number | undefined {
  if (!e) return undefined;
  const ms = parseDuration(e.text);
  if (ms === undefined || ms < 0) throw badBody(`${what} is not a valid duration: '${e.text.trim().slice(0, 40)}'`);
  return ms;
}

function bufferMode(text: string | undefined): BufferMode | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (t === 'block') return 'Block';
  if (t === 'drop') return 'Drop';
  throw badBody(`BufferMode must be Block or Drop, not '${text.trim().slice(0, 20)}'`);
}

export function decodeBufferMode(e: XmlElement | undefined): BufferMode | undefined {
  return bufferMode(e?.text);
}

export function decodeShell(e: XmlElement): ShellFields {
  const s: ShellFields = {};
  // The rsp children by name (the first of each), found in one pass: an enumeration decodes
  // thousands of shells, each read through some 25 lookups.
  const rsp = new Map<string, XmlElement>();
  for (const c of e.children) if (c.ns === NS.rsp && !rsp.has(c.name)) rsp.set(c.name, c);
  const t = (name: string): string | undefined => rsp.get(name)?.text.trim();
  const set = <K extends keyof ShellFields>(k: K, v: ShellFields[K] | undefined): void => {
    if (v !== undefined) s[k] = v;
  };
  set('shellId', t('ShellId'));
  set('requestedShellId', attrCI(e, 'ShellId'));
  set('name', t('Name'));
  set('resourceUri', t('ResourceUri'));
  set('owner', t('Owner'));
  set('clientIp', t('ClientIP'));
  const pid = t('ProcessId');
  if (pid !== undefined) s.processId = parseIntField(pid, 'ProcessId');
  const env = rsp.get('Environment');
  if (env) {
    s.environment = {};
    for (const v of childrenOf(env, NS.rsp, 'Variable')) {
      const name = attr(v, 'Name');
      if (name === undefined) throw badBody('an Environment Variable has no Name');
      setOwn(s.environment, name, v.text);
    }
  }
  const wd = rsp.get('WorkingDirectory');
  if (wd) s.workingDirectory = wd.text;
  set('lifetime', duration(rsp.get('Lifetime'), 'Lifetime'));
  set('idleTimeOut', duration(rsp.get('IdleTimeOut'), 'IdleTimeOut'));
  const ins = t('InputStreams');
  if (ins !== undefined) s.inputStreams = splitList(ins);
  const outs = t('OutputStreams');
  if (outs !== undefined) s.outputStreams = splitList(outs);
  set('maxIdleTimeOut', duration(rsp.get('MaxIdleTimeOut'), 'MaxIdleTimeOut'));
  set('locale', t('Locale'));
  set('dataLocale', t('DataLocale'));
  set('compressionMode', t('CompressionMode'));
  set('profileLoaded', t('ProfileLoaded'));
  set('encoding', t('Encoding'));
  set('bufferMode', bufferMode(t('BufferMode')));
  set('state', t('State'));
  set('shellRunTime', duration(rsp.get('ShellRunTime'), 'ShellRunTime'));
  set('shellInactivity', duration(rsp.get('ShellInactivity'), 'ShellInactivity'));
  set('memoryUsed', t('MemoryUsed'));
  const cp = t('ChildProcesses');
  if (cp !== undefined) s.childProcesses = parseIntField(cp, 'ChildProcesses');
  const cx = child(e, NS.ps, 'creationXml');
  if (cx) s.creationXml = cx.text.trim();
  return s;
}

/** rsp:Shell with its children in schema order. */
export function encodeShell(s: ShellFields): XNode {
  const opt = (name: string, v: string | number | undefined): XNode | undefined =>
    v === undefined ? undefined : el(`rsp:${name}`, null, String(v));
  return el('rsp:Shell', s.requestedShellId !== undefined ? { ShellId: s.requestedShellId } : null,
    opt('ShellId', s.shellId),
    opt('Name', s.name),
    opt('ResourceUri', s.resourceUri),
    opt('Owner', s.owner),
    opt('ClientIP', s.clientIp),
    opt('ProcessId', s.processId),
    s.environment && el('rsp:Environment', null,
      ...Object.entries(s.environment).map(([k, v]) => el('rsp:Variable', { Name: k }, v))),
    opt('WorkingDirectory', s.workingDirectory),
    opt('Lifetime', s.lifetime === undefined ? undefined : formatTimeout(s.lifetime)),
    opt('IdleTimeOut', s.idleTimeOut === undefined ? undefined : formatTimeout(s.idleTimeOut)),
    opt('InputStreams', s.inputStreams?.join(' ')),
    opt('OutputStreams', s.outputStreams?.join(' ')),
    opt('MaxIdleTimeOut', s.maxIdleTimeOut === undefined ? undefined : formatTimeout(s.maxIdleTimeOut)),
    opt('Locale', s.locale),
    opt('DataLocale', s.dataLocale),
    opt('CompressionMode', s.compressionMode),
    opt('ProfileLoaded', s.profileLoaded),
    opt('Encoding', s.encoding),
    opt('BufferMode', s.bufferMode),
    opt('State', s.state),
    opt('ShellRunTime', s.shellRunTime === undefined ? undefined : formatRunTime(s.shellRunTime)),
    opt('ShellInactivity', s.shellInactivity === undefined ? undefined : formatRunTime(s.shellInactivity)),
    opt('MemoryUsed', s.memoryUsed),
    opt('ChildProcesses', s.childProcesses),
    s.creationXml !== undefined && el('creationXml', { xmlns: NS.ps }, s.creationXml));
}

/** Command: run a command line in a shell. */
export interface CommandLineBody {
  kind: 'CommandLine';
  /** Client-chosen CommandId (PowerShell uses the pipeline id). */
  commandId?: string;
  command: string;
  arguments: string[];
}

export function decodeCommandLine(e: XmlElement): CommandLineBody {
  const b: CommandLineBody = {
    kind: 'CommandLine',
    command: child(e, NS.rsp, 'Command')?.text ?? '',
    arguments: childrenOf(e, NS.rsp, 'Arguments').map((a) => a.text),
  };
  const id = attrCI(e, 'CommandId');
  if (id !== undefined) b.commandId = id;
  return b;
}

export function encodeCommandLine(b: CommandLineBody): XNode {
  return el('rsp:CommandLine', b.commandId !== undefined ? { CommandId: b.commandId } : null,
    el('rsp:Command', null, b.command),
    ...b.arguments.map((a) => el('rsp:Arguments', null, a)));
}

export interface CommandResponseBody {
  kind: 'CommandResponse';
  commandId: string;
}

export function decodeCommandResponse(e: XmlElement): CommandResponseBody {
  const id = child(e, NS.rsp, 'CommandId')?.text.trim();
  if (!id) throw badBody('CommandResponse has no CommandId');
  return { kind: 'CommandResponse', commandId: id };
}

export function encodeCommandResponse(b: CommandResponseBody): XNode {
  return el('rsp:CommandResponse', null, el('rsp:CommandId', null, b.commandId));
}

/** An item of the `…/windows/shell/Command` enumeration (protocol.md §5.2). */
export interface CommandItem {
  kind: 'Command';
  commandId: string;
  commandLine: string;
  /** `Running`, `Done`… as the server wrote it. */
  commandState: string;
  /** The command's shell: written only in a listing of all the caller's shells' commands (ShellId `*`). */
  shellId?: string;
}

export function decodeCommandItem(e: XmlElement): CommandItem {
  const shellId = child(e, NS.rsp, 'ShellId')?.text.trim();
  return {
    kind: 'Command',
    ...(shellId ? { shellId } : {}),
    commandId: child(e, NS.rsp, 'CommandId')?.text.trim() ?? '',
    commandLine: child(e, NS.rsp, 'CommandLine')?.text ?? '',
    commandState: child(e, NS.rsp, 'CommandState')?.text.trim() ?? '',
  };
}

export function encodeCommandItem(c: CommandItem): XNode {
  return el('rsp:Command', null,
    ...(c.shellId !== undefined ? [el('rsp:ShellId', null, c.shellId)] : []),
    el('rsp:CommandId', null, c.commandId),
    el('rsp:CommandLine', null, c.commandLine),
    el('rsp:CommandState', null, c.commandState));
}
