/**
 * More recorded Windows PSRP conversations replayed at the WS-Man level (pypsrp's test_psrp_*.yml,
 * see wsman-replay.test.ts for the first ones): the PowerShell API sends the recorded sequence of
 * requests and decodes every recorded server message into its stream. JEA, history, input,
 * application arguments, merged streams, Receive timeouts, host calls answered by a host, and a
 * Receive that fails with the server's fault.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { PowerShell, RunspacePool, type PowerShellStreams } from '../../src/client/psrp/powershell.js';
import { receiveUntilDone } from '../../src/client/receive.js';
import type { WsmanRunspace } from '../../src/client/psrp/wsman.js';
import { getAvailableRunspaces, resetRunspaceState, setMaxRunspaces, setMinRunspaces } from '../../src/client/psrp/poolcalls.js';
import { nonInteractiveHost, type PSHost } from '../../src/client/psrp/host.js';
import { WsmanFaultError } from '../../src/core/errors.js';
import { startReplay, type Replay } from './replay-server.js';

const open: Array<{ replay: Replay; client: WsmanClient }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.client.close();
    await o.replay.close();
  }
});

type Counts = { output: number; error: number; warning: number; verbose: number; debug: number; information: number; progress: number; state: string };

async function drain(s: PowerShellStreams): Promise<Counts> {
  const count = async (it: AsyncIterable<unknown>): Promise<number> => {
    let n = 0;
    for await (const _ of it) n++;
    return n;
  };
  const [output, error, warning, verbose, debug, information, progress] = await Promise.all([s.output, s.error, s.warning, s.verbose, s.debug, s.information, s.progress].map(count));
  return { output: output!, error: error!, warning: warning!, verbose: verbose!, debug: debug!, information: information!, progress: progress!, state: (await s.completion).state };
}

/** Open the recorded pool, run each recorded pipeline in turn (input where given), close; the whole recording is served. */
async function replayPipelines(file: string, opts: { input?: unknown[][]; host?: PSHost; configurationName?: string; keyExchange?: boolean } = {}): Promise<Counts[]> {
  const replay = await startReplay(file);
  const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
  open.push({ replay, client });
  const pool = await RunspacePool.open(client, { poolReceive: false,
    instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]!,
    ...(opts.host ? { host: opts.host } : {}), ...(opts.configurationName ? { configurationName: opts.configurationName } : {}),
  });
  if (opts.keyExchange) {
    // The recorded session key was encrypted to the recording client's RSA key, not ours.
    const err = await pool.exchangeKey().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PSRP_SESSION_KEY' });
  }
  const results: Counts[] = [];
  for (const [i, pid] of replay.ids.pids.entries()) {
    const input = opts.input?.[i];
    const s = await PowerShell.create(pool, { instanceId: pid }).addScript('recorded').beginInvoke(input as string[] | undefined);
    results.push(await drain(s));
  }
  await pool.close();
  expect(replay.mismatches).toEqual([]);
  expect(replay.served()).toBe(replay.exchanges.length);
  const { ours, recorded } = replay.clientMessages();
  expect(ours).toEqual(recorded);
  return results;
}

const none = { output: 0, error: 0, warning: 0, verbose: 0, debug: 0, information: 0, progress: 0 };

