/**
 * Disconnected operation (MS-WSMV §3.1.4.15–3.1.4.17; protocol.md §4): Disconnect, Reconnect
 * (same client, same SessionId) and Connect (another client). Commands keep running while the
 * shell is Disconnected; their output stays buffered under the shell's BufferMode.
 */
import { Action, WsmanCode } from '../../core/index.js';
import { clientIdOf, type WsmanRequest, type Reply } from '../core.js';
import type { ServerShell } from '../shell.js';
import type { BufferMode } from '../../core/index.js';
import { fault, useShell, sameClient } from './common.js';

function applyBufferMode(shell: ServerShell, mode: BufferMode | undefined): void {
  if (!mode) return;
  shell.bufferMode = mode;
  for (const c of shell.outputs()) c.output.configure(mode);
}

export async function disconnect(req: WsmanRequest): Promise<Reply> {
  const pre = req.core.requireShell(req);
  const b = req.body.kind === 'Disconnect' ? req.body : undefined;
  if (b?.idleTimeOut !== undefined && (b.idleTimeOut <= 0 || b.idleTimeOut > pre.config.maxIdleTimeoutMs)) {
    throw fault(WsmanCode.IdleTimeoutOutOfBounds, `IdleTimeOut must be positive and at most MaxIdleTimeout (${pre.config.maxIdleTimeoutMs} ms)`);
  }
  const shell = useShell(req, 'Disconnect');
  if (b?.idleTimeOut !== undefined) shell.idleTimeoutMs = b.idleTimeOut;
  applyBufferMode(shell, b?.bufferMode);
  shell.disconnectedAt = req.core.now();
  shell.lostKeepAlive = false;
  // Pending Receives answer now with what they have.
  for (const c of shell.outputs()) c.poke();
  return { kind: 'soap', action: Action.DisconnectResponse, body: { kind: 'Empty' } };
}

export async function reconnect(req: WsmanRequest): Promise<Reply> {
  const pre = req.core.requireShell(req);
  if (pre.state === 'Disconnected' && !sameClient(pre, req)) {
    // ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH: Reconnect is for the client that disconnected.
    throw fault(2150859206, 'the shell was disconnected by another client session; use Connect');
  }
  const shell = useShell(req, 'Reconnect');
  if (req.body.kind === 'Reconnect') applyBufferMode(shell, req.body.bufferMode);
  shell.disconnectedAt = undefined;
  shell.lostKeepAlive = false;
  return { kind: 'soap', action: Action.ReconnectResponse, body: { kind: 'Empty' } };
}

export async function connect(req: WsmanRequest): Promise<Reply> {
  const pre = req.core.requireShell(req);
  const b = req.body.kind === 'Connect' ? req.body : undefined;
  // Connecting a command of a shell this client just connected to: acknowledge it.
  if (b?.commandId !== undefined && pre.state === 'Connected' && sameClient(pre, req)) {
    if (!pre.command(b.commandId)) throw fault(WsmanCode.UnexpectedSelectors, 'the request contained a command identifier that does not exist');
    return { kind: 'soap', action: Action.ConnectResponse, body: { kind: 'ConnectResponse' } };
  }
  if (pre.state === 'Connected') throw fault(WsmanCode.ShellConnectedToDifferentClient, 'the shell is connected to a client');
  // A PowerShell shell's connectXml: the backend answers it (checked before anything changes).
  const answer = b?.connectXml !== undefined && b.commandId === undefined && pre.backend.connect
    ? pre.backend.connect(pre, b.connectXml)
    : undefined;
  pre.transition('Connect');
  pre.clientId = clientIdOf(req.headers);
  pre.clientIp = req.clientIp;
  pre.disconnectedAt = undefined;
  pre.lostKeepAlive = false;
  applyBufferMode(pre, b?.bufferMode);
  for (const c of pre.outputs()) c.lastReceive = undefined;
  answer?.apply();
  req.note.shellId = pre.id;
  if (b?.commandId !== undefined) return { kind: 'soap', action: Action.ConnectResponse, body: { kind: 'ConnectResponse' } };
  return {
    kind: 'soap',
    action: Action.ConnectResponse,
    body: { kind: 'ConnectResponse', inputStreams: pre.inputStreams, outputStreams: pre.outputStreams, ...(answer ? { connectResponseXml: answer.responseXml } : {}) },
  };
}
