/**
 * The PSRP message (MS-PSRP 2.2.1): a little-endian header and CLIXML data.
 *
 *   Destination u32 LE | MessageType u32 LE | RPID (16, .NET Guid byte order) | PID (16) | Data
 *   02 00 00 00  02 00 01 00  <rpid>  <pid: zeros for pool messages>  [EF BB BF] <Obj RefId="0">…
 *
 * .NET's Guid.ToByteArray() order: the first three fields little-endian, the last 8 bytes as
 * written, so 00112233-4455-6677-8899-aabbccddeeff is 33 22 11 00 55 44 77 66 88 99 aa bb cc dd ee ff.
 */
import { PsrpProtocolError, psrpUsage } from './errors.js';

/** Every message type of MS-PSRP 2.2.1, with its MessageType value. */
export const MessageType = {
  SESSION_CAPABILITY: 0x00010002,
  INIT_RUNSPACEPOOL: 0x00010004,
  PUBLIC_KEY: 0x00010005,
  ENCRYPTED_SESSION_KEY: 0x00010006,
  PUBLIC_KEY_REQUEST: 0x00010007,
  CONNECT_RUNSPACEPOOL: 0x00010008,
  SET_MAX_RUNSPACES: 0x00021002,
  SET_MIN_RUNSPACES: 0x00021003,
  RUNSPACE_AVAILABILITY: 0x00021004,
  RUNSPACEPOOL_STATE: 0x00021005,
  CREATE_PIPELINE: 0x00021006,
  GET_AVAILABLE_RUNSPACES: 0x00021007,
  USER_EVENT: 0x00021008,
  APPLICATION_PRIVATE_DATA: 0x00021009,
  GET_COMMAND_METADATA: 0x0002100a,
  RUNSPACEPOOL_INIT_DATA: 0x0002100b,
  RESET_RUNSPACE_STATE: 0x0002100c,
  RUNSPACEPOOL_HOST_CALL: 0x00021100,
  RUNSPACEPOOL_HOST_RESPONSE: 0x00021101,
  PIPELINE_INPUT: 0x00041002,
  END_OF_PIPELINE_INPUT: 0x00041003,
  PIPELINE_OUTPUT: 0x00041004,
  ERROR_RECORD: 0x00041005,
  PIPELINE_STATE: 0x00041006,
  DEBUG_RECORD: 0x00041007,
  VERBOSE_RECORD: 0x00041008,
  WARNING_RECORD: 0x00041009,
  PROGRESS_RECORD: 0x00041010,
  INFORMATION_RECORD: 0x00041011,
  PIPELINE_HOST_CALL: 0x00041100,
  PIPELINE_HOST_RESPONSE: 0x00041101,
} as const;

export type MessageTypeName = keyof typeof MessageType;

const NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]));

/** The name of a MessageType value, or undefined for one MS-PSRP does not list. */
export function messageTypeName(code: number): MessageTypeName | undefined {
  return NAMES.get(code);
}

/** Destination: 1 the client, 2 the server. */
export const Destination = { Client: 1, Server: 2 } as const;
export type DestinationValue = (typeof Destination)[keyof typeof Destination];

/** The all-zero GUID (PID of pool-level messages). */
export const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Byte positions of .NET's Guid.ToByteArray() for the 16 hex pairs of the text form. */
const GUID_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

/** A GUID's text to its 16 bytes in .NET order. */
export function guidToBytes(guid: string): Uint8Array {
  if (!GUID_RE.test(guid)) throw psrpUsage(`'${guid.slice(0, 40)}' is not a GUID`, 'ERR_PSRP_GUID');
  const hex = guid.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[GUID_ORDER[i]!] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** 16 bytes in .NET order to the GUID's text (lowercase). */
export function bytesToGuid(b: Uint8Array): string {
  const h = GUID_ORDER.map((i) => b[i]!.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A message as on the wire, its data still CLIXML text. */
export interface PsrpMessage {
  destination: DestinationValue;
  messageType: number;
  /** RunspacePool id (lowercase GUID). */
  rpid: string;
  /** Pipeline id; EMPTY_GUID for pool-level messages. */
  pid: string;
  /** The CLIXML data, BOM removed ('' for END_OF_PIPELINE_INPUT). */
  data: string;
  /** Whether the data began with a UTF-8 BOM (Windows servers write one). */
  bom: boolean;
}

export const MESSAGE_HEADER_SIZE = 40;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** 2.2.1: a message to bytes. */
export function encodeMessage(m: Omit<PsrpMessage, 'bom'> & { bom?: boolean }): Uint8Array {
  if (m.destination !== 1 && m.destination !== 2) throw psrpUsage(`Destination ${String(m.destination)} is neither 1 (client) nor 2 (server)`, 'ERR_PSRP_USAGE');
  if (!Number.isInteger(m.messageType) || m.messageType < 0 || m.messageType > 0xffffffff) throw psrpUsage(`MessageType ${m.messageType} is not a u32`, 'ERR_PSRP_USAGE');
  const data = encoder.encode(m.data);
  const bom = m.bom ? 3 : 0;
  const out = new Uint8Array(MESSAGE_HEADER_SIZE + bom + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, m.destination, true);
  v.setUint32(4, m.messageType, true);
  out.set(guidToBytes(m.rpid), 8);
  out.set(guidToBytes(m.pid), 24);
  if (bom) out.set([0xef, 0xbb, 0xbf], MESSAGE_HEADER_SIZE);
  out.set(data, MESSAGE_HEADER_SIZE + bom);
  return out;
}

/** 2.2.1: bytes (a reassembled fragment blob) to a message. The RPID is not checked (Windows sends zeros at first). */
export function decodeMessage(bytes: Uint8Array): PsrpMessage {
  if (bytes.length < MESSAGE_HEADER_SIZE) throw new PsrpProtocolError('ERR_PSRP_MESSAGE', `a PSRP message of ${bytes.length} bytes is shorter than its 40-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const destination = v.getUint32(0, true);
  if (destination !== 1 && destination !== 2) throw new PsrpProtocolError('ERR_PSRP_MESSAGE', `Destination ${destination} is neither 1 (client) nor 2 (server)`);
  let body = bytes.subarray(MESSAGE_HEADER_SIZE);
  const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  if (bom) body = body.subarray(3);
  let data: string;
  try {
    data = utf8.decode(body);
  } catch (err) {
    throw new PsrpProtocolError('ERR_PSRP_MESSAGE', 'PSRP message data is not UTF-8', { cause: err });
  }
  return {
    destination: destination as DestinationValue,
    messageType: v.getUint32(4, true),
    rpid: bytesToGuid(bytes.subarray(8, 24)),
    pid: bytesToGuid(bytes.subarray(24, 40)),
    data,
    bom,
  };
}
