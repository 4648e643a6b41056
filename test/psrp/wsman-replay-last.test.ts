/**
 * The last recorded Windows PSRP conversations replayed at the WS-Man level (pypsrp's
 * test_psrp_*.yml; see wsman-replay.test.ts): a nested pipeline beside a running one,
 * GET_COMMAND_METADATA and its answers, and is_alive when the connection breaks. The client sends
 * the recorded requests through its public API and decodes every recorded server message.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { CommandTypes, getCommandMetadata } from '../../src/client/psrp/commandmeta.js';
import { isAlive, type NotAliveReason } from '../../src/client/psrp/alive.js';
import type { WsmanRunspace } from '../../src/client/psrp/wsman.js';
import { PSObject } from '../../src/psrp/clixml/model.js';
import type { TypedMessage } from '../../src/psrp/messages/index.js';
import { WsmanNetworkError } from '../../src/core/errors.js';
import { startReplay, type Replay } from './replay-server.js';

const open: Array<{ replay: Replay; client: WsmanClient }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.client.close();
    await o.replay.close();
  }
});

async function openRecorded(file: string): Promise<{ replay: Replay; pool: RunspacePool; sent: TypedMessage[] }> {
  const replay = await startReplay(file);
  const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
  open.push({ replay, client });
  const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
  const sent: TypedMessage[] = [];
  const queue = pool.core.queueMessage.bind(pool.core);
  vi.spyOn(pool.core, 'queueMessage').mockImplementation((pid, m, extra) => (sent.push(m), queue(pid, m, extra)));
  return { replay, pool, sent };
}

function served(replay: Replay): void {
  expect(replay.mismatches).toEqual([]);
  expect(replay.served()).toBe(replay.exchanges.length);
  const { ours, recorded } = replay.clientMessages();
  expect(ours).toEqual(recorded);
}

describe('the last PSRP conversations, replayed', () => {
  it('test_psrp_nested_command: a nested pipeline (IsNested) reads $i while the loop that counts it runs; the loop is stopped', async () => {
    const { replay, pool, sent } = await openRecorded('test_psrp_nested_command.yml');
    const outer = PowerShell.create(pool, { instanceId: replay.ids.pids[0]! }).addScript('$i = 0; while ($true) { $i++ }');
    // As the recorded client: the loop's output is not received, the nested pipeline's is.
    const loop = await outer.beginInvoke(undefined, { receive: false });
    const nested = outer.createNestedPowerShell({ instanceId: replay.ids.pids[1]! }).addCommand('Get-Variable').addParameter('Name', 'i');
    expect(nested.isNested).toBe(true);
    const [variable] = await nested.invoke();
    expect(variable).toBeInstanceOf(PSObject);
    expect((variable as PSObject).typeNames[0]).toBe('System.Management.Automation.PSVariable');
    expect([(variable as PSObject).get('Name'), (variable as PSObject).get('Value')]).toEqual(['i', 376241]);
    await outer.stop(); // Signal powershell/signal/crtl_c for the loop
    await pool.close();
    expect((await loop.completion).state).not.toBe('Completed');
    const creates = sent.filter((m) => m.type === 'CREATE_PIPELINE');
    expect(creates.map((m) => [m.isNested, m.powerShell.isNested])).toEqual([[false, false], [true, true]]);
    served(replay);
  });

  it('test_psrp_get_command_metadata: the count, then one object per command, for three queries', async () => {
    const { replay, pool, sent } = await openRecorded('test_psrp_get_command_metadata.yml');
    const [a, b, c] = replay.ids.pids;
    const names = (r: { commands: PSObject[] }): unknown[] => r.commands.map((x) => x.get('Name'));
    const all = await getCommandMetadata(pool, ['new-pssession*'], { instanceId: a! });
    expect(all.count).toBe(3);
    expect(names(all)).toEqual(['New-PSSession', 'New-PSSessionConfigurationFile', 'New-PSSessionOption']);
    expect((all.commands[0]!.get('Parameters') as PSObject).dict!.map(([k]) => k)).toContain('ComputerName');
    const functions = await getCommandMetadata(pool, ['new-*'], { commandType: CommandTypes.Function, instanceId: b! });
    expect([functions.count, names(functions)]).toEqual([2, ['New-Guid', 'New-TemporaryFile']]);
    expect(functions.commands.map((x) => String(x.get('CommandType')))).toEqual(['Function', 'Function']);
    const wsman = await getCommandMetadata(pool, ['Get-*'], { namespace: ['Microsoft.WSMan.Management'], instanceId: c! });
    expect([wsman.count, names(wsman)]).toEqual([2, ['Get-WSManCredSSP', 'Get-WSManInstance']]);
    expect(sent.filter((m) => m.type === 'GET_COMMAND_METADATA')).toEqual([
      { type: 'GET_COMMAND_METADATA', name: ['new-pssession*'], commandType: 511, namespace: null, argumentList: null },
      { type: 'GET_COMMAND_METADATA', name: ['new-*'], commandType: 2, namespace: null, argumentList: null },
      { type: 'GET_COMMAND_METADATA', name: ['Get-*'], commandType: 511, namespace: ['Microsoft.WSMan.Management'], argumentList: null },
    ]);
    await pool.close();
    served(replay);
  });

  it('test_psrp_is_alive_http_error: alive, then the connection breaks during the Get: a WsmanNetworkError, so not alive', async () => {
    const { replay, pool } = await openRecorded('test_psrp_is_alive_http_error.yml');
    const reasons: NotAliveReason[] = [];
    expect(await isAlive(pool, { timeout: 5000 })).toBe(true);
    let err: Error | undefined;
    expect(await isAlive(pool, { timeout: 5000, onNotAlive: (r, e) => (reasons.push(r), (err = e)) })).toBe(false);
    expect(reasons).toEqual(['ConnectionLost']);
    expect(err).toBeInstanceOf(WsmanNetworkError);
    // Not alive: Closed for us, as pypsrp marks it; the recording ends here, close() sends no Delete.
    expect(pool.core.state).toBe('Closed');
    await pool.close();
    served(replay);
  });

  it('test_psrp_is_alive_http_error: the Get itself throws the typed network error', async () => {
    const { replay, pool } = await openRecorded('test_psrp_is_alive_http_error.yml');
    const shell = (pool.transport as WsmanRunspace).shell!;
    expect((await shell.get()).state).toBe('Connected');
    const err = await shell.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanNetworkError);
    expect((err as WsmanNetworkError).code).toMatch(/^ERR_(NETWORK|CONNECTION_RESET)$/);
    served(replay);
  });
});

describe('isAlive against the other recorded answers', () => {
  it('test_psrp_is_alive_state_disconnected and test_psrp_is_alive_invalid_selectors: Disconnected and Gone', async () => {
    for (const [file, reason] of [['test_psrp_is_alive_state_disconnected.yml', 'Disconnected'], ['test_psrp_is_alive_invalid_selectors.yml', 'Gone']] as const) {
      const { replay, pool } = await openRecorded(file);
      const reasons: NotAliveReason[] = [];
      expect(await isAlive(pool)).toBe(true);
      expect(await isAlive(pool, { onNotAlive: (r) => reasons.push(r) })).toBe(false);
      expect(reasons).toEqual([reason]);
      // Closed for us (pypsrp: state CLOSED), so close() sends no Delete (none was recorded).
      expect(pool.core.state).toBe('Closed');
      await pool.close();
      served(replay);
    }
  });
});
