/**
 * The client's PSRP over WS-Man against recorded Windows conversations (pypsrp's test_psrp_*.yml):
 * the client sends the recorded sequence of requests (Action, ResourceURI, ShellId, CommandId,
 * streams and PSRP message types compared with the recording) and decodes every recorded server
 * message into typed events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { fragmentSizeFor, WsmanRunspace } from '../../src/client/psrp/wsman.js';
import { eventsUntil } from '../../src/client/psrp/transport.js';
import { ClientRunspacePool, type PsrpEvent } from '../../src/psrp/pool.js';
import { scriptSpec } from '../../src/psrp/pipeline.js';
import { startReplay, type Replay } from './replay-server.js';

const open: Array<{ replay: Replay; client: WsmanClient }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.client.close();
    await o.replay.close();
  }
});

async function openPool(file: string, opts: { auto?: boolean; protocolVersion?: string } = {}) {
  const replay = await startReplay(file);
  const client = new WsmanClient({ endpoint: { connectionUri: replay.url }, ...(opts.auto ? { maxEnvelopeSize: 'auto' as const } : {}) });
  open.push({ replay, client });
  await client.prepare();
  const pool = new ClientRunspacePool({ rpid: replay.ids.rpids[0]!, maxFragmentSize: fragmentSizeFor(client.maxEnvelopeSize), ...(opts.protocolVersion ? { protocolVersion: opts.protocolVersion } : {}) });
  const t = new WsmanRunspace(client, pool, { poolReceive: false, shellId: replay.ids.shellIds[0]!, ...(opts.protocolVersion ? { protocolVersion: opts.protocolVersion } : {}) });
  pool.open();
  await t.flush();
  const events = await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
  return { replay, client, pool, t, events };
}

const ended = (e: PsrpEvent): boolean => e.type === 'PipelineState' && ['Completed', 'Failed', 'Stopped'].includes(e.state);
const messageTypes = (events: PsrpEvent[]): string[] => events.flatMap((e) => (e.type === 'Message' ? [e.message.type] : []));

async function runPipeline(ctx: Awaited<ReturnType<typeof openPool>>, index: number, input?: unknown[], script = 'recorded'): Promise<PsrpEvent[]> {
  const p = ctx.pool.createPipeline(ctx.replay.ids.pids[index]!);
  p.invoke({ ...scriptSpec(script), input: input !== undefined });
  if (input) {
    for (const v of input) p.sendInput(v as string);
    p.endInput();
  }
  await ctx.t.flush();
  return eventsUntil(ctx.t, ended);
}

async function closePool(ctx: Awaited<ReturnType<typeof openPool>>): Promise<void> {
  ctx.pool.close();
  await ctx.t.flush();
  await ctx.t.settled();
  expect(ctx.pool.state).toBe('Closed');
  expect(ctx.replay.mismatches).toEqual([]);
  expect(ctx.replay.served()).toBe(ctx.replay.exchanges.length);
  const { ours, recorded } = ctx.replay.clientMessages();
  expect(ours).toEqual(recorded);
}

describe('PSRP over WS-Man, replayed from recorded Windows conversations', () => {
  it('test_psrp_open_runspace: Create with creationXml, pool Receives until Opened, Delete', async () => {
    const ctx = await openPool('test_psrp_open_runspace.yml');
    expect(messageTypes(ctx.events)).toContain('APPLICATION_PRIVATE_DATA');
    expect(ctx.pool.serverProtocolVersion).toBe('2.3');
    expect(ctx.pool.applicationPrivateData).toBeDefined();
    await closePool(ctx);
  });

  it('test_psrp_stream_output_invocation: output and every record stream, eight fragments in one Receive', async () => {
    const ctx = await openPool('test_psrp_stream_output_invocation.yml');
    const events = await runPipeline(ctx, 0);
    expect(messageTypes(events).sort()).toEqual(['DEBUG_RECORD', 'ERROR_RECORD', 'INFORMATION_RECORD', 'PIPELINE_OUTPUT', 'PROGRESS_RECORD', 'VERBOSE_RECORD', 'WARNING_RECORD']);
    expect(events.at(-1)).toMatchObject({ type: 'PipelineState', state: 'Completed' });
    await closePool(ctx);
  });

  it('test_psrp_error_failed: a Failed pipeline with its error record', async () => {
    const ctx = await openPool('test_psrp_error_failed.yml');
    const events = await runPipeline(ctx, 0);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'PipelineState', state: 'Failed' });
    expect((last as { error?: unknown }).error).toBeDefined();
    await closePool(ctx);
  });

  it('test_psrp_small_msg_size: MaxEnvelopeSize 32 KiB from the config, CREATE_PIPELINE split over Command and Send', async () => {
    const ctx = await openPool('test_psrp_small_msg_size.yml', { auto: true });
    expect(ctx.client.maxEnvelopeSize).toBe(32768);
    // A script as long as the recorded one: CREATE_PIPELINE needs two fragments.
    const events = await runPipeline(ctx, 0, ['input'], `'${'a'.repeat(30000)}'`);
    expect(messageTypes(events)).toEqual(['PIPELINE_OUTPUT', 'PIPELINE_OUTPUT', 'PIPELINE_OUTPUT']);
    expect(events.at(-1)).toMatchObject({ type: 'PipelineState' });
    await closePool(ctx);
  });

  for (const v of ['2.1', '2.2', '2.3']) {
    it(`test_psrp_run_protocol_version_${v}: the server's protocol version, its own CommandId honoured`, async () => {
      const ctx = await openPool(`test_psrp_run_protocol_version_${v}.yml`, { protocolVersion: v });
      const events = await runPipeline(ctx, 0, [1, 2, 3]);
      expect(messageTypes(events)).toContain('PIPELINE_OUTPUT');
      await closePool(ctx);
    });
  }

  it('test_psrp_pshost_methods: host calls decode into PIPELINE_HOST_CALL events', async () => {
    const ctx = await openPool('test_psrp_pshost_methods.yml');
    const events = await runPipeline(ctx, 0);
    expect(messageTypes(events)).toContain('PIPELINE_HOST_CALL');
    await closePool(ctx);
  });
});

describe('the PowerShell API over WS-Man, replayed', () => {
  it('RunspacePool.open + PowerShell.beginInvoke give every stream of test_psrp_stream_output_invocation', async () => {
    const { PowerShell, RunspacePool } = await import('../../src/client/psrp/powershell.js');
    const replay = await startReplay('test_psrp_stream_output_invocation.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    const s = await PowerShell.create(pool, { instanceId: replay.ids.pids[0]! }).addScript('recorded').beginInvoke();
    const count = async (it: AsyncIterable<unknown>): Promise<number> => { let n = 0; for await (const _ of it) n++; return n; };
    const counts = await Promise.all([s.output, s.error, s.warning, s.verbose, s.debug, s.information, s.progress].map(count));
    expect(counts).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect((await s.completion).state).toBe('Completed');
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });

  it('invoke() of test_psrp_error_failed throws PipelineFailedError', async () => {
    const { PowerShell, RunspacePool, PipelineFailedError } = await import('../../src/client/psrp/powershell.js');
    const replay = await startReplay('test_psrp_error_failed.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    const err = await PowerShell.create(pool, { instanceId: replay.ids.pids[0]! }).addScript('recorded').invoke().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    await pool.close();
    expect(replay.mismatches).toEqual([]);
  });
});

describe('disconnected runspace pools, replayed', () => {
  it('test_psrp_disconnect_runspaces: Disconnect, Reconnect, Disconnect; another client Connects (connectXml) to both pools and closes them', async () => {
    const replay = await startReplay('test_psrp_disconnect_runspaces.yml');
    const first = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    const second = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client: first }, { replay: { close: async () => undefined } as Replay, client: second });
    const { ids } = replay;
    const openOne = async (i: number): Promise<{ pool: ClientRunspacePool; t: WsmanRunspace }> => {
      const pool = new ClientRunspacePool({ rpid: ids.rpids[i]! });
      const t = new WsmanRunspace(first, pool, { poolReceive: false, shellId: ids.shellIds[i]! });
      pool.open();
      await t.flush();
      await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
      await t.settled();
      return { pool, t };
    };
    const a = await openOne(0);
    await a.t.disconnect();
    expect(a.pool.state).toBe('Disconnected');
    await a.t.reconnect();
    expect(a.pool.state).toBe('Opened');
    await a.t.disconnect();
    const b = await openOne(1);
    await b.t.disconnect();
    replay.skip(3); // Get-PSSession's enumerations of shells and commands (see the session tests)
    const connected: Array<{ pool: ClientRunspacePool; t: WsmanRunspace }> = [];
    for (const i of [0, 1]) {
      const pool = new ClientRunspacePool({ rpid: ids.rpids[i]! });
      const t = await WsmanRunspace.connect(second, pool, ids.shellIds[i]!, { poolReceive: false });
      const seen = await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
      expect(seen.filter((e) => e.type === 'Message').map((e) => (e as { message: { type: string } }).message.type)).toContain('SESSION_CAPABILITY');
      // RUNSPACEPOOL_INIT_DATA (in the connectResponseXml) opened it; its message follows the Opened event.
      expect((await t.nextEvent())).toMatchObject({ type: 'Message', message: { type: 'RUNSPACEPOOL_INIT_DATA', minRunspaces: 1, maxRunspaces: 1 } });
      await t.settled();
      connected.push({ pool, t });
    }
    for (const c of connected) {
      c.pool.close();
      await c.t.flush();
      expect(c.pool.state).toBe('Closed');
    }
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
    const { ours, recorded } = replay.clientMessages();
    expect(ours).toEqual(recorded);
  });
});

describe('the replay server maps ids', () => {
  it('a client with ids of its own (random RunspacePool and pipeline ids) replays test_psrp_run_protocol_version_2.3', async () => {
    const { PowerShell, RunspacePool } = await import('../../src/client/psrp/powershell.js');
    const replay = await startReplay('test_psrp_run_protocol_version_2.3.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false });
    expect(pool.core.rpid).not.toBe(replay.ids.rpids[0]);
    const out = await PowerShell.create(pool).addScript('recorded').invoke([1, 2, 3]);
    expect(out.length).toBeGreaterThan(0);
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });
});

describe('disconnected pipelines, replayed', () => {
  it('test_psrp_disconnected_commands: start pipelines and disconnect at once; another client connects each pool and receives the pipeline it did not start', async () => {
    const replay = await startReplay('test_psrp_disconnected_commands.yml');
    const first = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    const second = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client: first }, { replay: { close: async () => undefined } as Replay, client: second });
    const { ids } = replay;
    for (const i of [0, 1]) {
      const pool = new ClientRunspacePool({ rpid: ids.rpids[i]! });
      const t = new WsmanRunspace(first, pool, { poolReceive: false, shellId: ids.shellIds[i]! });
      pool.open();
      await t.flush();
      await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
      await t.settled();
      pool.createPipeline(ids.pids[i]!).invoke(scriptSpec('recorded'));
      await t.flush({ receive: false }); // Invoke-Command -InDisconnectedSession: no Receive before the Disconnect
      await t.disconnect();
      expect(pool.pipeline(ids.pids[i]!)!.state).toBe('Disconnected');
    }
    replay.skip(3); // Get-PSSession's enumerations
    const closing: Array<{ pool: ClientRunspacePool; t: WsmanRunspace }> = [];
    for (const i of [1, 0]) {
      const pool = new ClientRunspacePool({ rpid: ids.rpids[i]! });
      const t = await WsmanRunspace.connect(second, pool, ids.shellIds[i]!, { poolReceive: false });
      await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
      await t.settled();
      await t.connectPipeline(ids.pids[i]!);
      const events = await eventsUntil(t, ended);
      expect(messageTypes(events)).toContain('PIPELINE_OUTPUT');
      expect(events.at(-1)).toMatchObject({ type: 'PipelineState', pid: ids.pids[i], state: 'Completed' });
      await t.settled();
      closing.push({ pool, t });
    }
    for (const c of closing) {
      replay.skip(1); // the recorded client (pypsrp) sent a Reconnect before each Delete; PowerShell does not
      c.pool.close();
      await c.t.flush();
    }
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
    const { ours, recorded } = replay.clientMessages();
    expect(ours).toEqual(recorded);
  });
});

describe('several pipelines in one pool, replayed', () => {
  it('test_psrp_multiple_invocations: two pipelines one after the other, each released by Signal terminate', async () => {
    const replay = await startReplay('test_psrp_multiple_invocations.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = new ClientRunspacePool({ rpid: replay.ids.rpids[0]! });
    const t = new WsmanRunspace(client, pool, { poolReceive: false, shellId: replay.ids.shellIds[0]!, terminateWhenDone: true });
    pool.open();
    await t.flush();
    await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
    await t.settled();
    for (const pid of replay.ids.pids) {
      const p = pool.createPipeline(pid);
      p.invoke(scriptSpec('recorded'));
      await t.flush();
      const events = await eventsUntil(t, ended);
      expect(events.at(-1)).toMatchObject({ type: 'PipelineState', state: 'Completed' });
      await t.settled();
      p.close();
      await t.flush();
    }
    pool.close();
    await t.flush();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });
});
