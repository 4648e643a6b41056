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

/** Trimmed text of an element, or undefined when absent. */
function trimmed(e: XmlElement | undefined): string | undefined {
  return e === undefined ? undefined : e.text.trim();
}

export function decodeShell(e: XmlElement): ShellFields {
  // The rsp children (the first of each name), found in one pass without a map: an enumeration
  // decodes thousands of shells.
  let shellId, name, resourceUri, owner, clientIp, processId, environment, workingDirectory, lifetime, idleTimeOut,
    inputStreams, outputStreams, maxIdleTimeOut, locale, dataLocale, compressionMode, profileLoaded, encoding,
    bufferModeEl, state, shellRunTime, shellInactivity, memoryUsed, childProcesses: XmlElement | undefined;
  for (const c of e.children) {
    if (c.ns !== NS.rsp) continue;
    switch (c.name) {
      case 'ShellId': shellId ??= c; break;
      case 'Name': name ??= c; break;
      case 'ResourceUri': resourceUri ??= c; break;
      case 'Owner': owner ??= c; break;
      case 'ClientIP': clientIp ??= c; break;
      case 'ProcessId': processId ??= c; break;
      case 'Environment': environment ??= c; break;
      case 'WorkingDirectory': workingDirectory ??= c; break;
      case 'Lifetime': lifetime ??= c; break;
      case 'IdleTimeOut': idleTimeOut ??= c; break;
      case 'InputStreams': inputStreams ??= c; break;
      case 'OutputStreams': outputStreams ??= c; break;
      case 'MaxIdleTimeOut': maxIdleTimeOut ??= c; break;
      case 'Locale': locale ??= c; break;
      case 'DataLocale': dataLocale ??= c; break;
      case 'CompressionMode': compressionMode ??= c; break;
      case 'ProfileLoaded': profileLoaded ??= c; break;
      case 'Encoding': encoding ??= c; break;
      case 'BufferMode': bufferModeEl ??= c; break;
      case 'State': state ??= c; break;
      case 'ShellRunTime': shellRunTime ??= c; break;
      case 'ShellInactivity': shellInactivity ??= c; break;
      case 'MemoryUsed': memoryUsed ??= c; break;
      case 'ChildProcesses': childProcesses ??= c; break;
      default:
    }
  }
  const s: ShellFields = {};
  let v: string | undefined;
  if ((v = trimmed(shellId)) !== undefined) s.shellId = v;
  if ((v = attrCI(e, 'ShellId')) !== undefined) s.requestedShellId = v;
  if ((v = trimmed(name)) !== undefined) s.name = v;
  if ((v = trimmed(resourceUri)) !== undefined) s.resourceUri = v;
  if ((v = trimmed(owner)) !== undefined) s.owner = v;
  if ((v = trimmed(clientIp)) !== undefined) s.clientIp = v;
  if ((v = trimmed(processId)) !== undefined) s.processId = parseIntField(v, 'ProcessId');
  if (environment) {
    s.environment = {};
    for (const ev of childrenOf(environment, NS.rsp, 'Variable')) {
      const varName = attr(ev, 'Name');
      if (varName === undefined) throw badBody('an Environment Variable has no Name');
      setOwn(s.environment, varName, ev.text);
    }
  }
  if (workingDirectory) s.workingDirectory = workingDirectory.text;
  let ms: number | undefined;
  if ((ms = duration(lifetime, 'Lifetime')) !== undefined) s.lifetime = ms;
  if ((ms = duration(idleTimeOut, 'IdleTimeOut')) !== undefined) s.idleTimeOut = ms;
  if ((v = trimmed(inputStreams)) !== undefined) s.inputStreams = splitList(v);
  if ((v = trimmed(outputStreams)) !== undefined) s.outputStreams = splitList(v);
  if ((ms = duration(maxIdleTimeOut, 'MaxIdleTimeOut')) !== undefined) s.maxIdleTimeOut = ms;
  if ((v = trimmed(locale)) !== undefined) s.locale = v;
  if ((v = trimmed(dataLocale)) !== undefined) s.dataLocale = v;
  if ((v = trimmed(compressionMode)) !== undefined) s.compressionMode = v;
  if ((v = trimmed(profileLoaded)) !== undefined) s.profileLoaded = v;
  if ((v = trimmed(encoding)) !== undefined) s.encoding = v;
  const mode = bufferMode(trimmed(bufferModeEl));
  if (mode !== undefined) s.bufferMode = mode;
  if ((v = trimmed(state)) !== undefined) s.state = v;
  if ((ms = duration(shellRunTime, 'ShellRunTime')) !== undefined) s.shellRunTime = ms;
  if ((ms = duration(shellInactivity, 'ShellInactivity')) !== undefined) s.shellInactivity = ms;
  if ((v = trimmed(memoryUsed)) !== undefined) s.memoryUsed = v;
  if ((v = trimmed(childProcesses)) !== undefined) s.childProcesses = parseIntField(v, 'ChildProcesses');
  const cx = child(e, NS.ps, 'creationXml');
  if (cx) s.creationXml = cx.text.trim();
  return s;
}

/** An element holding `v` (its name written whole, `rsp:Name`: one constant string), or nothing when `v` is undefined. */
function opt(name: string, v: string | number | undefined): XNode | undefined {
  return v === undefined ? undefined : el(name, null, String(v));
}

/** rsp:Shell with its children in schema order. */
export function encodeShell(s: ShellFields): XNode {
  return el('rsp:Shell', s.requestedShellId !== undefined ? { ShellId: s.requestedShellId } : null,
    opt('rsp:ShellId', s.shellId),
    opt('rsp:Name', s.name),
    opt('rsp:ResourceUri', s.resourceUri),
    opt('rsp:Owner', s.owner),
    opt('rsp:ClientIP', s.clientIp),
    opt('rsp:ProcessId', s.processId),
    s.environment && el('rsp:Environment', null,
      ...Object.entries(s.environment).map(([k, v]) => el('rsp:Variable', { Name: k }, v))),
    opt('rsp:WorkingDirectory', s.workingDirectory),
    opt('rsp:Lifetime', s.lifetime === undefined ? undefined : formatTimeout(s.lifetime)),
    opt('rsp:IdleTimeOut', s.idleTimeOut === undefined ? undefined : formatTimeout(s.idleTimeOut)),
    opt('rsp:InputStreams', s.inputStreams?.join(' ')),
    opt('rsp:OutputStreams', s.outputStreams?.join(' ')),
    opt('rsp:MaxIdleTimeOut', s.maxIdleTimeOut === undefined ? undefined : formatTimeout(s.maxIdleTimeOut)),
    opt('rsp:Locale', s.locale),
    opt('rsp:DataLocale', s.dataLocale),
    opt('rsp:CompressionMode', s.compressionMode),
    opt('rsp:ProfileLoaded', s.profileLoaded),
    opt('rsp:Encoding', s.encoding),
    opt('rsp:BufferMode', s.bufferMode),
    opt('rsp:State', s.state),
    opt('rsp:ShellRunTime', s.shellRunTime === undefined ? undefined : formatRunTime(s.shellRunTime)),
    opt('rsp:ShellInactivity', s.shellInactivity === undefined ? undefined : formatRunTime(s.shellInactivity)),
    opt('rsp:MemoryUsed', s.memoryUsed),
    opt('rsp:ChildProcesses', s.childProcesses),
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