describe('more PSRP conversations replayed through the PowerShell API', () => {
  it('test_psrp_stream_no_output_invocation: every record stream of a pipeline that writes to no output variable', async () => {
    expect(await replayPipelines('test_psrp_stream_no_output_invocation.yml')).toEqual([{ output: 1, error: 1, warning: 1, verbose: 1, debug: 1, information: 1, progress: 1, state: 'Completed' }]);
  });

  it('test_psrp_merge_commands: merged streams arrive each on its own stream', async () => {
    const [r] = await replayPipelines('test_psrp_merge_commands.yml');
    expect(r!.state).toBe('Completed');
    expect(r!.output).toBeGreaterThanOrEqual(7);
    expect([r!.error, r!.warning, r!.verbose, r!.debug]).toEqual([1, 1, 1, 1]);
  });

  it('test_psrp_with_input: four input objects piped in (PIPELINE_INPUT x4, END_OF_PIPELINE_INPUT in one Send), four out', async () => {
    const [r] = await replayPipelines('test_psrp_with_input.yml', { input: [['1', '2', '3', '4']] });
    expect(r).toMatchObject({ output: 4, state: 'Completed' });
  });

  it('test_psrp_application_args and test_psrp_no_profile: one output object each', async () => {
    expect(await replayPipelines('test_psrp_application_args.yml')).toEqual([{ ...none, output: 1, state: 'Completed' }]);
    expect(await replayPipelines('test_psrp_no_profile.yml')).toEqual([{ ...none, output: 1, state: 'Completed' }]);
  });

  it('test_psrp_clear_commands: one pipeline after the commands were cleared', async () => {
    expect(await replayPipelines('test_psrp_clear_commands.yml')).toEqual([{ ...none, output: 1, progress: 1, state: 'Completed' }]);
  });

  it('test_psrp_with_history and test_psrp_with_no_history: two pipelines one after the other', async () => {
    expect(await replayPipelines('test_psrp_with_history.yml')).toEqual([{ ...none, output: 2, progress: 1, state: 'Completed' }, { ...none, output: 1, state: 'Completed' }]);
    expect(await replayPipelines('test_psrp_with_no_history.yml')).toEqual([{ ...none, output: 2, progress: 1, state: 'Completed' }, { ...none, state: 'Completed' }]);
  });

  it('test_psrp_with_jea_configuration: a JEA endpoint runs an allowed command and fails a forbidden one with its error record', async () => {
    const replay = await startReplay('test_psrp_with_jea_configuration.yml');
    await replay.close();
    const resourceUri = /ResourceURI[^>]*>([^<]*)</.exec(replay.exchanges[0]!.request)![1]!;
    expect(resourceUri).toBe('http://schemas.microsoft.com/powershell/JEARole');
    const [allowed, forbidden] = await replayPipelines('test_psrp_with_jea_configuration.yml', { configurationName: 'JEARole' });
    expect(allowed).toEqual({ ...none, output: 1, state: 'Completed' });
    expect(forbidden).toEqual({ ...none, error: 1, state: 'Failed' });
  });

  it('test_psrp_long_running_cmdlet: Receives that time out (OperationTimeout faults) are sent again until the output comes', async () => {
    expect(await replayPipelines('test_psrp_long_running_cmdlet.yml')).toEqual([{ ...none, output: 1, state: 'Completed' }]);
  });

  it('test_psrp_pshost_raw_ui_mocked_methods: the host gets every call; ReadKey, the one that waits for an answer, is refused in the one recorded Send of `pr`', async () => {
    const asked: string[] = [];
    const inner = nonInteractiveHost({ write: () => undefined }) as Record<string, unknown>;
    const host = new Proxy(inner, { get: (t, name: string) => (asked.push(name), t[name]) }) as PSHost;
    const [r] = await replayPipelines('test_psrp_pshost_raw_ui_mocked_methods.yml', { host });
    expect(r!.state).toBe('Completed');
    expect(r!.output).toBeGreaterThan(0);
    expect(asked).toEqual(['SetForegroundColor', 'SetBackgroundColor', 'WriteProgress', 'SetCursorPosition', 'SetWindowPosition', 'SetCursorSize', 'SetBufferSize',
      'SetWindowSize', 'SetWindowTitle', 'ReadKey', 'FlushInputBuffer', 'SetBufferContents1', 'SetBufferContents2', 'ScrollBufferContents']);
    // Only ReadKey waits for an answer: the non-interactive host refused it, in the one recorded Send.
  });

  it('test_psrp_multiple_commands: PUBLIC_KEY sent, ENCRYPTED_SESSION_KEY received (for the recording\'s key, so refused), then a pipeline', async () => {
    expect(await replayPipelines('test_psrp_multiple_commands.yml', { keyExchange: true })).toEqual([{ ...none, output: 7, state: 'Completed' }]);
  });

  it('test_psrp_pshost_ui_mocked_methods: after the key exchange, every UI host call reaches the host; the five that wait are answered', async () => {
    const asked: string[] = [];
    let text = '';
    const inner = nonInteractiveHost({ write: (t) => (text += t) }) as Record<string, unknown>;
    const host = new Proxy(inner, { get: (t, name: string) => (asked.push(name), t[name]) }) as PSHost;
    const [r] = await replayPipelines('test_psrp_pshost_ui_mocked_methods.yml', { host, keyExchange: true });
    expect(r!.state).toBe('Completed');
    expect(asked.filter((n) => ['ReadLine', 'ReadLineAsSecureString', 'Prompt', 'PromptForCredential1', 'PromptForCredential2', 'PromptForChoice'].includes(n))).toHaveLength(5);
    expect(asked).toContain('WriteLine2');
    expect(text.length).toBeGreaterThan(0);
  });

  it('test_psrp_key_exchange_timeout: no ENCRYPTED_SESSION_KEY comes; the caller gives up (abort) and closes the pool', async () => {
    const replay = await startReplay('test_psrp_key_exchange_timeout.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    const ac = new AbortController();
    const waiting = pool.exchangeKey(ac.signal).catch((e: unknown) => e);
    await vi.waitFor(() => expect(replay.served()).toBe(5), { timeout: 10_000, interval: 10 }); // PUBLIC_KEY sent, the Receive answered with nothing
    ac.abort(new Error('key exchange timed out'));
    expect(await waiting).toMatchObject({ message: 'key exchange timed out' });
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });

  it('test_psrp_receive_failure: a Receive for a command the shell does not have fails with the server\'s WSManFault', async () => {
    const replay = await startReplay('test_psrp_receive_failure.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    const commandId = /CommandId="([^"]+)"/.exec(replay.exchanges[3]!.request)![1]!;
    const err = await receiveUntilDone({
      client, resourceUri: 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell', shellId: replay.ids.shellIds[0]!, commandId, streams: ['stdout'], onData: () => undefined,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect([(err as WsmanFaultError).subcode, (err as WsmanFaultError).wsmanCode]).toEqual(['w:InvalidSelectors', 2150858843]);
    expect(pool.core.state).toBe('Opened');
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });
});

describe('is the pool alive (WS-Transfer Get of its shell), replayed', () => {
  async function openRecorded(file: string): Promise<{ replay: Replay; pool: RunspacePool; shell: NonNullable<WsmanRunspace['shell']> }> {
    const replay = await startReplay(file);
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    return { replay, pool, shell: (pool.transport as WsmanRunspace).shell! };
  }

  it('test_psrp_is_alive_state_disconnected: Connected, then Disconnected once another client took it', async () => {
    const { replay, shell } = await openRecorded('test_psrp_is_alive_state_disconnected.yml');
    expect((await shell.get()).state).toBe('Connected');
    expect((await shell.get()).state).toBe('Disconnected');
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });

  it('test_psrp_is_alive_invalid_selectors: the shell is gone, the typed InvalidSelectors fault', async () => {
    const { replay, shell } = await openRecorded('test_psrp_is_alive_invalid_selectors.yml');
    expect((await shell.get()).state).toBe('Connected');
    const err = await shell.get().catch((e: unknown) => e);
    expect([(err as WsmanFaultError).subcode, (err as WsmanFaultError).wsmanCode]).toEqual(['w:InvalidSelectors', 2150858843]);
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });
  // test_psrp_is_alive_other_wsman_error (a request pypsrp broke on purpose, OperationTimeout PT-1S):
  // test/psrp/alive-replay.test.ts.
});

describe('pool calls answered by RUNSPACE_AVAILABILITY, replayed', () => {
  async function openRecorded(file: string): Promise<{ replay: Replay; pool: RunspacePool }> {
    const replay = await startReplay(file);
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    return { replay, pool: await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! }) };
  }
  async function closed(replay: Replay, pool: RunspacePool): Promise<void> {
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
    const { ours, recorded } = replay.clientMessages();
    expect(ours).toEqual(recorded);
  }

  it('test_psrp_set_runspaces: GetAvailableRunspaces, SetMaxRunspaces, SetMinRunspaces with the server\'s answers', async () => {
    const { replay, pool } = await openRecorded('test_psrp_set_runspaces.yml');
    const answers = [
      await getAvailableRunspaces(pool), await setMaxRunspaces(pool, 5), await getAvailableRunspaces(pool),
      await setMinRunspaces(pool, 2), await setMinRunspaces(pool, -1), await setMaxRunspaces(pool, 0),
    ];
    expect(answers.slice(0, 3)).toEqual([1, true, 5]); // one runspace available; after SetMaxRunspaces(5), five
    expect(answers.slice(3).map((a) => typeof a)).toEqual(['boolean', 'boolean', 'boolean']);
    await closed(replay, pool);
  });

  it('test_psrp_reset_runspace_state: a pipeline, ResetRunspaceState, another pipeline', async () => {
    const { replay, pool } = await openRecorded('test_psrp_reset_runspace_state.yml');
    expect(await PowerShell.create(pool, { instanceId: replay.ids.pids[0]! }).addScript('recorded').invoke()).toHaveLength(1);
    expect(await resetRunspaceState(pool)).toBe(true);
    expect(await PowerShell.create(pool, { instanceId: replay.ids.pids[1]! }).addScript('recorded').invoke()).toEqual([]);
    await closed(replay, pool);
  });

  it('test_psrp_reset_runspace_state_fail: the server refuses the reset (false)', async () => {
    const { replay, pool } = await openRecorded('test_psrp_reset_runspace_state_fail.yml');
    expect(await resetRunspaceState(pool)).toBe(false);
    await closed(replay, pool);
  });
});
