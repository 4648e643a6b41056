/**
 * Issue #16, end to end: `wsman invoke` in a local `pwsh -s` (whose server has our host, so
 * Write-Warning, -Verbose, -Debug, Write-Host and a visible Write-Information arrive both as a host
 * call and as a record) prints each message once, as PowerShell shows it; Get-Date and booleans as
 * pwsh prints them. And the printer alone: the second copy is dropped whichever comes first.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { CLI } from '../helpers/cli.js';
import { RecordPrinter } from '../../src/cli/psprint.js';
import { PSObject } from '../../src/psrp/clixml/model.js';
import type { InformationalRecordMessage, InformationRecordMessage } from '../../src/psrp/messages/records.js';

function wsman(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT, env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const note = (message: string): InformationalRecordMessage => ({ message } as InformationalRecordMessage);
const info = (messageData: string, tags: string[] = []): InformationRecordMessage =>
  ({ type: 'INFORMATION_RECORD', messageData, source: null, tags, record: new PSObject() });

describe('RecordPrinter with a host', () => {
  afterEach(() => vi.restoreAllMocks());

  function capture(): { out: string[]; err: string[] } {
    const seen = { out: [] as string[], err: [] as string[] };
    vi.spyOn(process.stdout, 'write').mockImplementation((t) => (seen.out.push(String(t)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => (seen.err.push(String(t)), true));
    return seen;
  }

  it('a warning, verbose or debug line written by the host and sent as a record prints once, whichever comes first', () => {
    const seen = capture();
    const p = new RecordPrinter(false);
    const host = p.hostOutput();
    host.writeError!('WARNING: w1\n');
    p.note('Warning', note('w1'));
    p.note('Verbose', note('v1'));
    host.writeError!('VERBOSE: v1\n');
    p.note('Debug', note('d1'));
    host.writeError!('plain error line\n');
    vi.restoreAllMocks();
    expect(seen.err).toEqual(['WARNING: w1\n', 'VERBOSE: v1\n', 'DEBUG: d1\n', 'plain error line\n']);
  });

  it('Write-Host and Write-Information text prints once; a record the host did not show still prints; a repeated message twice', () => {
    const seen = capture();
    const p = new RecordPrinter(false);
    const host = p.hostOutput();
    host.write('hosted\n');
    p.information(info('hosted', ['PSHOST']));
    p.information(info('no host'));
    host.write('again\n');
    p.information(info('again'));
    host.write('again\n');
    p.information(info('again'));
    vi.restoreAllMocks();
    expect(seen.out.join('')).toBe('hosted\nno host\nagain\nagain\n');
  });

  it('Write-Host -NoNewline keeps its line open whichever copy comes first (the record says NoNewLine)', () => {
    const seen = capture();
    const p = new RecordPrinter(false);
    const host = p.hostOutput();
    const hostMessage = (message: string, noNewLine: boolean): InformationRecordMessage => ({
      ...info(message, ['PSHOST']),
      messageData: new PSObject({
        typeNames: ['System.Management.Automation.HostInformationMessage', 'System.Object'], toStringText: message,
        adapted: [['Message', message], ['NoNewLine', noNewLine]],
      }),
    });
    p.information(hostMessage('a', true));
    host.write('a');
    host.write('b\n');
    p.information(hostMessage('b', false));
    vi.restoreAllMocks();
    expect(seen.out.join('')).toBe('ab\n');
  });

  it('--json: the records are printed, the host\'s copies of them dropped', () => {
    const seen = capture();
    const p = new RecordPrinter(true);
    const host = p.hostOutput();
    host.writeError!('WARNING: w1\n');
    host.write('hosted\n');
    p.note('Warning', note('w1'));
    vi.restoreAllMocks();
    expect([seen.out.join(''), seen.err]).toEqual(['{"Stream":"Warning","Value":"w1"}\n', []]);
  });
});

describe.skipIf(!PWSH)(`wsman invoke in a local pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('Write-Warning, -Verbose, -Debug, Write-Host and a visible Write-Information print once each', async () => {
    const script = 'Write-Warning w1; Write-Host hosted; Write-Host -NoNewline a; Write-Host b; Write-Information info2 -InformationAction Continue; '
      + '$VerbosePreference="Continue"; Write-Verbose v1; $DebugPreference="Continue"; Write-Debug d1; "out"';
    const r = await wsman(['invoke', '--local-pwsh', PWSH!, '--script-block', script]);
    expect(r.stdout).toBe('hosted\nab\ninfo2\nout\n');
    expect(r.stderr).toBe('WARNING: w1\nVERBOSE: v1\nDEBUG: d1\n');
    expect(r.code).toBe(0);
  }, 60_000);

  it('Get-Date prints as pwsh does for en-US, not as a DisplayHint table; booleans True/False', async () => {
    const script = 'Get-Date -Date "2020-01-02T03:04:05"; $true; [pscustomobject]@{A=$false; D=[datetime]"2020-01-02T15:04:05"}';
    const r = await wsman(['invoke', '--local-pwsh', PWSH!, '--script-block', script]);
    expect(r.stdout).toBe('\nThursday, January 2, 2020 3:04:05\u202fAM\n\nTrue\n\nA     D\n-     -\nFalse 1/2/2020 3:04:05\u202fPM\n\n');
    expect(r.code).toBe(0);
  }, 60_000);
});
