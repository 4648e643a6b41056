/**
 * Send, Receive and Signal (MS-WSMV §3.1.4.12–3.1.4.14; protocol.md §3.3–3.5).
 *
 *   <rsp:Send><rsp:Stream Name="stdin" CommandId="…" End="true">base64</rsp:Stream></rsp:Send>
 *   <rsp:Receive SequenceId="0"><rsp:DesiredStream CommandId="…">stdout stderr</rsp:DesiredStream></rsp:Receive>
 *   <rsp:ReceiveResponse>
 *    <rsp:Stream Name="stdout" CommandId="…">base64</rsp:Stream>
 *    <rsp:Stream Name="stdout" CommandId="…" End="true"></rsp:Stream>
 *    <rsp:CommandState CommandId="…" State="…/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>
 *   </rsp:ReceiveResponse>
 *   <rsp:Signal CommandId="…"><rsp:Code>…/signal/terminate</rsp:Code></rsp:Signal>
 */
import { NS, CommandStateURI } from '../namespaces.js';
import { parseBoolean } from '../duration.js';
import { type XmlElement, type XNode, el, child, childrenOf, attrCI } from '../xml.js';
import { badBody, decodeBase64, encodeBase64, parseIntField, splitList } from './common.js';

/** One `rsp:Stream` block. */
export interface StreamChunk {
  name: string;
  commandId?: string;
  end?: boolean;
  data: Buffer;
}

export interface SendBody {
  kind: 'Send';
  streams: StreamChunk[];
}

export interface ReceiveBody {
  kind: 'Receive';
  /** The SequenceId attribute (protocol.md §3.4.3): a repeated one asks for the same answer again. */
  sequenceId?: number;
  commandId?: string;
  /** Stream names asked for, e.g. ['stdout', 'stderr']. */
  streams: string[];
}

export type CommandStateName = 'Done' | 'Running' | 'Pending';

export interface CommandState {
  commandId?: string;
  /** Done, Running or Pending; an unknown URI is kept whole. */
  state: CommandStateName | string;
  exitCode?: number;
}

export interface ReceiveResponseBody {
  kind: 'ReceiveResponse';
  sequenceId?: number;
  streams: StreamChunk[];
  commandState?: CommandState;
}

export interface SignalBody {
  kind: 'Signal';
  commandId?: string;
  /** The signal URI as sent; compare case-insensitively. */
  code: string;
}

function decodeStream(s: XmlElement): StreamChunk {
  const name = attrCI(s, 'Name');
  if (name === undefined) throw badBody('a Stream has no Name');
  const chunk: StreamChunk = { name, data: decodeBase64(s.text, `stream ${name}`) };
  const id = attrCI(s, 'CommandId');
  if (id !== undefined) chunk.commandId = id;
  const endAttr = attrCI(s, 'End');
  if (endAttr !== undefined) {
    const end = parseBoolean(endAttr);
    if (end === undefined) throw badBody(`Stream End is not a boolean: '${endAttr.slice(0, 20)}'`);
    chunk.end = end;
  }
  return chunk;
}

function encodeStream(c: StreamChunk): XNode {
  return el('rsp:Stream', { Name: c.name, CommandId: c.commandId, End: c.end === undefined ? undefined : String(c.end) },
    encodeBase64(c.data));
}

export function decodeSend(e: XmlElement): SendBody {
  return { kind: 'Send', streams: childrenOf(e, NS.rsp, 'Stream').map(decodeStream) };
}

export function encodeSend(b: SendBody): XNode {
  return el('rsp:Send', null, ...b.streams.map(encodeStream));
}

function optionalInt(e: XmlElement, name: string): number | undefined {
  const v = attrCI(e, name);
  return v === undefined ? undefined : parseIntField(v, name);
}

export function decodeReceive(e: XmlElement): ReceiveBody {
  const ds = child(e, NS.rsp, 'DesiredStream');
  const b: ReceiveBody = { kind: 'Receive', streams: ds ? splitList(ds.text) : [] };
  const seq = optionalInt(e, 'SequenceId');
  if (seq !== undefined) b.sequenceId = seq;
  const id = ds ? attrCI(ds, 'CommandId') : undefined;
  if (id !== undefined) b.commandId = id;
  return b;
}

export function encodeReceive(b: ReceiveBody): XNode {
  return el('rsp:Receive', b.sequenceId !== undefined ? { SequenceId: b.sequenceId } : null,
    el('rsp:DesiredStream', b.commandId !== undefined ? { CommandId: b.commandId } : null, b.streams.join(' ')));
}

const STATE_PREFIX = CommandStateURI.Done.slice(0, CommandStateURI.Done.lastIndexOf('/') + 1);

function stateName(uri: string): string {
  if (uri.toLowerCase().startsWith(STATE_PREFIX.toLowerCase())) {
    const tail = uri.slice(STATE_PREFIX.length).toLowerCase();
    if (tail === 'done') return 'Done';
    if (tail === 'running') return 'Running';
    if (tail === 'pending') return 'Pending';
  }
  return uri;
}

function stateUri(name: string): string {
  return name === 'Done' || name === 'Running' || name === 'Pending' ? STATE_PREFIX + name : name;
}

export function decodeReceiveResponse(e: XmlElement): ReceiveResponseBody {
  const b: ReceiveResponseBody = { kind: 'ReceiveResponse', streams: childrenOf(e, NS.rsp, 'Stream').map(decodeStream) };
  const seq = optionalInt(e, 'SequenceID') ?? optionalInt(e, 'SequenceId');
  if (seq !== undefined) b.sequenceId = seq;
  const cs = child(e, NS.rsp, 'CommandState');
  if (cs) {
    const state = attrCI(cs, 'State');
    if (state === undefined) throw badBody('CommandState has no State');
    const st: CommandState = { state: stateName(state.trim()) };
    const id = attrCI(cs, 'CommandId');
    if (id !== undefined) st.commandId = id;
    const ec = child(cs, NS.rsp, 'ExitCode');
    if (ec) st.exitCode = parseIntField(ec.text, 'ExitCode');
    b.commandState = st;
  }
  return b;
}

export function encodeReceiveResponse(b: ReceiveResponseBody): XNode {
  const cs = b.commandState;
  return el('rsp:ReceiveResponse', b.sequenceId !== undefined ? { SequenceID: b.sequenceId } : null,
    ...b.streams.map(encodeStream),
    cs && el('rsp:CommandState', { CommandId: cs.commandId, State: stateUri(cs.state) },
      cs.exitCode !== undefined && el('rsp:ExitCode', null, String(cs.exitCode))));
}

export function decodeSignal(e: XmlElement): SignalBody {
  const code = child(e, NS.rsp, 'Code')?.text.trim();
  if (!code) throw badBody('Signal has no Code');
  const b: SignalBody = { kind: 'Signal', code };
  const id = attrCI(e, 'CommandId');
  if (id !== undefined) b.commandId = id;
  return b;
}

export function encodeSignal(b: SignalBody): XNode {
  return el('rsp:Signal', b.commandId !== undefined ? { CommandId: b.commandId } : null, el('rsp:Code', null, b.code));
}
