/**
 * Runspace pool messages (MS-PSRP 2.2.2.1-2.2.2.12 except CREATE_PIPELINE and the connect pair):
 * session capability, pool initialisation and state, runspace limits and their answers, private
 * data, reset, user events. Each codec shows a minimal wire excerpt of its Data field.
 */
import { PSPrimitive, type PSValue } from '../clixml/model.js';
import { bag, enumObject, Reader, type PSEnum } from './common.js';
import type { Codec } from './types.js';

/** 2.2.2.1 SESSION_CAPABILITY: `<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version><Version N="PSVersion">2.0</Version><Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>` */
export interface SessionCapability {
  type: 'SESSION_CAPABILITY';
  protocolVersion: string;
  psVersion: string;
  serializationVersion: string;
  /** The client's time zone, a serialized System.TimeZone (optional, opaque). */
  timeZone?: Uint8Array;
}
export const sessionCapability: Codec<SessionCapability> = {
  type: 'SESSION_CAPABILITY',
  encode: (m) => bag([
    ['protocolversion', new PSPrimitive('Version', m.protocolVersion)],
    ['PSVersion', new PSPrimitive('Version', m.psVersion)],
    ['SerializationVersion', new PSPrimitive('Version', m.serializationVersion)],
    m.timeZone !== undefined && ['TimeZone', m.timeZone],
  ]),
  decode: (v) => {
    const r = new Reader('SESSION_CAPABILITY', v);
    const tz = r.opt('TimeZone');
    return {
      type: 'SESSION_CAPABILITY',
      protocolVersion: r.version('protocolversion'),
      psVersion: r.version('PSVersion'),
      serializationVersion: r.version('SerializationVersion'),
      ...(tz instanceof Uint8Array ? { timeZone: tz } : {}),
    };
  },
};

/** The HostInfo (2.2.3.14) of a client without a host: `<Obj N="HostInfo"><MS><B N="_isHostNull">true</B>…</MS></Obj>`. */
export function noHostInfo(): PSValue {
  return bag([['_isHostNull', true], ['_isHostUINull', true], ['_isHostRawUINull', true], ['_useRunspaceHost', true]]);
}

/**
 * The HostInfo of a client whose host answers host calls (Write-Host, Read-Host, prompts) but has
 * no raw UI (no window, cursor or key reading), so no host default data is needed.
 */
export function uiHostInfo(): PSValue {
  return bag([['_isHostNull', false], ['_isHostUINull', false], ['_isHostRawUINull', true], ['_useRunspaceHost', false]]);
}

/** 2.2.2.2 INIT_RUNSPACEPOOL: `<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32><Obj N="PSThreadOptions">…</Obj><Obj N="ApartmentState">…</Obj><Obj N="HostInfo">…</Obj><Nil N="ApplicationArguments" /></MS></Obj>` */
export interface InitRunspacePool {
  type: 'INIT_RUNSPACEPOOL';
  minRunspaces: number;
  maxRunspaces: number;
  /** PSThreadOptions (2.2.3.6): Default 0, UseNewThread 1, ReuseThread 2, UseCurrentThread 3. */
  threadOptions: PSEnum;
  /** ApartmentState (2.2.3.7): STA 0, MTA 1, Unknown 2. */
  apartmentState: PSEnum;
  hostInfo: PSValue;
  /** A PSPrimitiveDictionary ($PSSenderInfo.ApplicationArguments) or null. */
  applicationArguments: PSValue;
}
export const initRunspacePool: Codec<InitRunspacePool> = {
  type: 'INIT_RUNSPACEPOOL',
  encode: (m) => bag([
    ['MinRunspaces', m.minRunspaces],
    ['MaxRunspaces', m.maxRunspaces],
    ['PSThreadOptions', enumObject('System.Management.Automation.Runspaces.PSThreadOptions', m.threadOptions)],
    ['ApartmentState', enumObject('System.Management.Automation.Runspaces.ApartmentState', m.apartmentState)],
    ['HostInfo', m.hostInfo],
    ['ApplicationArguments', m.applicationArguments],
  ]),
  decode: (v) => {
    const r = new Reader('INIT_RUNSPACEPOOL', v);
    return {
      type: 'INIT_RUNSPACEPOOL',
      minRunspaces: r.int('MinRunspaces'),
      maxRunspaces: r.int('MaxRunspaces'),
      threadOptions: r.enum('PSThreadOptions'),
      apartmentState: r.enum('ApartmentState'),
      hostInfo: r.opt('HostInfo') ?? null,
      applicationArguments: r.opt('ApplicationArguments') ?? null,
    };
  },
};

