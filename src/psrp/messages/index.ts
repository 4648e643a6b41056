/**
 * Every PSRP message as a typed object: one registry from MessageType to codec, and the two entry
 * points between bytes (a reassembled fragment blob) and typed messages.
 */
import { deserialize, type ClixmlLimits } from '../clixml/deserialize.js';
import type { PSValue } from '../clixml/model.js';
import { serialize } from '../clixml/serialize.js';
import {
  decodeMessage, encodeMessage, EMPTY_GUID, MessageType, messageTypeName, type DestinationValue, type MessageTypeName, type PsrpMessage,
} from '../message.js';
import { connectRunspacePool, runspacePoolInitData, type ConnectRunspacePool, type RunspacePoolInitData } from './connect.js';
import { pipelineHostCall, pipelineHostResponse, runspacePoolHostCall, runspacePoolHostResponse, type HostCall, type HostResponse } from './host.js';
import { encryptedSessionKey, publicKey, publicKeyRequest, type EncryptedSessionKey, type PublicKey, type PublicKeyRequest } from './keys.js';
import {
  createPipeline, endOfPipelineInput, getCommandMetadata, pipelineInput, pipelineOutput, pipelineState,
  type CreatePipeline, type EndOfPipelineInput, type GetCommandMetadata, type PipelineObject, type PipelineStateMessage,
} from './pipeline.js';
import {
  applicationPrivateData, getAvailableRunspaces, initRunspacePool, resetRunspaceState, runspaceAvailability, runspacePoolState, sessionCapability,
  setMaxRunspaces, setMinRunspaces, userEvent,
  type ApplicationPrivateData, type CallIdOnly, type InitRunspacePool, type RunspaceAvailability, type RunspacePoolStateMessage, type SessionCapability,
  type SetRunspaces, type UserEvent,
} from './pool.js';
import {
  debugRecord, errorRecord, informationRecord, progressRecord, verboseRecord, warningRecord,
  type ErrorRecordMessage, type InformationalRecordMessage, type InformationRecordMessage, type ProgressRecordMessage,
} from './records.js';
import { NO_DATA, type Codec } from './types.js';

export * from './common.js';
export * from './connect.js';
export * from './host.js';
export * from './keys.js';
export * from './pipeline.js';
export * from './pool.js';
export * from './records.js';
export { NO_DATA, type Codec } from './types.js';

/** A message type we have no codec for (a future one): its number and data kept. */
export interface UnknownMessage {
  type: 'UNKNOWN';
  messageType: number;
  value: PSValue;
}

/** Any typed PSRP message. */
export type TypedMessage =
  | SessionCapability | InitRunspacePool | ApplicationPrivateData | RunspacePoolStateMessage | SetRunspaces | RunspaceAvailability
  | CallIdOnly | UserEvent | CreatePipeline | GetCommandMetadata | PipelineObject | EndOfPipelineInput | PipelineStateMessage
  | ErrorRecordMessage | InformationalRecordMessage | InformationRecordMessage | ProgressRecordMessage | HostCall | HostResponse
  | ConnectRunspacePool | RunspacePoolInitData | PublicKey | EncryptedSessionKey | PublicKeyRequest;

const CODECS: ReadonlyMap<MessageTypeName, Codec<TypedMessage>> = new Map(
  ([
    sessionCapability, initRunspacePool, applicationPrivateData, runspacePoolState, setMaxRunspaces, setMinRunspaces, runspaceAvailability,
    getAvailableRunspaces, resetRunspaceState, userEvent, createPipeline, getCommandMetadata, pipelineInput, pipelineOutput, endOfPipelineInput,
    pipelineState, errorRecord, debugRecord, verboseRecord, warningRecord, informationRecord, progressRecord, runspacePoolHostCall,
    pipelineHostCall, runspacePoolHostResponse, pipelineHostResponse, connectRunspacePool, runspacePoolInitData, publicKey,
    encryptedSessionKey, publicKeyRequest,
  ] as Codec<TypedMessage>[]).map((c) => [c.type, c]),
);

/** A decoded message: the header fields and the typed body. */
export interface DecodedMessage {
  destination: DestinationValue;
  rpid: string;
  pid: string;
  message: TypedMessage | UnknownMessage;
}

/** The typed body of a message whose header is already read. */
export function typedBody(m: PsrpMessage, limits?: Partial<ClixmlLimits>): TypedMessage | UnknownMessage {
  const value = m.data.trim() === '' ? null : deserialize(m.data, limits);
  const name = messageTypeName(m.messageType);
  const codec = name && CODECS.get(name);
  return codec ? codec.decode(value) : { type: 'UNKNOWN', messageType: m.messageType, value };
}

/** Bytes of one PSRP message (a defragmented blob) to its typed form. Errors are PsrpProtocolErrors. */
export function decodeTyped(bytes: Uint8Array, limits?: Partial<ClixmlLimits>): DecodedMessage {
  const m = decodeMessage(bytes);
  return { destination: m.destination, rpid: m.rpid, pid: m.pid, message: typedBody(m, limits) };
}

/** The MessageType value and CLIXML data of a typed message. */
export function typedData(t: TypedMessage | UnknownMessage): { messageType: number; data: string } {
  if (t.type === 'UNKNOWN') return { messageType: t.messageType, data: serialize(t.value) };
  const codec = CODECS.get(t.type)!;
  const v = codec.encode(t);
  return { messageType: MessageType[t.type], data: v === NO_DATA ? '' : serialize(v) };
}

/** A typed message to the bytes of one PSRP message (to fragment next). */
export function encodeTyped(t: TypedMessage | UnknownMessage, header: { destination: DestinationValue; rpid: string; pid?: string; bom?: boolean }): Uint8Array {
  const { messageType, data } = typedData(t);
  return encodeMessage({ destination: header.destination, messageType, rpid: header.rpid, pid: header.pid ?? EMPTY_GUID, data, bom: header.bom ?? false });
}
