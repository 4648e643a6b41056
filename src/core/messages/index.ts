/**
 * Every message body we model, as one union, with one decode and one encode that dispatch on the
 * body element's (namespace, local name). Empty bodies (Get, Delete, DeleteResponse,
 * DisconnectResponse…) are `{ kind: 'Empty' }`: the Action header says what they are.
 */
import { NS } from '../namespaces.js';
import { type XmlElement, type XNode, type XmlLimits, isEl } from '../xml.js';
import { type Headers, type RawEnvelope, type DecodeOptions, parseEnvelope, encodeEnvelope } from '../envelope.js';
import { type IdentifyBody, type IdentifyResponseBody, isIdentifyNs, encodeIdentify, decodeIdentifyResponse, encodeIdentifyResponse } from './identify.js';
import { type ShellBody, type CommandLineBody, type CommandResponseBody, decodeShell, encodeShell, decodeCommandLine, encodeCommandLine, decodeCommandResponse, encodeCommandResponse } from './shell.js';
import { type SendBody, type ReceiveBody, type ReceiveResponseBody, type SignalBody, decodeSend, encodeSend, decodeReceive, encodeReceive, decodeReceiveResponse, encodeReceiveResponse, decodeSignal, encodeSignal } from './receive.js';
import { type DisconnectBody, type ReconnectBody, type ConnectBody, type ConnectResponseBody, decodeDisconnect, encodeDisconnect, decodeReconnect, encodeReconnect, decodeConnect, encodeConnect, decodeConnectResponse, encodeConnectResponse } from './disconnect.js';
import { type EnumerateBody, type EnumerateResponseBody, type PullBody, type PullResponseBody, type ReleaseBody, decodeEnumerate, encodeEnumerate, decodeEnumerateResponse, encodeEnumerateResponse, decodePull, encodePull, decodePullResponse, encodePullResponse, decodeRelease, encodeRelease } from './enumeration.js';
import { type ResourceCreatedBody, type ConfigBody, decodeResourceCreated, encodeResourceCreated, decodeConfig, encodeConfig } from './transfer.js';
import { type FaultBody, decodeFault, encodeFault } from './fault.js';
import { el } from '../xml.js';
import { BULK_MIN_RUN, parseBulkEnvelope, renderWithStreams, streamNodes } from './bulk.js';

export interface EmptyBody {
  kind: 'Empty';
}

/** A bodiless acknowledgement element (`rsp:SendResponse`, `rsp:SignalResponse`, `n:ReleaseResponse`). */
export interface AckBody {
  kind: 'SendResponse' | 'SignalResponse';
}

/** Body elements already built (a resource instance a listener answers); encode only. */
export interface RawBody {
  kind: 'Raw';
  nodes: XNode[];
}

/** A body element we do not model (decode only). */
export interface UnknownBody {
  kind: 'Unknown';
  element: XmlElement;
}

export type Body =
  | EmptyBody
  | IdentifyBody
  | IdentifyResponseBody
  | ShellBody
  | ResourceCreatedBody
  | CommandLineBody
  | CommandResponseBody
  | SendBody
  | AckBody
  | ReceiveBody
  | ReceiveResponseBody
  | SignalBody
  | DisconnectBody
  | ReconnectBody
  | ConnectBody
  | ConnectResponseBody
  | EnumerateBody
  | EnumerateResponseBody
  | PullBody
  | PullResponseBody
  | ReleaseBody
  | ConfigBody
  | FaultBody
  | RawBody
  | UnknownBody;

export type BodyKind = Body['kind'];

type Decoder = (e: XmlElement) => Body;

