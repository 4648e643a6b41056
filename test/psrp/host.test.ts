/**
 * The client's host: answerHostCall's rules (void calls get no answer, a missing method or a
 * throwing one answers an error record in PowerShell's remoting form), the non-interactive host,
 * and both against a real `pwsh -s`: Write-Host and $Host.UI text reach the output, every kind of
 * prompt fails at once with PowerShell's non-interactive error (no hang), and a host of our own
 * answers Read-Host, PromptForChoice and pool-level calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineFailedError, PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { answerHostCall, hostErrorRecord, HostError, NON_INTERACTIVE_MESSAGE, nonInteractiveError, nonInteractiveHost, VOID_CALL_ID, type PSHost } from '../../src/client/psrp/host.js';
import { PSObject, type PSValue } from '../../src/psrp/clixml/model.js';
import type { HostCall } from '../../src/psrp/messages/host.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';

const env = { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };
const call = (name: string, callId: bigint, parameters: PSValue[] = []): HostCall => ({ type: 'PIPELINE_HOST_CALL', callId, methodId: { value: 0, name }, parameters });

describe('answerHostCall', () => {
  it('runs the method; a void call (id -100) gets no answer, a value call its return value', async () => {
    const seen: string[] = [];
    const host: PSHost = { WriteLine2: (p) => void seen.push(String(p[0])), GetName: () => 'mine' };
    expect(await answerHostCall(host, { call: call('WriteLine2', VOID_CALL_ID, ['hi']), pid: 'p' })).toBeUndefined();
    expect(seen).toEqual(['hi']);
    expect(await answerHostCall(host, { call: call('GetName', 3n), pid: 'p' })).toEqual({ returnValue: 'mine' });
  });

  it('a method the host lacks, or one that throws, answers an error record; for a void call nothing', async () => {
    const missing = await answerHostCall({}, { call: call('ReadKey', 4n), pid: undefined });
    const rec = (missing as { error: PSObject }).error;
    expect(rec.typeNames[0]).toBe('System.Management.Automation.ErrorRecord');
    expect(rec.get('FullyQualifiedErrorId')).toBe('HostFunctionNotImplemented');
    expect(((rec.get('Exception') as PSObject).get('Message'))).toBe('The host does not implement ReadKey.');
    const thrown = await answerHostCall({ ReadLine: () => { throw new Error('no tty'); } }, { call: call('ReadLine', 5n), pid: 'p' });
    expect(((thrown as { error: PSObject }).error.get('Exception') as PSObject).get('Message')).toBe('no tty');
    expect(await answerHostCall({ Write1: () => { throw new Error('x'); } }, { call: call('Write1', VOID_CALL_ID), pid: 'p' })).toBeUndefined();
    expect(await answerHostCall({}, { call: call('Write1', VOID_CALL_ID), pid: 'p' })).toBeUndefined();
  });

  it('the non-interactive error is PowerShell\'s: PSInvalidOperationException, InvalidOperation, its message', () => {
    const r = hostErrorRecord(nonInteractiveError());
    expect(r.toString()).toBe(NON_INTERACTIVE_MESSAGE);
    expect((r.get('Exception') as PSObject).typeNames[0]).toBe('System.Management.Automation.PSInvalidOperationException');
    expect([r.get('ErrorCategory_Category'), r.get('FullyQualifiedErrorId'), r.get('ErrorCategory_Message')]).toEqual([7, 'InvalidOperation', 'InvalidOperation: (:) [], PSInvalidOperationException']);
    for (const p of ['Exception', 'TargetObject', 'InvocationInfo', 'ErrorCategory_Activity', 'ErrorCategory_Reason', 'ErrorCategory_TargetName', 'ErrorCategory_TargetType', 'SerializeExtendedInfo']) {
      expect(r.extended.has(p)).toBe(true);
    }
  });

  it('the non-interactive host writes text, ignores progress, and refuses every read and prompt', async () => {
    let out = '';
    let err = '';
    const host = nonInteractiveHost({ write: (t) => (out += t), writeError: (t) => (err += t) });
    for (const [name, params] of [['Write1', ['a']], ['Write2', [1, 2, 'b']], ['WriteLine1', []], ['WriteLine2', ['c']], ['WriteLine3', [1, 2, 'd']], ['WriteProgress', [1, null]], ['WriteWarningLine', ['w']], ['WriteErrorLine', ['e']]] as const) {
      expect(await answerHostCall(host, { call: call(name, VOID_CALL_ID, [...params]), pid: 'p' })).toBeUndefined();
    }
    expect([out, err]).toEqual(['ab\nc\nd\n', 'WARNING: w\ne\n']);
    for (const name of ['ReadLine', 'ReadLineAsSecureString', 'Prompt', 'PromptForCredential1', 'PromptForCredential2', 'PromptForChoice', 'PromptForChoiceMultipleSelection', 'ReadKey']) {
      const a = await answerHostCall(host, { call: call(name, 1n), pid: 'p' });
      expect([name, (a as { error: PSObject }).error.toString()]).toEqual([name, NON_INTERACTIVE_MESSAGE]);
    }
    expect(new HostError('m').fullyQualifiedErrorId).toBe('RemoteHostExecutionException');
  });
});

describe.skipIf(!PWSH)(`hosts against pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  let pool: RunspacePool;
  let text = '';
  beforeAll(async () => {
    pool = await RunspacePool.open({ outOfProcess: { executable: PWSH!, env } }, { host: nonInteractiveHost({ write: (t) => (text += t) }) });
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
  });

  it('Write-Host and $Host.UI text go through the host, in order', async () => {
    text = '';
    const out = await PowerShell.create(pool).addScript("Write-Host 'one'; Write-Host -NoNewline 'two'; $Host.UI.WriteLine('three'); 'out'").invoke();
    expect(out).toEqual(['out']);
    expect(text).toBe('one\ntwothree\n');
  }, 30_000);

  for (const [what, script] of [
    ['Read-Host', "Read-Host 'Name'"],
    ['Read-Host -AsSecureString', "Read-Host 'Pw' -AsSecureString"],
    ['$Host.UI.ReadLine()', '$Host.UI.ReadLine()'],
    ['PromptForChoice', "$Host.UI.PromptForChoice('t', 'm', [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'), 0)"],
    ['Get-Credential (PromptForCredential)', 'Get-Credential -UserName bob -Message m'],
  ] as const) {
    it(`${what} fails at once with PowerShell's non-interactive error`, async () => {
      const ps = PowerShell.create(pool).addScript(`try { ${script} } catch { "caught: $($_.Exception.Message)" }; 'after'`);
      const out = await ps.invoke();
      expect(out.map(String)).toEqual([expect.stringContaining(NON_INTERACTIVE_MESSAGE), 'after']);
    }, 30_000);
  }

  it('an uncaught Read-Host fails the pipeline with that message', async () => {
    const err = await PowerShell.create(pool).addScript("$ErrorActionPreference = 'Stop'; Read-Host 'x'").invoke().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect((err as PipelineFailedError).message).toContain(NON_INTERACTIVE_MESSAGE);
  }, 30_000);

  it('a host of our own per PowerShell answers Read-Host and PromptForChoice', async () => {
    const asked: string[] = [];
    const host: PSHost = {
      Prompt: (p) => {
        const fields = (p[2] as PSObject).list!.map((f) => String((f as PSObject).get('name') ?? (f as PSObject).get('Name')));
        asked.push(`Prompt ${fields.join(',')}`);
        return new Map(fields.map((f) => [f, 'alice']));
      },
      PromptForChoice: (p) => {
        asked.push(`Choice ${String(p[0])}`);
        return 1;
      },
    };
    const out = await PowerShell.create(pool, { host })
      .addScript("$n = Read-Host 'Name'; \"name=$n\"; $Host.UI.PromptForChoice('Pick', 'm', [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'), 0)")
      .invoke();
    expect(out).toEqual(['name=alice', 1]);
    expect(asked).toEqual(['Prompt Name', 'Choice Pick']);
  }, 30_000);
});
