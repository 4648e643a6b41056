/**
 * Shell lifecycle and commands: Create, Get, Delete, Command, Send, Signal
 * (MS-WSMV §3.1.4.5.2, §3.1.4.11–3.1.4.14; protocol.md §3.1–3.7).
 */
import { Action, WsmanCode, option, type ShellFields } from '../../core/index.js';
import type { WsmanRequest, Reply } from '../core.js';
import { ServerShell } from '../shell.js';
import { backendFor } from '../backends/index.js';
import { fault, badBody, boolOption, useShell, guid } from './common.js';
import { clientIdOf } from '../core.js';
import { ClientGone } from './receive.js';
import { winrmDecompress, XpressError } from '../../core/xpress/index.js';

export async function createShell(req: WsmanRequest): Promise<Reply> {
  const { core, headers: h } = req;
  const config = req.config;
  if (!config) throw fault(WsmanCode.InvalidResourceURI, 'no session configuration serves this resource URI');
  const redirect = config.redirect ?? core.redirect;
  if (redirect) return { kind: 'redirect', location: redirect };
  if (req.body.kind !== 'Shell') throw badBody('Create needs an rsp:Shell body');
  const s: ShellFields = req.body.shell;
  let id: string;
  if (s.requestedShellId !== undefined) {
    const g = guid(s.requestedShellId);
    if (!g) throw fault(WsmanCode.ShellIdNotValid, 'the client ShellId is not a GUID');
    if (core.store.has(g)) throw fault(WsmanCode.ShellIdConflict, 'a shell with this ShellId exists');
    id = g;
  } else id = core.newId();
  if (core.store.countFor(req.user.name, config) >= config.maxShellsPerUser) {
    throw fault(WsmanCode.QuotaMaxShells, 'MaxShellsPerUser reached');
  }
  let idle = config.idleTimeoutMs;
  if (s.idleTimeOut !== undefined && s.idleTimeOut > 0) {
    if (s.idleTimeOut > config.maxIdleTimeoutMs) throw fault(WsmanCode.IdleTimeoutOutOfBounds, `IdleTimeOut exceeds MaxIdleTimeout (${config.maxIdleTimeoutMs} ms)`);
    idle = s.idleTimeOut;
  }
  const codepage = option(h, 'WINRS_CODEPAGE')?.value.trim();
  const compression = h.compressionType === undefined ? undefined : h.compressionType.trim().toLowerCase();
  if (compression !== undefined && compression !== 'xpress') throw fault(WsmanCode.UnsupportedFeature, `unknown CompressionType '${compression}'`);
  const backend = backendFor(config);
  const shell = new ServerShell({
    id,
    backend,
    ...(s.name !== undefined && s.name !== '' ? { name: s.name } : {}),
    config,
    owner: req.user,
    clientIp: req.clientIp,
    clientId: clientIdOf(h),
    environment: s.environment ?? {},
    ...(s.workingDirectory !== undefined && s.workingDirectory.trim() !== '' ? { workingDirectory: s.workingDirectory.trim() } : {}),
    ...(s.lifetime !== undefined ? { lifetimeMs: s.lifetime } : {}),
    idleTimeoutMs: idle,
    inputStreams: s.inputStreams?.length ? s.inputStreams : ['stdin'],
    outputStreams: s.outputStreams?.length ? s.outputStreams : ['stdout', 'stderr'],
    locale: h.locale || 'en-US',
    dataLocale: h.dataLocale || h.locale || 'en-US',
    noProfile: boolOption(h, 'WINRS_NOPROFILE'),
    ...(codepage ? { codepage } : {}),
    bufferMode: s.bufferMode ?? config.outputBufferingMode,
    ...(s.creationXml !== undefined ? { creationXml: s.creationXml } : {}),
    ...(compression ? { compression } : {}),
    now: core.now(),
  });
  core.store.add(shell);
  req.note.shellId = id;
  // A Create that faults after this point (its answer over MaxEnvelopeSize, a lost answer) must
  // leave no hidden shell counting against MaxShellsPerUser.
  req.note.undo = () => {
    if (core.store.get(id) === shell) core.store.delete(id);
  };
  try {
    await backend.create(req, shell);
  } catch (err) {
    req.note.undo();
    throw err;
  }
  const fields = shell.toFields(core.now());
  delete fields.memoryUsed;
  delete fields.childProcesses;
  return {
    kind: 'soap',
    action: Action.CreateResponse,
    body: { kind: 'ResourceCreated', address: req.endpoint, resourceUri: config.resourceUri, selectors: { ShellId: id }, shell: fields },
  };
}

export async function getShell(req: WsmanRequest): Promise<Reply> {
  const shell = useShell(req, 'Get');
  return { kind: 'soap', action: Action.GetResponse, body: { kind: 'Shell', shell: shell.toFields(req.core.now()) } };
}

