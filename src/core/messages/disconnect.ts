/**
 * Disconnected operation: Disconnect, Reconnect, Connect (MS-WSMV §3.1.4.15–3.1.4.17,
 * MS-PSRP §3.1.5.3.x; protocol.md §4).
 *
 *   <rsp:Disconnect><rsp:IdleTimeOut>PT180.000S</rsp:IdleTimeOut><rsp:BufferMode>Block</rsp:BufferMode></rsp:Disconnect>
 *   <rsp:Reconnect CommandId="…"><rsp:BufferMode>Block</rsp:BufferMode></rsp:Reconnect>      (body may be empty)
 *   <rsp:Connect CommandId="…"><connectXml xmlns="http://schemas.microsoft.com/powershell">…</connectXml></rsp:Connect>
 *   <rsp:ConnectResponse><rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams>
 *     <connectResponseXml xmlns="http://schemas.microsoft.com/powershell">…</connectResponseXml></rsp:ConnectResponse>
 * Windows answers Disconnect and Reconnect with an empty Body.
 */
import { NS } from '../namespaces.js';
import { parseDuration, formatTimeout } from '../duration.js';
import { type XmlElement, type XNode, el, child, attrCI } from '../xml.js';
import { badBody, splitList } from './common.js';
import { type BufferMode, decodeBufferMode } from './shell.js';

export interface DisconnectBody {
  kind: 'Disconnect';
  /** Overrides the shell's IdleTimeOut while disconnected (ms). */
  idleTimeOut?: number;
  bufferMode?: BufferMode;
}

export interface ReconnectBody {
  kind: 'Reconnect';
  commandId?: string;
  bufferMode?: BufferMode;
}

export interface ConnectBody {
  kind: 'Connect';
  commandId?: string;
  bufferMode?: BufferMode;
  /** PSRP payload (base64 fragments), opaque here. */
  connectXml?: string;
}

export interface ConnectResponseBody {
  kind: 'ConnectResponse';
  inputStreams?: string[];
  outputStreams?: string[];
  /** PSRP payload (base64 fragments), opaque here. */
  connectResponseXml?: string;
}

export function decodeDisconnect(e: XmlElement): DisconnectBody {
  const b: DisconnectBody = { kind: 'Disconnect' };
  const it = child(e, NS.rsp, 'IdleTimeOut');
  if (it) {
    const ms = parseDuration(it.text);
    if (ms === undefined || ms < 0) throw badBody(`IdleTimeOut is not a valid duration: '${it.text.trim().slice(0, 40)}'`);
    b.idleTimeOut = ms;
  }
  const bm = decodeBufferMode(child(e, NS.rsp, 'BufferMode'));
  if (bm) b.bufferMode = bm;
  return b;
}

export function encodeDisconnect(b: DisconnectBody): XNode {
  return el('rsp:Disconnect', null,
    b.idleTimeOut !== undefined && el('rsp:IdleTimeOut', null, formatTimeout(b.idleTimeOut)),
    b.bufferMode !== undefined && el('rsp:BufferMode', null, b.bufferMode));
}

export function decodeReconnect(e: XmlElement): ReconnectBody {
  const b: ReconnectBody = { kind: 'Reconnect' };
  const id = attrCI(e, 'CommandId');
  if (id !== undefined) b.commandId = id;
  const bm = decodeBufferMode(child(e, NS.rsp, 'BufferMode'));
  if (bm) b.bufferMode = bm;
  return b;
}

export function encodeReconnect(b: ReconnectBody): XNode {
  return el('rsp:Reconnect', b.commandId !== undefined ? { CommandId: b.commandId } : null,
    b.bufferMode !== undefined && el('rsp:BufferMode', null, b.bufferMode));
}

export function decodeConnect(e: XmlElement): ConnectBody {
  const b: ConnectBody = { kind: 'Connect' };
  const id = attrCI(e, 'CommandId');
  if (id !== undefined) b.commandId = id;
  const bm = decodeBufferMode(child(e, NS.rsp, 'BufferMode'));
  if (bm) b.bufferMode = bm;
  const cx = child(e, NS.ps, 'connectXml');
  if (cx) b.connectXml = cx.text.trim();
  return b;
}

export function encodeConnect(b: ConnectBody): XNode {
  return el('rsp:Connect', b.commandId !== undefined ? { CommandId: b.commandId } : null,
    b.bufferMode !== undefined && el('rsp:BufferMode', null, b.bufferMode),
    b.connectXml !== undefined && el('connectXml', { xmlns: NS.ps }, b.connectXml));
}

export function decodeConnectResponse(e: XmlElement): ConnectResponseBody {
  const b: ConnectResponseBody = { kind: 'ConnectResponse' };
  const ins = child(e, NS.rsp, 'InputStreams');
  if (ins) b.inputStreams = splitList(ins.text);
  const outs = child(e, NS.rsp, 'OutputStreams');
  if (outs) b.outputStreams = splitList(outs.text);
  const cx = child(e, NS.ps, 'connectResponseXml');
  if (cx) b.connectResponseXml = cx.text.trim();
  return b;
}

export function encodeConnectResponse(b: ConnectResponseBody): XNode {
  return el('rsp:ConnectResponse', null,
    b.inputStreams && el('rsp:InputStreams', null, b.inputStreams.join(' ')),
    b.outputStreams && el('rsp:OutputStreams', null, b.outputStreams.join(' ')),
    b.connectResponseXml !== undefined && el('connectResponseXml', { xmlns: NS.ps }, b.connectResponseXml));
}