/** 2.2.2.13 APPLICATION_PRIVATE_DATA: `<Obj RefId="0"><MS><Obj N="ApplicationPrivateData"><TN>…PSPrimitiveDictionary…</TN><DCT>…</DCT></Obj></MS></Obj>` */
export interface ApplicationPrivateData {
  type: 'APPLICATION_PRIVATE_DATA';
  applicationPrivateData: PSValue;
}
export const applicationPrivateData: Codec<ApplicationPrivateData> = {
  type: 'APPLICATION_PRIVATE_DATA',
  encode: (m) => bag([['ApplicationPrivateData', m.applicationPrivateData]]),
  decode: (v) => ({ type: 'APPLICATION_PRIVATE_DATA', applicationPrivateData: new Reader('APPLICATION_PRIVATE_DATA', v).opt('ApplicationPrivateData') ?? null }),
};

/** 2.2.2.9 RUNSPACEPOOL_STATE: `<Obj RefId="0"><MS><I32 N="RunspaceState">2</I32></MS></Obj>` (+ ExceptionAsErrorRecord when Broken). */
export interface RunspacePoolStateMessage {
  type: 'RUNSPACEPOOL_STATE';
  /** RunspacePoolState (2.2.3.4): 2 Opened, 3 Closed, 5 Broken… */
  runspaceState: number;
  exceptionAsErrorRecord?: PSValue;
}
export const runspacePoolState: Codec<RunspacePoolStateMessage> = {
  type: 'RUNSPACEPOOL_STATE',
  encode: (m) => bag([['RunspaceState', m.runspaceState], m.exceptionAsErrorRecord !== undefined && ['ExceptionAsErrorRecord', m.exceptionAsErrorRecord]]),
  decode: (v) => {
    const r = new Reader('RUNSPACEPOOL_STATE', v);
    const e = r.opt('ExceptionAsErrorRecord');
    return { type: 'RUNSPACEPOOL_STATE', runspaceState: r.int('RunspaceState'), ...(e !== undefined ? { exceptionAsErrorRecord: e } : {}) };
  },
};

/** 2.2.2.6/2.2.2.7 SET_MAX_RUNSPACES / SET_MIN_RUNSPACES: `<Obj RefId="0"><MS><I32 N="MaxRunspaces">3</I32><I64 N="ci">1</I64></MS></Obj>` */
export interface SetRunspaces {
  type: 'SET_MAX_RUNSPACES' | 'SET_MIN_RUNSPACES';
  runspaces: number;
  callId: bigint;
}
function setRunspaces(type: SetRunspaces['type']): Codec<SetRunspaces> {
  const prop = type === 'SET_MAX_RUNSPACES' ? 'MaxRunspaces' : 'MinRunspaces';
  return {
    type,
    encode: (m) => bag([[prop, m.runspaces], ['ci', m.callId]]),
    decode: (v) => {
      const r = new Reader(type, v);
      return { type, runspaces: r.int(prop), callId: r.long('ci') };
    },
  };
}
export const setMaxRunspaces = setRunspaces('SET_MAX_RUNSPACES');
export const setMinRunspaces = setRunspaces('SET_MIN_RUNSPACES');

/** 2.2.2.8 RUNSPACE_AVAILABILITY: `<Obj RefId="0"><MS><B N="SetMinMaxRunspacesResponse">true</B><I64 N="ci">1</I64></MS></Obj>` (an I64 count answers GET_AVAILABLE_RUNSPACES). */
export interface RunspaceAvailability {
  type: 'RUNSPACE_AVAILABILITY';
  response: boolean | bigint;
  callId: bigint;
}
export const runspaceAvailability: Codec<RunspaceAvailability> = {
  type: 'RUNSPACE_AVAILABILITY',
  encode: (m) => bag([['SetMinMaxRunspacesResponse', m.response], ['ci', m.callId]]),
  decode: (v) => {
    const r = new Reader('RUNSPACE_AVAILABILITY', v);
    const resp = r.any('SetMinMaxRunspacesResponse');
    return { type: 'RUNSPACE_AVAILABILITY', response: typeof resp === 'boolean' ? resp : r.long('SetMinMaxRunspacesResponse'), callId: r.long('ci') };
  },
};

/** 2.2.2.11 GET_AVAILABLE_RUNSPACES and 2.2.2.? RESET_RUNSPACE_STATE: `<Obj RefId="0"><MS><I64 N="ci">0</I64></MS></Obj>` */
export interface CallIdOnly {
  type: 'GET_AVAILABLE_RUNSPACES' | 'RESET_RUNSPACE_STATE';
  callId: bigint;
}
function callIdOnly(type: CallIdOnly['type']): Codec<CallIdOnly> {
  return {
    type,
    encode: (m) => bag([['ci', m.callId]]),
    decode: (v) => ({ type, callId: new Reader(type, v).long('ci') }),
  };
}
export const getAvailableRunspaces = callIdOnly('GET_AVAILABLE_RUNSPACES');
export const resetRunspaceState = callIdOnly('RESET_RUNSPACE_STATE');

/** 2.2.2.12 USER_EVENT: a PSEventArgs object, kept as it came. */
export interface UserEvent {
  type: 'USER_EVENT';
  event: PSValue;
}
export const userEvent: Codec<UserEvent> = {
  type: 'USER_EVENT',
  encode: (m) => m.event,
  decode: (v) => ({ type: 'USER_EVENT', event: v }),
};
