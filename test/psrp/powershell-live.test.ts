/**
 * The RunspacePool / PowerShell library API against a real `pwsh -s` (out-of-process): invoke,
 * commands with parameters and arguments, input, every stream through beginInvoke, a failed
 * pipeline as PipelineFailedError, stop().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineFailedError, PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { PSObject } from '../../src/psrp/clixml/index.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';

const env = { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };

describe.skipIf(!PWSH)(`PowerShell API over pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  let pool: RunspacePool;
  beforeAll(async () => {
    pool = await RunspacePool.open({ outOfProcess: { executable: PWSH!, env } });
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
  });

  it('invoke() returns the output objects', async () => {
    expect(await PowerShell.create(pool).addScript('1 + 1; "two"').invoke()).toEqual([2, 'two']);
  });

  it('the same PowerShell invoked twice keeps its InstanceId', async () => {
    const ps = PowerShell.create(pool).addScript('$args.Count; 7');
    const id = ps.instanceId;
    expect(await ps.invoke()).toEqual([0, 7]);
    expect(await ps.invoke()).toEqual([0, 7]);
    expect(ps.instanceId).toBe(id);
  });

  it('addCommand, addParameter and addArgument build a pipeline; input is piped in', async () => {
    const out = await PowerShell.create(pool).addCommand('Write-Output').addParameter('InputObject', 'a').invoke();
    expect(out).toEqual(['a']);
    expect(await PowerShell.create(pool).addCommand('Join-String').addParameter('Separator', '-').invoke(['a', 'b'])).toEqual(['a-b']);
    expect(await PowerShell.create(pool).addCommand('Write-Output').addArgument('c').invoke()).toEqual(['c']);
    const sorted = await PowerShell.create(pool).addCommand('Sort-Object').addParameter('Descending').invoke([3, 1, 2]);
    expect(sorted).toEqual([3, 2, 1]);
  });

  it('beginInvoke() gives each stream as an async iterable', async () => {
    const ps = PowerShell.create(pool).addScript(`$VerbosePreference='Continue'; $DebugPreference='Continue'
      Write-Warning w; Write-Verbose v; Write-Debug d; Write-Information i; Write-Error e; Write-Progress -Activity a -Status s; 'out'`);
    const s = await ps.beginInvoke();
    const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => { const o: T[] = []; for await (const x of it) o.push(x); return o; };
    const [output, error, warning, verbose, debug, information, progress] = await Promise.all([all(s.output), all(s.error), all(s.warning), all(s.verbose), all(s.debug), all(s.information), all(s.progress)]);
    expect(output).toEqual(['out']);
    expect(error.map((e) => e.message)).toEqual(['e']);
    expect(warning.map((e) => e.message)).toEqual(['w']);
    expect(verbose.map((e) => e.message)).toEqual(['v']);
    expect(debug.map((e) => e.message)).toEqual(['d']);
    expect(information.map((e) => e.messageData)).toEqual(['i']);
    expect(progress.length).toBeGreaterThan(0);
    expect((await s.completion).state).toBe('Completed');
    expect(ps.hadErrors).toBe(true);
  });

  it('a failed pipeline throws PipelineFailedError with its error record', async () => {
    const err = await PowerShell.create(pool).addScript('throw "boom"').invoke().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect((err as PipelineFailedError).message).toBe('boom');
    expect((err as PipelineFailedError).errorRecord).toBeInstanceOf(PSObject);
  });

  it('stop() stops a running pipeline', async () => {
    const ps = PowerShell.create(pool).addScript('"started"; Start-Sleep 60; "never"');
    const s = await ps.beginInvoke();
    const it = s.output[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('started');
    await ps.stop();
    expect((await s.completion).state).toBe('Stopped');
    // The pool still runs pipelines afterwards.
    expect(await PowerShell.create(pool).addScript('3').invoke()).toEqual([3]);
  }, 30_000);
});
