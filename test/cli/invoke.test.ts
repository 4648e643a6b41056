/**
 * `wsman invoke` end to end, run in a local `pwsh -s` (the hidden --local-pwsh option) so the same
 * CLI code runs as over WS-Man: strings and objects (tables, lists) on stdout, error records on
 * stderr as PowerShell 7's ConciseView, prompts refused by the non-interactive host, --json one object per line, exit status 1 after errors, 255 for usage.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startReplay } from '../psrp/replay-server.js';
import { CLI } from '../helpers/cli.js';

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

describe('wsman invoke', () => {
  it('needs exactly one of --script-block and --file-path (255, our own error)', async () => {
    const r = await wsman(['invoke', '--connection-uri', 'http://127.0.0.1:9/wsman']);
    expect([r.code, r.stderr]).toEqual([255, 'wsman invoke: give --script-block TEXT or --file-path FILE (one of them)\n']);
  });

  it('over WS-Man against a recorded Windows conversation: every stream printed, exit 1 after an error record', async () => {
    const replay = await startReplay('test_psrp_stream_output_invocation.yml');
    try {
      // pypsrp's recording: its request order has no pool Receive kept while idle.
      const r = await wsman(['invoke', '--connection-uri', replay.url, '--script-block', 'recorded', '--no-pool-receive']);
      expect(r.stdout).toBe('output stream\ninformation stream\n');
      expect(r.stderr.split('\n').sort()).toEqual(['', 'DEBUG: debug stream', 'VERBOSE: verbose stream', 'WARNING: warning stream', 'Write-Error: error stream']);
      expect(replay.mismatches).toEqual([]);
      expect(replay.served()).toBe(replay.exchanges.length);
      expect(r.code).toBe(1);
    } finally {
      await replay.close();
    }
  }, 60_000);

  it('--json over WS-Man against test_psrp_error_failed: the failure as an Error line, exit 1', async () => {
    const replay = await startReplay('test_psrp_error_failed.yml');
    try {
      const r = await wsman(['invoke', '--connection-uri', replay.url, '--script-block', 'recorded', '--json', '--no-pool-receive']);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Stream: string; Value: { Message?: string; Record?: { $types: string[] } } });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toEqual({ Stream: 'Output', Value: 'before' });
      expect(lines[1]!.Stream).toBe('Error');
      expect(lines[1]!.Value.Message).toBe('error');
      expect(lines[1]!.Value.Record!.$types[0]).toBe('System.Management.Automation.ErrorRecord');
      expect(r.stderr).toBe('');
      expect(replay.mismatches).toEqual([]);
      expect(r.code).toBe(1);
    } finally {
      await replay.close();
    }
  }, 60_000);

  describe.skipIf(!PWSH)(`in a local pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
    it('prints strings as-is, small objects as one table, bigger ones as lists, errors as PowerShell 7 does; exit 1 after an error', async () => {
      const script = 'Write-Host hosted; "hi $($args[0])"; [pscustomobject]@{A=1;Bee="x"}; [pscustomobject]@{A=22;Bee="yy"}; [pscustomobject]@{A=1;B=2;C=3;D=4;E="five"}; Write-Error oops';
      const r = await wsman(['invoke', '--local-pwsh', PWSH!, '--script-block', script, '--argument-list', 'world']);
      expect(r.stdout).toBe('hosted\nhi world\n\n A Bee\n - ---\n 1 x\n22 yy\n\n\nA : 1\nB : 2\nC : 3\nD : 4\nE : five\n\n');
      expect(r.stderr).toBe('Write-Error: oops\n');
      expect(r.code).toBe(1);
    }, 60_000);

    it('a prompt fails at once with PowerShell\'s non-interactive error instead of waiting; exit 1', async () => {
      const r = await wsman(['invoke', '--local-pwsh', PWSH!, '--script-block', "$n = Read-Host 'Name'; 'after'"]);
      expect(r.stderr).toContain('Read-Host: PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.');
      expect(r.code).toBe(1);
    }, 60_000);

    it('--json prints one object per line with type names; a failed pipeline exits 1', async () => {
      const r = await wsman(['invoke', '--local-pwsh', PWSH!, '--json', '--script-block', '[pscustomobject]@{PSTypeName="My.Type"; A=1}; throw "boom"']);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Stream: string; Value: Record<string, unknown> });
      expect(lines[0]).toMatchObject({ Stream: 'Output', Value: { A: 1 } });
      expect((lines[0]!.Value.$types as string[])[0]).toBe('My.Type');
      expect(lines[1]).toMatchObject({ Stream: 'Error', Value: { Message: 'boom' } });
      expect(r.code).toBe(1);
    }, 60_000);

    it('exit 0 when nothing went wrong; --file-path runs a local script with its param() block', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'wsman-invoke-'));
      const file = path.join(dir, 'script.ps1');
      await writeFile(file, 'param($Name, $Count)\n"$Name x $Count"\n');
      try {
        const r = await wsman(['invoke', '--local-pwsh', PWSH!, '--file-path', file, '--argument-list', 'apple', '3']);
        expect(r).toEqual({ code: 0, stdout: 'apple x 3\n', stderr: '' });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