const RSP_DECODERS: Record<string, Decoder> = {
  Shell: (e) => ({ kind: 'Shell', shell: decodeShell(e) }),
  CommandLine: decodeCommandLine,
  CommandResponse: decodeCommandResponse,
  Send: decodeSend,
  SendResponse: () => ({ kind: 'SendResponse' }),
  Receive: decodeReceive,
  ReceiveResponse: decodeReceiveResponse,
  Signal: decodeSignal,
  SignalResponse: () => ({ kind: 'SignalResponse' }),
  Disconnect: decodeDisconnect,
  Reconnect: decodeReconnect,
  Connect: decodeConnect,
  ConnectResponse: decodeConnectResponse,
};

const N_DECODERS: Record<string, Decoder> = {
  Enumerate: decodeEnumerate,
  EnumerateResponse: decodeEnumerateResponse,
  Pull: decodePull,
  PullResponse: decodePullResponse,
  Release: decodeRelease,
};

/** Decode the body of an envelope: the first Body element (and a Shell beside ResourceCreated). */
export function decodeBody(elements: readonly XmlElement[]): Body {
  const e = elements[0];
  if (!e) return { kind: 'Empty' };
  let d: Decoder | undefined;
  if (e.ns === NS.rsp) d = RSP_DECODERS[e.name];
  else if (e.ns === NS.n) d = N_DECODERS[e.name];
  else if (isIdentifyNs(e.ns)) {
    if (e.name === 'Identify') return { kind: 'Identify' };
    if (e.name === 'IdentifyResponse') return decodeIdentifyResponse(e);
  } else if (isEl(e, NS.s, 'Fault')) return decodeFault(e);
  else if (isEl(e, NS.x, 'ResourceCreated')) {
    const b = decodeResourceCreated(e);
    const shell = elements.find((c) => isEl(c, NS.rsp, 'Shell'));
    if (shell) b.shell = decodeShell(shell);
    return b;
  } else if (isEl(e, NS.cfg, 'Config')) return decodeConfig(e);
  if (d) return d(e);
  return { kind: 'Unknown', element: e };
}

/** Body elements for a Body (a CreateResponse for a shell is two elements). */
export function encodeBody(b: Body): XNode[] {
  switch (b.kind) {
    case 'Empty': return [];
    case 'Identify': return [encodeIdentify()];
    case 'IdentifyResponse': return [encodeIdentifyResponse(b)];
    case 'Shell': return [encodeShell(b.shell)];
    case 'ResourceCreated': return b.shell ? [encodeResourceCreated(b), encodeShell(b.shell)] : [encodeResourceCreated(b)];
    case 'CommandLine': return [encodeCommandLine(b)];
    case 'CommandResponse': return [encodeCommandResponse(b)];
    case 'Send': return [encodeSend(b)];
    case 'SendResponse': return [el('rsp:SendResponse')];
    case 'SignalResponse': return [el('rsp:SignalResponse')];
    case 'Receive': return [encodeReceive(b)];
    case 'ReceiveResponse': return [encodeReceiveResponse(b)];
    case 'Signal': return [encodeSignal(b)];
    case 'Disconnect': return [encodeDisconnect(b)];
    case 'Reconnect': return [encodeReconnect(b)];
    case 'Connect': return [encodeConnect(b)];
    case 'ConnectResponse': return [encodeConnectResponse(b)];
    case 'Enumerate': return [encodeEnumerate(b)];
    case 'EnumerateResponse': return [encodeEnumerateResponse(b)];
    case 'Pull': return [encodePull(b)];
    case 'PullResponse': return [encodePullResponse(b)];
    case 'Release': return [encodeRelease(b)];
    case 'Config': return [encodeConfig(b)];
    case 'Fault': return [encodeFault(b)];
    case 'Raw': return b.nodes;
    case 'Unknown': throw new Error('internal: an Unknown body cannot be encoded');
  }
}

/** A whole message: headers and a typed body. */
export interface Message<B extends Body = Body> {
  headers: Headers;
  body: B;
}

/**
 * Parse and decode an envelope. Throws WsmanProtocolError on any bad input. Bytes of a
 * ReceiveResponse or Send with long base64 streams take the fast path of bulk.ts, which gives
 * what the full parse gives or steps aside.
 */
