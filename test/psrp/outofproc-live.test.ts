/**
 * The sans-IO client pool and pipelines against real PowerShell over its out-of-process transport
 * (`pwsh -s` on stdio): open a pool, run scripts with arguments and input, get output objects,
 * each record stream, error records, a failed pipeline, a stopped pipeline, and close.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutOfProcessRunspace } from '../../src/client/psrp/outofproc.js';
import { ClientRunspacePool, scriptSpec, command, uiHostInfo, type HostCall, PSObject, PSPrimitive, PSDateTime, type PsrpEvent, type PSValue, type TypedMessage } from '../../src/psrp/index.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';

let rs: OutOfProcessRunspace;

async function run(spec: Parameters<ReturnType<ClientRunspacePool['createPipeline']>['invoke']>[0], input?: PSValue[]): Promise<{ messages: TypedMessage[]; output: PSValue[]; end: PsrpEvent }> {
  const pid = randomUUID();
  const p = rs.pool.createPipeline(pid);
  p.invoke({ ...spec, input: input !== undefined });
  if (input) {
    for (const v of input) p.sendInput(v);
    p.endInput();
  }
  await rs.flush();
  const events = await rs.until((e) => e.type === 'PipelineState' && e.pid === pid && ['Completed', 'Failed', 'Stopped'].includes(e.state));
  p.close();
  await rs.flush();
  const messages = events.flatMap((e) => (e.type === 'Message' && e.pid === pid && e.message.type !== 'UNKNOWN' ? [e.message] : []));
  return { messages, output: messages.flatMap((m) => (m.type === 'PIPELINE_OUTPUT' ? [m.value] : [])), end: events[events.length - 1]! };
}

describe.skipIf(!PWSH)(`client pool over pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  beforeAll(async () => {
    rs = new OutOfProcessRunspace(new ClientRunspacePool({ rpid: randomUUID() }), { executable: PWSH!, env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1' } });
    rs.pool.open();
    await rs.flush();
    const seen = await rs.until((e) => e.type === 'PoolState' && (e.state === 'Opened' || e.state === 'Broken'));
    expect(seen.map((e) => (e.type === 'PoolState' ? e.state : e.type === 'Message' ? e.message.type : ''))).toEqual(['NegotiationSent', 'NegotiationSucceeded', 'SESSION_CAPABILITY', 'APPLICATION_PRIVATE_DATA', 'Opened']);
  }, 60_000);
  afterAll(async () => {
    if (!rs) return;
    try {
      if (rs.pool.state === 'Opened') {
        rs.pool.close();
        await rs.flush();
        await rs.until((e) => e.type === 'PoolState' && e.state === 'Closed');
      }
    } finally {
      rs.kill();
    }
  }, 30_000);

  it('knows the server: protocol version and $PSVersionTable', () => {
    expect(rs.pool.serverProtocolVersion).toMatch(/^2\.\d+$/);
    expect((rs.pool.applicationPrivateData as PSObject).entry('PSVersionTable')).toBeInstanceOf(PSObject);
  });

  it('1+1 gives 2, Get-Date a DateTime', async () => {
    const r = await run(scriptSpec('1+1'));
    expect(r.output).toEqual([2]);
    expect(r.end).toMatchObject({ type: 'PipelineState', state: 'Completed' });
    const d = (await run(scriptSpec('Get-Date'))).output[0] as PSObject;
    expect((d.value as PSPrimitive).tag).toBe('DT');
    expect(Math.abs(((d.value as PSPrimitive).value as PSDateTime).toDate().getTime() - Date.now())).toBeLessThan(10 * 60_000);
  }, 30_000);

  it('a script with arguments and pipeline input', async () => {
    const r = await run(scriptSpec('param($Factor) process { $_ * $Factor }', [{ name: 'Factor', value: 10 }]), [1, 2, 3]);
    expect(r.output).toEqual([10, 20, 30]);
  }, 30_000);

  it('a command with parameters (AddCommand/AddParameter)', async () => {
    const r = await run({ commands: [command('Write-Output', false, [{ name: 'InputObject', value: 'hello' }])] });
    expect(r.output).toEqual(['hello']);
  }, 30_000);

  it('every record stream', async () => {
    const r = await run(scriptSpec("Write-Warning 'w'; Write-Verbose 'v' -Verbose; Write-Debug 'd' -Debug; Write-Information 'i'; Write-Progress -Activity a -Status s; Write-Error 'e'; 'out'"));
    const byType = (t: string) => r.messages.filter((m) => m.type === t);
    expect(byType('WARNING_RECORD')).toMatchObject([{ message: 'w' }]);
    expect(byType('VERBOSE_RECORD')).toMatchObject([{ message: 'v' }]);
    expect(byType('DEBUG_RECORD')).toMatchObject([{ message: 'd' }]);
    expect(byType('INFORMATION_RECORD')).toMatchObject([{ messageData: 'i' }]);
    expect(byType('PROGRESS_RECORD')[0]).toMatchObject({ activity: 'a', statusDescription: 's' });
    expect(byType('ERROR_RECORD')).toMatchObject([{ message: 'e', fullyQualifiedErrorId: 'Microsoft.PowerShell.Commands.WriteErrorException' }]);
    expect(r.output).toEqual(['out']);
    expect(r.end).toMatchObject({ state: 'Completed' });
  }, 30_000);

  it('a failed pipeline carries its error record', async () => {
    const r = await run(scriptSpec("throw 'bad thing'"));
    expect(r.end).toMatchObject({ type: 'PipelineState', state: 'Failed' });
    expect(((r.end as { error: PSObject }).error).toStringText).toBe('bad thing');
  }, 30_000);

  it('host calls: Write-Host arrives as WriteLine2, Read-Host as a Prompt we answer', async () => {
    const pid = randomUUID();
    const p = rs.pool.createPipeline(pid);
    p.invoke({ ...scriptSpec("Write-Host 'hi'; $n = Read-Host 'Name'; \"got $n\""), hostInfo: uiHostInfo() });
    await rs.flush();
    const calls = await rs.until((e) => e.type === 'Message' && e.message.type === 'PIPELINE_HOST_CALL' && e.message.methodId.name === 'Prompt');
    const hostCalls = calls.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_HOST_CALL' ? [e.message] : []));
    expect(hostCalls.map((c) => [c.methodId.name, c.callId])).toEqual([['WriteLine2', -100n], ['Prompt', 1n]]);
    expect(hostCalls[0]!.parameters).toEqual(['hi']);
    p.respondToHostCall(hostCalls[1] as HostCall, { returnValue: new Map([['Name', 'bob']]) });
    await rs.flush();
    const end = await rs.until((e) => e.type === 'PipelineState' && e.pid === pid);
    expect(end.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT' ? [e.message.value] : []))).toEqual(['got bob']);
    expect(end[end.length - 1]).toMatchObject({ state: 'Completed' });
    p.close();
    await rs.flush();
  }, 30_000);

  it('stops a running pipeline', async () => {
    const pid = randomUUID();
    const p = rs.pool.createPipeline(pid);
    p.invoke(scriptSpec("'started'; Start-Sleep -Seconds 60; 'never'"));
    await rs.flush();
    await rs.until((e) => e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT');
    p.stop();
    await rs.flush();
    const end = await rs.until((e) => e.type === 'PipelineState' && e.pid === pid && e.state !== 'Stopping');
    expect(end[end.length - 1]).toMatchObject({ state: 'Stopped' });
    p.close();
    await rs.flush();
  }, 30_000);
});