export async function deleteShell(req: WsmanRequest): Promise<Reply> {
  const shell = useShell(req, 'Delete');
  req.core.store.delete(shell.id);
  return { kind: 'soap', action: Action.DeleteResponse, body: { kind: 'Empty' } };
}

export async function command(req: WsmanRequest): Promise<Reply> {
  const shell = useShell(req, 'Command');
  if (req.body.kind !== 'CommandLine') throw badBody('Command needs an rsp:CommandLine body');
  const b = req.body;
  let id: string;
  if (b.commandId !== undefined) {
    const g = guid(b.commandId);
    if (!g) throw fault(WsmanCode.InvalidSelectors, 'the client CommandId is not a GUID');
    if (shell.command(g)) throw fault(WsmanCode.ShellIdConflict, 'a command with this CommandId exists');
    id = g;
  } else id = req.core.newId();
  req.note.commandId = id;
  await shell.backend.command(req, shell, id, b);
  return { kind: 'soap', action: Action.CommandResponse, body: { kind: 'CommandResponse', commandId: id } };
}

/**
 * Send: input for a command (protocol.md §3.3). Answered once the bytes are handed to the
 * process's pipe (command.ts: at most STDIN_QUEUE_BYTES wait in the listener). A command that
 * does not read makes the Send wait, up to its OperationTimeout (capped by MaxTimeoutms), and then
 * answer w:TimedOut with none of its bytes written: the client may send them again. A waiting
 * Send holds one of the user's MaxConcurrentOperationsPerUser. A Send naming several streams is
 * written stream by stream: a timeout on a later stream leaves the earlier ones written.
 */
export async function send(req: WsmanRequest): Promise<Reply> {
  const shell = useShell(req, 'Send');
  if (req.body.kind !== 'Send') throw badBody('Send needs an rsp:Send body');
  const cap = req.core.config.maxTimeoutMs;
  const ms = Math.min(req.headers.operationTimeout ?? cap, cap);
  for (const st of req.body.streams) {
    // No CommandId: the shell's own input, a PowerShell pool's messages (SET_MAX_RUNSPACES, host responses…).
    if (st.commandId === undefined && !shell.shellOutput) throw fault(WsmanCode.UnexpectedSelectors, 'a Send stream names no CommandId');
    const cmd = st.commandId === undefined ? shell.shellOutput : shell.command(guid(st.commandId) ?? st.commandId);
    if (!cmd) throw fault(WsmanCode.UnexpectedSelectors, 'the request contained a command identifier that does not exist');
    req.note.commandId = cmd.id;
    cmd.transition('Send');
    const data = shell.compression ? unxpress(st.data, 2 * req.core.config.maxEnvelopeSizeKb * 1024) : st.data;
    const r = await shell.backend.send(cmd, st.name, data, st.end === true, ms, req.closed);
    if (r === 'aborted') throw new ClientGone();
    if (r === 'timeout') throw fault(WsmanCode.TimedOut, 'the command did not read its input within OperationTimeout');
  }
  return { kind: 'soap', action: Action.SendResponse, body: { kind: 'SendResponse' } };
}

export async function signal(req: WsmanRequest): Promise<Reply> {
  const shell = useShell(req, 'Signal');
  if (req.body.kind !== 'Signal') throw badBody('Signal needs an rsp:Signal body');
  const code = req.body.code.toLowerCase();
  const tail = code.slice(code.lastIndexOf('/') + 1);
  const targets = req.body.commandId !== undefined
    ? [shell.command(guid(req.body.commandId) ?? req.body.commandId)]
    : [...shell.commands.values()];
  if (req.body.commandId !== undefined && !targets[0]) {
    throw fault(WsmanCode.UnexpectedSelectors, 'the request contained a command identifier that does not exist');
  }
  for (const cmd of targets) {
    if (!cmd) continue;
    req.note.commandId = cmd.id;
    cmd.transition('Signal');
    if (tail === 'terminate') {
      cmd.transition('Terminate');
      const held = cmd.output.size;
      cmd.dispose();
      shell.commands.delete(cmd.id);
      req.core.store.freed(held);
    } else if (tail === 'ctrl_c' || tail === 'crtl_c') shell.backend.signal(shell, cmd, 'ctrl_c');
    else if (tail === 'ctrl_break') shell.backend.signal(shell, cmd, 'ctrl_break');
    else throw fault(WsmanCode.InvalidSoapBody, `unknown signal code`);
  }
  return { kind: 'soap', action: Action.SignalResponse, body: { kind: 'SignalResponse' } };
}


/**
 * A compressed shell's Send data, decompressed. At most `max` bytes (twice MaxEnvelopeSizekb: a
 * client sizes its data for the envelope before compressing); damaged or oversized data is
 * answered as a bad body.
 */
function unxpress(data: Buffer, max: number): Buffer {
  try {
    const out = winrmDecompress(data, max);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  } catch (err) {
    if (err instanceof XpressError) throw fault(WsmanCode.InvalidSoapBody, `the compressed Send data is invalid: ${err.message}`);
    throw err;
  }
}