export function decodeMessage(input: string | Uint8Array, limits?: Partial<XmlLimits>, charset?: string, opts?: DecodeOptions): Message {
  if (typeof input !== 'string' && input.length >= BULK_MIN_RUN && mayBeBulk(input)) {
    const fast = decodeBulkMessage(input, limits, charset, opts);
    if (fast) return fast;
  }
  return decodeMessageFull(input, limits, charset, opts);
}

const SEND = Buffer.from('Send');
const RECEIVE_RESPONSE = Buffer.from('ReceiveResponse');

/**
 * Whether the bytes can be a Send or ReceiveResponse at all (their body element's name is in them),
 * so that other envelopes with long base64 (a PowerShell Command's Arguments) are not parsed
 * twice, once by the fast path that then steps aside. Skipping the fast path is always safe.
 */
function mayBeBulk(input: Uint8Array): boolean {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return buf.includes(RECEIVE_RESPONSE) || buf.includes(SEND);
}

/** decodeMessage without the fast path: the reference the fast path is held to. */
export function decodeMessageFull(input: string | Uint8Array, limits?: Partial<XmlLimits>, charset?: string, opts?: DecodeOptions): Message {
  const raw: RawEnvelope = parseEnvelope(input, limits, charset, opts);
  return { headers: raw.headers, body: decodeBody(raw.bodyElements) };
}

/** The fast path alone (undefined where it steps aside); `minRun` lets tests lift short streams. */
export function decodeBulkMessage(input: Uint8Array, limits?: Partial<XmlLimits>, charset?: string, opts?: DecodeOptions, minRun?: number): Message | undefined {
  const lifted = parseBulkEnvelope(input, limits, charset, opts, minRun);
  if (!lifted) return undefined;
  let body: Body;
  try {
    body = decodeBody(lifted.raw.bodyElements);
  } catch {
    return undefined;
  }
  if (body.kind !== 'ReceiveResponse' && body.kind !== 'Send') return undefined;
  lifted.data.forEach((d, i) => {
    if (d) body.streams[i]!.data = d;
  });
  return { headers: lifted.raw.headers, body };
}

/** Encode a message; `role` decides mustUnderstand marks and the response's xml:lang. */
export function encodeMessage(m: Message, role: 'request' | 'response'): string {
  return encodeEnvelope(m.headers, encodeBody(m.body), role);
}

const NO_DATA = Buffer.alloc(0);

/**
 * Encode a message to the bytes `Buffer.from(encodeMessage(m, role))` would give; a Send or
 * ReceiveResponse writes its base64 straight into the Buffer (no large strings), which `alloc`
 * may give from reused memory (at least the size asked; the result is a view of exactly the
 * envelope's length, every byte of it written).
 */
export function encodeMessageBytes(m: Message, role: 'request' | 'response', alloc?: (size: number) => Buffer): Buffer {
  const b = m.body;
  if (b.kind === 'ReceiveResponse' || b.kind === 'Send') {
    const full = b.streams.filter((s) => s.data.length > 0).map((s) => s.data);
    if (full.length > 0) {
      const out = renderWithStreams((mark) => {
        const node = encodeBody({ ...b, streams: b.streams.map((s) => ({ ...s, data: NO_DATA })) })[0]!;
        let k = 0;
        streamNodes(node).forEach((n, i) => {
          if (b.streams[i]!.data.length > 0) n.children = [mark(k++)];
        });
        return encodeEnvelope(m.headers, [node], role);
      }, full, alloc);
      if (out) return out;
    }
  }
  return Buffer.from(encodeMessage(m, role), 'utf8');
}

export type * from './identify.js';
export type * from './shell.js';
export type * from './receive.js';
export type * from './disconnect.js';
export type * from './enumeration.js';
export type * from './transfer.js';
export type * from './fault.js';
