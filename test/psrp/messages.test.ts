/** The PSRP message header (MS-PSRP 2.2.1) and every typed codec: encode -> decode is the identity. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToGuid, decodeMessage, encodeMessage, guidToBytes, MessageType, messageTypeName } from '../../src/psrp/message.js';
import { command, decodeTyped, encodeTyped, noHostInfo, type TypedMessage } from '../../src/psrp/messages/index.js';
import { PSObject, ps } from '../../src/psrp/clixml/index.js';
import { PsrpProtocolError } from '../../src/psrp/errors.js';

const RPID = '11223344-5566-7788-99aa-bbccddeeff00';
const PID = '0c9c5a4e-1e2f-4c7a-9b1d-2f3e4d5c6b7a';

describe('message header', () => {
  it('GUIDs in .NET byte order (first three fields little-endian)', () => {
    expect(Buffer.from(guidToBytes('00112233-4455-6677-8899-aabbccddeeff')).toString('hex')).toBe('33221100554477668899aabbccddeeff');
    fc.assert(fc.property(fc.uuid(), (g) => {
      expect(bytesToGuid(guidToBytes(g))).toBe(g);
    }));
  });
  it('little-endian destination and type, then RPID, PID, optional BOM and the data', () => {
    const b = encodeMessage({ destination: 2, messageType: MessageType.SESSION_CAPABILITY, rpid: RPID, pid: PID, data: '<S>é</S>', bom: true });
    expect(Buffer.from(b.subarray(0, 8)).toString('hex')).toBe('0200000002000100');
    expect(Buffer.from(b.subarray(40, 43)).toString('hex')).toBe('efbbbf');
    expect(decodeMessage(b)).toEqual({ destination: 2, messageType: 0x00010002, rpid: RPID, pid: PID, data: '<S>é</S>', bom: true });
    expect(messageTypeName(0x00041011)).toBe('INFORMATION_RECORD');
    expect(Object.keys(MessageType)).toHaveLength(31);
  });
  it('bad headers are PsrpProtocolErrors', () => {
    expect(() => decodeMessage(new Uint8Array(39))).toThrow(expect.objectContaining({ code: 'ERR_PSRP_MESSAGE' }));
    const b = encodeMessage({ destination: 1, messageType: 1, rpid: RPID, pid: PID, data: '' });
    b[0] = 3;
    expect(() => decodeMessage(b)).toThrow(expect.objectContaining({ code: 'ERR_PSRP_MESSAGE' }));
    const bad = Buffer.concat([encodeMessage({ destination: 1, messageType: 1, rpid: RPID, pid: PID, data: '' }), Buffer.from([0xff])]);
    expect(() => decodeMessage(bad)).toThrow(expect.objectContaining({ code: 'ERR_PSRP_MESSAGE' }));
  });
  it('fuzz: decodeTyped of garbage and of mutated messages gives a PsrpProtocolError or a message', () => {
    const good = encodeTyped({ type: 'RUNSPACEPOOL_STATE', runspaceState: 2 }, { destination: 1, rpid: RPID });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
      const b = Uint8Array.from(good);
      b[i % b.length] = v;
      return b;
    })), (b) => {
      try {
        decodeTyped(b);
      } catch (err) {
        expect(err).toBeInstanceOf(PsrpProtocolError);
      }
    }), { numRuns: 2000 });
  });
});

const rec = new PSObject({ typeNames: ['System.Management.Automation.VerboseRecord'], toStringText: 'v', extended: [['InformationalRecord_Message', 'v']] });
const samples: TypedMessage[] = [
  { type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1', timeZone: new Uint8Array([1, 2]) },
  { type: 'INIT_RUNSPACEPOOL', minRunspaces: 1, maxRunspaces: 2, threadOptions: { value: 0, name: 'Default' }, apartmentState: { value: 2, name: 'Unknown' }, hostInfo: noHostInfo(), applicationArguments: null },
  { type: 'APPLICATION_PRIVATE_DATA', applicationPrivateData: new PSObject({ typeNames: ['System.Management.Automation.PSPrimitiveDictionary'], dict: [['a', 1]] }) },
  { type: 'RUNSPACEPOOL_STATE', runspaceState: 5, exceptionAsErrorRecord: rec },
  { type: 'SET_MAX_RUNSPACES', runspaces: 4, callId: 1n },
  { type: 'SET_MIN_RUNSPACES', runspaces: 2, callId: 2n },
  { type: 'RUNSPACE_AVAILABILITY', response: true, callId: 1n },
  { type: 'RUNSPACE_AVAILABILITY', response: 3n, callId: 4n },
  { type: 'GET_AVAILABLE_RUNSPACES', callId: 4n },
  { type: 'RESET_RUNSPACE_STATE', callId: 5n },
  { type: 'CREATE_PIPELINE', noInput: false, apartmentState: { value: 2, name: 'Unknown' }, remoteStreamOptions: { value: 0, name: 'None' }, addToHistory: true, hostInfo: noHostInfo(), isNested: false,
    powerShell: { isNested: false, extraCmds: [[command('a', true)]], cmds: [command('Get-Item', false, [{ name: 'Path', value: '/' }, { name: null, value: 1 }])], history: 'h', redirectShellErrorOutputPipe: true } },
  { type: 'GET_COMMAND_METADATA', name: ['Get-*'], commandType: { value: 511, name: 'All' }, namespace: null, argumentList: [1] },
  { type: 'PIPELINE_INPUT', value: 'x' },
  { type: 'PIPELINE_OUTPUT', value: ps.int64(5) },
  { type: 'END_OF_PIPELINE_INPUT' },
  { type: 'PIPELINE_STATE', pipelineState: 4 },
  { type: 'VERBOSE_RECORD', message: 'v', record: rec },
  { type: 'PROGRESS_RECORD', activity: 'a', activityId: 1, statusDescription: 's', currentOperation: null, parentActivityId: -1, percentComplete: 5, recordType: { value: 0, name: 'Processing' }, secondsRemaining: -1 },
  { type: 'PIPELINE_HOST_CALL', callId: 1n, methodId: { value: 11, name: 'ReadLine' }, parameters: [] },
  { type: 'RUNSPACEPOOL_HOST_CALL', callId: -100n, methodId: { value: 6, name: 'SetShouldExit' }, parameters: [1] },
  { type: 'PIPELINE_HOST_RESPONSE', callId: 1n, methodId: { value: 11, name: 'ReadLine' }, returnValue: 'typed' },
  { type: 'RUNSPACEPOOL_HOST_RESPONSE', callId: 2n, methodId: { value: 11, name: 'ReadLine' }, error: rec },
  { type: 'CONNECT_RUNSPACEPOOL' },
  { type: 'CONNECT_RUNSPACEPOOL', minRunspaces: 1, maxRunspaces: 3 },
  { type: 'RUNSPACEPOOL_INIT_DATA', minRunspaces: 1, maxRunspaces: 1 },
  { type: 'PUBLIC_KEY', publicKey: 'BgIAAACkAABSU0Ex' },
  { type: 'PUBLIC_KEY_REQUEST' },
  { type: 'ENCRYPTED_SESSION_KEY', encryptedSessionKey: 'AQIAABBm' },
];

describe('typed codecs', () => {
  it.each(samples.map((s) => [s.type, s] as const))('%s: encode -> decode is the identity', (_t, m) => {
    const d = decodeTyped(encodeTyped(m, { destination: 2, rpid: RPID, pid: PID }));
    expect(d).toEqual({ destination: 2, rpid: RPID, pid: PID, message: m });
  });
  it('a message missing a required property is ERR_PSRP_MESSAGE', () => {
    const b = encodeMessage({ destination: 1, messageType: MessageType.PIPELINE_STATE, rpid: RPID, pid: PID, data: '<Obj RefId="0"><MS /></Obj>' });
    expect(() => decodeTyped(b)).toThrow(expect.objectContaining({ code: 'ERR_PSRP_MESSAGE' }));
  });
});
