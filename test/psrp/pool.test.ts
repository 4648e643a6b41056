/**
 * The runspace pool and pipeline tables and the client role, driven without any process: what the
 * pool queues to send, and the events it reports for server messages fed in as fragments. Also
 * the out-of-process packet codec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClientRunspacePool, decodeFragments, decodeTyped, EMPTY_GUID, encodePacket, encodeTyped, fragmentBytes, OutOfProcParser, decodePacket,
  PIPELINE_TABLE, pipelineMachine, POOL_TABLE, poolMachine, PsrpProtocolError, scriptSpec, type PsrpEvent, type TypedMessage,
} from '../../src/psrp/index.js';
import { WsmanStateError } from '../../src/core/state/errors.js';
import { WsmanUsageError } from '../../src/core/errors.js';
import { parseXml, type XmlElement } from '../../src/core/xml.js';
import { pypsrp } from '../helpers/fixtures.js';

function find(el: XmlElement, name: string): XmlElement | undefined {
  if (el.name === name) return el;
  for (const c of el.children) {
    const f = find(c, name);
    if (f) return f;
  }
  return undefined;
}

const RPID = '11223344-5566-7788-99aa-bbccddeeff00';
const PID = '0c9c5a4e-1e2f-4c7a-9b1d-2f3e4d5c6b7a';
let oid = 100n;
const fromServer = (m: TypedMessage, pid = EMPTY_GUID): Uint8Array => fragmentBytes(oid++, encodeTyped(m, { destination: 1, rpid: RPID, pid, bom: true }), 200);
const drain = (p: ClientRunspacePool): PsrpEvent[] => {
  const out: PsrpEvent[] = [];
  let e;
  while ((e = p.nextEvent())) out.push(e);
  return out;
};

function opened(): ClientRunspacePool {
  const pool = new ClientRunspacePool({ rpid: RPID });
  pool.open();
  pool.dataToSend();
  pool.receiveData(Buffer.concat([
    fromServer({ type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' }),
    fromServer({ type: 'RUNSPACEPOOL_STATE', runspaceState: 2 }),
  ]));
  drain(pool);
  return pool;
}

describe('state tables', () => {
  it('the pool refuses what its state does not allow, naming the states that would', () => {
    expect(poolMachine.next('BeforeOpen', 'open')).toBe('NegotiationSent');
    expect(() => poolMachine.next('Closed', 'open')).toThrow(WsmanStateError);
    expect(poolMachine.allowedStates('disconnect')).toEqual(['Opened']);
    expect(Object.keys(POOL_TABLE)).toHaveLength(10);
  });
  it('a pipeline ends once: Completed, Failed and Stopped allow nothing', () => {
    for (const s of ['Completed', 'Failed', 'Stopped'] as const) expect(pipelineMachine.allowedEvents(s)).toEqual([]);
    expect(pipelineMachine.next('Running', 'stop')).toBe('Stopping');
    expect(() => pipelineMachine.next('NotStarted', 'stop')).toThrow(WsmanStateError);
    expect(Object.keys(PIPELINE_TABLE)).toHaveLength(7);
  });
});

describe('client pool (sans-IO)', () => {
  it('open queues SESSION_CAPABILITY + INIT_RUNSPACEPOOL as one pool-level item of fragments', () => {
    const pool = new ClientRunspacePool({ rpid: RPID, maxFragmentSize: 100 });
    pool.open();
    const out = pool.dataToSend();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'data', pid: EMPTY_GUID, stream: 'Default', messageTypes: ['SESSION_CAPABILITY', 'INIT_RUNSPACEPOOL'] });
    const frags = decodeFragments((out[0] as { data: Uint8Array }).data);
    expect(frags.every((f) => f.blob.length <= 79)).toBe(true);
    expect(new Set(frags.map((f) => f.objectId))).toEqual(new Set([1n, 2n]));
    expect(pool.dataToSend()).toEqual([]);
    expect(pool.state).toBe('NegotiationSent');
  });
  it('server messages become state changes and typed events', () => {
    const pool = new ClientRunspacePool({ rpid: RPID });
    pool.open();
    const bytes = Buffer.concat([
      fromServer({ type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' }),
      fromServer({ type: 'APPLICATION_PRIVATE_DATA', applicationPrivateData: null }),
      fromServer({ type: 'RUNSPACEPOOL_STATE', runspaceState: 2 }),
    ]);
    for (let i = 0; i < bytes.length; i += 7) pool.receiveData(bytes.subarray(i, i + 7));
    expect(drain(pool).map((e) => (e.type === 'Message' ? e.message.type : `${e.type}:${e.state}`))).toEqual(['PoolState:NegotiationSent', 'PoolState:NegotiationSucceeded', 'SESSION_CAPABILITY', 'APPLICATION_PRIVATE_DATA', 'PoolState:Opened']);
    expect(pool.serverProtocolVersion).toBe('2.3');
  });
  it('a pipeline: CREATE_PIPELINE starts it, input follows, output and state come back', () => {
    const pool = opened();
    const p = pool.createPipeline(PID);
    p.invoke({ ...scriptSpec('$input'), input: true });
    p.sendInput('a');
    p.endInput();
    const out = pool.dataToSend();
    expect(out.map((o) => (o.kind === 'data' ? [o.pid, o.messageTypes, o.startsPipeline ?? false] : o.kind))).toEqual([
      [PID, ['CREATE_PIPELINE'], true], [PID, ['PIPELINE_INPUT', 'END_OF_PIPELINE_INPUT'], false],
    ]);
    const create = decodeTyped(decodeFragments((out[0] as { data: Uint8Array }).data)[0]!.blob);
    expect(create).toMatchObject({ destination: 2, rpid: RPID, pid: PID, message: { type: 'CREATE_PIPELINE', noInput: false } });
    pool.receiveData(Buffer.concat([fromServer({ type: 'PIPELINE_OUTPUT', value: 'a' }, PID), fromServer({ type: 'PIPELINE_STATE', pipelineState: 4 }, PID)]));
    expect(drain(pool)).toEqual([
      { type: 'Message', pid: PID, message: { type: 'PIPELINE_OUTPUT', value: 'a' } },
      { type: 'PipelineState', pid: PID, state: 'Completed' },
    ]);
    p.close();
    expect(pool.dataToSend()).toEqual([{ kind: 'close', pid: PID }]);
  });
  it('stop, and a failed pipeline keeps its error record', () => {
    const pool = opened();
    const p = pool.createPipeline(PID);
    p.invoke(scriptSpec('sleep 9'));
    p.stop();
    expect(pool.dataToSend().map((o) => o.kind)).toEqual(['data', 'signal']);
    pool.receiveData(fromServer({ type: 'PIPELINE_STATE', pipelineState: 5, exceptionAsErrorRecord: 'boom' }, PID));
    expect(drain(pool)).toEqual([{ type: 'PipelineState', pid: PID, state: 'Failed', error: 'boom' }]);
    expect(() => p.stop()).toThrow(WsmanStateError);
  });
  it('misuse is a usage error; a server message out of turn is a typed error', () => {
    const fresh = new ClientRunspacePool({ rpid: RPID });
    expect(() => fresh.createPipeline(PID)).toThrow(WsmanUsageError);
    const broken = opened();
    expect(() => broken.receiveData(fromServer({ type: 'PIPELINE_STATE', pipelineState: 4 }, PID))).toThrow(PsrpProtocolError);
    expect(broken.state).toBe('Broken');
    expect(drain(broken)).toEqual([{ type: 'PoolState', state: 'Broken' }]);
    expect(() => broken.receiveData(fromServer({ type: 'RUNSPACEPOOL_STATE', runspaceState: 2 }))).toThrow(PsrpProtocolError);
    expect(() => opened().receiveData(fromServer({ type: 'RUNSPACEPOOL_STATE', runspaceState: 0 }))).toThrow(PsrpProtocolError);
    const early = new ClientRunspacePool({ rpid: RPID });
    expect(() => early.receiveData(fromServer({ type: 'RUNSPACEPOOL_INIT_DATA', minRunspaces: 1, maxRunspaces: 1 }))).toThrow(PsrpProtocolError);
    const pool = opened();
    pool.close();
    expect(pool.state).toBe('Closing');
    expect(pool.dataToSend()).toEqual([{ kind: 'close', pid: EMPTY_GUID }]);
  });
});

describe('connect, disconnect, reconnect', () => {
  it('connects to a disconnected pool as the recording did (connectXml out, connectResponseXml in)', () => {
    const ex = pypsrp('test_psrp_disconnect_runspaces.yml', 14);
    const request = parseXml(ex.request);
    const connectXml = Buffer.from(find(request, 'connectXml')!.text.trim(), 'base64');
    // The recording's pypsrp wrote the RPID in RFC byte order (the ShellId B6631D8E-65A0-49F2-…
    // appears as 8e1d63b6-a065-f249-… when read in .NET order, as PowerShell writes it with
    // Guid.ToByteArray()); Windows echoed it. So the pool id is taken from the header here.
    const rpid = decodeTyped(decodeFragments(connectXml)[0]!.blob).rpid;
    expect(find(request, 'Selector')!.text.trim()).toBe('B6631D8E-65A0-49F2-9053-A1B156C95777');
    const pool = new ClientRunspacePool({ rpid });
    pool.connect();
    const out = pool.dataToSend();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'data', pid: EMPTY_GUID, messageTypes: ['SESSION_CAPABILITY', 'CONNECT_RUNSPACEPOOL'] });
    const recorded = decodeFragments(connectXml).map((f) => decodeTyped(f.blob));
    expect(decodeFragments((out[0] as { data: Uint8Array }).data).map((f) => decodeTyped(f.blob))).toEqual(recorded);
    expect(pool.state).toBe('Connecting');
    pool.receiveData(Buffer.from(find(parseXml(ex.response!), 'connectResponseXml')!.text.trim(), 'base64'));
    expect(pool.state).toBe('Opened');
    expect(drain(pool).map((e) => (e.type === 'Message' ? e.message.type : `${e.type}:${e.state}`))).toEqual(['PoolState:Connecting', 'SESSION_CAPABILITY', 'PoolState:Opened', 'RUNSPACEPOOL_INIT_DATA']);
    const adopted = pool.adoptPipeline(PID);
    expect(adopted.state).toBe('Running');
  });
  it('disconnect and reconnect carry running pipelines along', () => {
    const pool = opened();
    pool.createPipeline(PID).invoke(scriptSpec('sleep 60'));
    pool.dataToSend();
    pool.disconnected();
    expect(drain(pool)).toEqual([{ type: 'PoolState', state: 'Disconnected' }, { type: 'PipelineState', pid: PID, state: 'Disconnected' }]);
    expect(() => pool.createPipeline('0c9c5a4e-1e2f-4c7a-9b1d-000000000000')).toThrow(WsmanUsageError);
    pool.reconnected();
    expect(drain(pool)).toEqual([{ type: 'PoolState', state: 'Opened' }, { type: 'PipelineState', pid: PID, state: 'Running' }]);
    expect(() => pool.reconnected()).toThrow(WsmanStateError);
  });
});

describe('client pool fuzz', () => {
  const anyMessage = fc.constantFrom<TypedMessage>(
    { type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' },
    { type: 'RUNSPACEPOOL_STATE', runspaceState: 2 }, { type: 'RUNSPACEPOOL_STATE', runspaceState: 3 }, { type: 'RUNSPACEPOOL_STATE', runspaceState: 7 },
    { type: 'PIPELINE_STATE', pipelineState: 4 }, { type: 'PIPELINE_OUTPUT', value: 1 }, { type: 'RUNSPACEPOOL_INIT_DATA', minRunspaces: 1, maxRunspaces: 1 },
    { type: 'APPLICATION_PRIVATE_DATA', applicationPrivateData: null },
  );
  it('any sequence of server messages gives events or a PsrpProtocolError (pool Broken), never anything else', () => {
    fc.assert(fc.property(fc.array(fc.tuple(anyMessage, fc.boolean()), { maxLength: 8 }), fc.boolean(), (seq, withPipeline) => {
      const pool = withPipeline ? opened() : new ClientRunspacePool({ rpid: RPID });
      if (withPipeline) pool.createPipeline(PID).invoke(scriptSpec('1'));
      else pool.open();
      for (const [m, toPipeline] of seq) {
        try {
          pool.receiveData(fromServer(m, toPipeline ? PID : EMPTY_GUID));
        } catch (err) {
          expect(err).toBeInstanceOf(PsrpProtocolError);
          expect(pool.state).toBe('Broken');
        }
      }
    }), { numRuns: 500 });
  });
});

describe('out-of-process packets', () => {
  it('encode and decode, in any chunking', () => {
    const data = new Uint8Array([1, 2, 3]);
    const text = encodePacket({ kind: 'Data', psGuid: PID, stream: 'PromptResponse', data }) + encodePacket({ kind: 'CloseAck', psGuid: EMPTY_GUID }) + "<DataAck PSGuid='" + PID.toUpperCase() + "' />\r\n";
    expect(text.startsWith(`<Data Stream='PromptResponse' PSGuid='${PID}'>AQID</Data>\n`)).toBe(true);
    fc.assert(fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 6 }), (cuts) => {
      const parser = new OutOfProcParser();
      const at = [...new Set(cuts)].sort((a, b) => a - b);
      const got = [];
      let prev = 0;
      for (const c of [...at, text.length]) {
        got.push(...parser.push(text.slice(prev, c)));
        prev = c;
      }
      expect(got).toEqual([{ kind: 'Data', psGuid: PID, stream: 'PromptResponse', data }, { kind: 'CloseAck', psGuid: EMPTY_GUID }, { kind: 'DataAck', psGuid: PID }]);
    }));
  });
  it('bad lines are PsrpProtocolErrors', () => {
    for (const line of ['<Foo PSGuid=\'' + PID + '\' />', '<Data PSGuid=\'nope\'>AA==</Data>', `<Data Stream='Other' PSGuid='${PID}'>AA==</Data>`, `<Data PSGuid='${PID}'>!!</Data>`, 'not xml', '<!DOCTYPE x><x/>']) {
      expect(() => decodePacket(line)).toThrow(PsrpProtocolError);
    }
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        new OutOfProcParser().push(`${s}\n`);
      } catch (err) {
        expect(err).toBeInstanceOf(PsrpProtocolError);
      }
    }), { numRuns: 500 });
  });
});
