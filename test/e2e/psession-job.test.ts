/**
 * PowerShell sessions across processes against `wsman listen` (a separate process) hosting real
 * pwsh: the Receive-PSSession help page's example (`Receive-PSSession -ComputerName Server01 -Name
 * ITTask -OutTarget Job -JobName ITTaskJob01`, then Receive-Job) from the library and from the
 * CLI, and the CLI flow new → invoke --session → list → disconnect → receive → remove, each wsman
 * its own process (its own client). The listener's user has no local account: it runs as root
 * (`--run-as NAME=root`), its password in WSMAN_LISTEN_PASSWORD. Skips, saying why, without pwsh.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startCliListener, stopCliListener } from '../security/helpers.js';
import { wsman, spawnWsman, stateDir, parseTable, until } from '../sessions/helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'psession-job-child.ts');
const run = promisify(execFile);

/** A listener user with no local account of its name (checked below). */
const USER = 'wsmanpsjob';
const PASSWORD = 'Ps-j0b!secret';

let L: Awaited<ReturnType<typeof startCliListener>> | undefined;
beforeAll(async () => {
  if (!PWSH) return;
  if (existsSync('/etc/passwd') && readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${USER}:`))) {
    throw new Error(`a local account ${USER} exists: this test needs a listener user without one`);
  }
  L = await startCliListener(['--user', USER, '--run-as', `${USER}=root`, '--pwsh', PWSH, '--state-dir', stateDir(), '--log-level', 'warn'],
    { env: { ...process.env, WSMAN_LISTEN_PASSWORD: PASSWORD } });
}, 60_000);
afterAll(async () => { await stopCliListener(L); });

const conn = (): string[] => ['--connection-uri', L!.url, '--credential', USER, '--authentication', 'basic', '--allow-unencrypted'];
/** One "machine": its own state file; the password as the CLI takes it. */
const machine = (): Record<string, string> => ({ WSMAN_STATE_DIR: stateDir() });
const cli = (args: string[], env: Record<string, string>): ReturnType<typeof wsman> => wsman(args, env, PASSWORD);
const jsonLines = (text: string): Array<{ Stream: string; Value: Record<string, unknown> & { $types?: string[] } }> =>
  text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Stream: string; Value: Record<string, unknown> });

const PSCUSTOM = ['System.Management.Automation.PSCustomObject', 'System.Object'];
/** The ITTask pipeline: objects (a custom object, a DateTime with its DisplayHint), a warning, an error record, a string. */
const ITTASK = "Start-Sleep -Milliseconds 300; [pscustomobject]@{ Task = 'backup'; Files = 3; Ok = $true }; "
  + "Get-Date -Date '2026-12-05T10:00:00Z' -AsUTC; Write-Warning 'disk almost full'; Write-Error 'share \\\\srv\\logs not reachable'; 'ITTask done'";

describe.skipIf(!PWSH)(`PowerShell session jobs and the session CLI across processes, against wsman listen${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('Receive-PSSession -Name ITTask -OutTarget Job -JobName ITTaskJob01 from another process: the job keeps every object with its type names, the warning and the error record; Completed', async () => {
    const first = machine();
    const started = await cli(['invoke', ...conn(), '--in-disconnected-session', '--session-name', 'ITTask', '--script-block', ITTASK], first);
    expect([started.code, started.stderr]).toEqual([0, '']);
    expect(parseTable(started.stdout)[0]).toMatchObject({ Name: 'ITTask', State: 'Disconnected', ConfigurationName: 'Microsoft.PowerShell', Availability: 'None' });

    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, L!.url, USER, 'ITTask', 'ITTaskJob01'],
      { env: { ...process.env, WSMAN_PASSWORD: PASSWORD }, timeout: 120_000 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      returned: Record<string, unknown>; state: string; ended: Record<string, unknown>; held: Record<string, unknown>; hadErrors: boolean;
      records: Array<Record<string, unknown> & { value?: Record<string, unknown>; record?: Record<string, unknown> }>;
    };
    // Receive-PSSession returns the job at once, Running; it ends Completed (an error written does not fail it).
    expect(r.returned).toMatchObject({ Name: 'ITTaskJob01', PSJobTypeName: 'RemoteJob', State: 'Running', Location: '127.0.0.1' });
    expect(r.state).toBe('Completed');
    expect(r.ended).toMatchObject({ Name: 'ITTaskJob01', State: 'Completed', HasMoreData: true, ExitCode: 1 });
    expect(r.held).toEqual({ output: 3, errors: 1, hasMoreData: true });
    expect(r.hadErrors).toBe(true);
    expect(r.records.map((x) => x.stream)).toEqual(['Output', 'Output', 'Warning', 'Error', 'Output']);
    expect(new Set(r.records.map((x) => x.commandId)).size).toBe(1);
    const [custom, date, warning, error, done] = r.records;
    expect(custom!.value).toEqual({ $types: PSCUSTOM, Task: 'backup', Files: 3, Ok: true });
    expect(date!.value).toMatchObject({ $value: '2026-12-05T10:00:00Z', DisplayHint: { $types: expect.arrayContaining(['Microsoft.PowerShell.Commands.DisplayHintType']), $toString: 'DateTime' } });
    expect(warning).toMatchObject({ message: 'disk almost full' });
    expect(error).toMatchObject({ message: 'share \\\\srv\\logs not reachable', fullyQualifiedErrorId: 'Microsoft.PowerShell.Commands.WriteErrorException', terminating: false });
    expect(error!.record).toMatchObject({ $types: ['System.Management.Automation.ErrorRecord', 'System.Object'], ErrorCategory_Activity: 'Write-Error' });
    expect(done!.value).toBe('ITTask done');
    // The child's SessionManager.close() deleted the session (nothing was running in it any more).
    expect(JSON.parse((await cli(['session', 'list', ...conn(), '--json'], machine())).stdout)).toEqual([]);
  }, 180_000);

  it('wsman session receive --out-target job --job-name ITTaskJob01: --json gives each object as invoke --json, then the job; text gives the job table, the default view and the error on stderr; exit 1', async () => {
    const first = machine();
    const second = machine();
    for (const name of ['ITTask', 'ITTask2']) {
      const started = await cli(['invoke', ...conn(), '--in-disconnected-session', '--session-name', name, '--script-block', ITTASK], first);
      expect([started.code, started.stderr]).toEqual([0, '']);
    }
    const json = await cli(['session', 'receive', ...conn(), '--name', 'ITTask', '--out-target', 'job', '--job-name', 'ITTaskJob01', '--json'], second);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(1);
    const lines = jsonLines(json.stdout);
    expect(lines.map((l) => l.Stream)).toEqual(['Output', 'Output', 'Warning', 'Error', 'Output', 'Job']);
    expect(lines[0]!.Value).toEqual({ $types: PSCUSTOM, Task: 'backup', Files: 3, Ok: true });
    expect(lines[1]!.Value).toMatchObject({ $value: '2026-12-05T10:00:00Z' });
    expect(lines[2]!.Value).toBe('disk almost full');
    expect(lines[3]!.Value).toMatchObject({ Message: 'share \\\\srv\\logs not reachable', FullyQualifiedErrorId: 'Microsoft.PowerShell.Commands.WriteErrorException',
      Record: { $types: ['System.Management.Automation.ErrorRecord', 'System.Object'] } });
    expect(lines[4]!.Value).toBe('ITTask done');
    expect(lines[5]!.Value).toMatchObject({ Name: 'ITTaskJob01', PSJobTypeName: 'RemoteJob', State: 'Completed', HasMoreData: false, Location: '127.0.0.1', ExitCode: 1 });

    const text = await cli(['session', 'receive', ...conn(), '--name', 'ITTask2', '--out-target', 'job', '--job-name', 'ITTaskJob01'], second);
    expect(text.code).toBe(1);
    const [row] = parseTable(text.stdout);
    expect(row).toMatchObject({ Name: 'ITTaskJob01', PSJobTypeName: 'RemoteJob', State: 'Completed', HasMoreData: 'True', Location: '127.0.0.1' });
    // The objects as `wsman invoke` prints them: the custom object's table, the string.
    expect(text.stdout).toMatch(/\nTask\s+Files\s+Ok\n----\s+-----\s+--\nbackup\s+3\s+\S+\n/);
    expect(text.stdout).toMatch(/\nITTask done\n/);
    expect(text.stderr).toBe('WARNING: disk almost full\nWrite-Error: share \\\\srv\\logs not reachable\n');
    for (const name of ['ITTask', 'ITTask2']) expect((await cli(['session', 'remove', '--name', name], first)).code).toBe(0);
  }, 180_000);

  it('a pipeline that throws: the job ends Failed, its terminating error printed once as PowerShell does; exit 1', async () => {
    const first = machine();
    const started = await cli(['invoke', ...conn(), '--in-disconnected-session', '--session-name', 'Broken', '--script-block', "'before'; throw 'boom'"], first);
    expect(started.code).toBe(0);
    const got = await cli(['session', 'receive', ...conn(), '--name', 'Broken', '--out-target', 'job', '--job-name', 'BrokenJob'], machine());
    expect(got.code).toBe(1);
    expect(parseTable(got.stdout)[0]).toMatchObject({ Name: 'BrokenJob', State: 'Failed' });
    expect(got.stdout).toMatch(/\nbefore\n/);
    expect(got.stderr).toBe('Exception: boom\n');
    expect((await cli(['session', 'remove', '--name', 'Broken'], first)).code).toBe(0);
  }, 120_000);

  it('session new --name work-ps; invoke --session from another process (Busy for others while it runs; Ctrl-C leaves it running); list; disconnect; receive the rest; remove', async () => {
    const p1 = machine();
    const p2 = machine();
    const p3 = machine();
    const made = await cli(['session', 'new', ...conn(), '--name', 'work-ps', '--json'], p1);
    expect([made.code, made.stderr]).toEqual([0, '']);
    const [s] = JSON.parse(made.stdout) as Array<Record<string, unknown>>;
    expect(s).toMatchObject({ Name: 'work-ps', ConfigurationName: 'Microsoft.PowerShell', State: 'Disconnected', Availability: 'None' });

    // Output, then a wait on a gate file (pwsh runs as root on this machine), then the rest.
    const gate = join(stateDir(), 'gate');
    const script = `'started'; while (-not (Test-Path '${gate}')) { Start-Sleep -Milliseconds 100 }; 'after the gate'; [pscustomobject]@{ Step = 2; Pid = $PID }`;
    const invoker = spawnWsman(['invoke', ...conn(), '--session', 'work-ps', '--script-block', script], p2, PASSWORD);
    let out = '';
    let err = '';
    invoker.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    invoker.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const exited = new Promise<number | null>((resolve) => invoker.on('close', resolve));
    await until(() => out.includes('started'), 60_000, 'the invoke to print its first object');

    // Another process sees the session connected to another client: Disconnected, Busy.
    const busy = JSON.parse((await cli(['session', 'list', ...conn(), '--json'], p3)).stdout) as Array<Record<string, unknown>>;
    expect(busy.map((r) => [r.Name, r.State, r.Availability])).toEqual([['work-ps', 'Disconnected', 'Busy']]);

    // Ctrl-C: the invoke disconnects at once; the pipeline keeps running on the server.
    invoker.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toContain('interrupted; session work-ps is Disconnected and the pipeline keeps running');
    const free = JSON.parse((await cli(['session', 'list', ...conn(), '--json'], p3)).stdout) as Array<Record<string, unknown>>;
    expect(free.map((r) => [r.Name, r.State, r.Availability, r.ConfigurationName])).toEqual([['work-ps', 'Disconnected', 'None', 'Microsoft.PowerShell']]);

    // Disconnect-PSSession with a new IdleTimeout (it takes the free session first), from the process that made it.
    const disc = await cli(['session', 'disconnect', '--name', 'work-ps', '--idle-timeout', '900', '--json'], p1);
    expect([disc.code, disc.stderr]).toEqual([0, '']);
    expect(JSON.parse(disc.stdout)[0]).toMatchObject({ Name: 'work-ps', State: 'Disconnected', IdleTimeout: 900 });

    writeFileSync(gate, '');
    // Receive-PSSession from a third process: what the pipeline wrote after the Ctrl-C, once.
    const got = await cli(['session', 'receive', ...conn(), '--name', 'work-ps'], p3);
    expect([got.code, got.stderr]).toEqual([0, '']);
    expect(got.stdout.startsWith('after the gate\n')).toBe(true);
    expect(got.stdout).not.toContain('started');
    expect(got.stdout).toMatch(/\nStep\s+Pid\n----\s+---\n\s+2\s+\d+\n/);
    const after = JSON.parse((await cli(['session', 'list', ...conn(), '--json'], p3)).stdout) as Array<Record<string, unknown>>;
    expect(after.map((r) => [r.Name, r.State, r.Availability, r.IdleTimeout])).toEqual([['work-ps', 'Disconnected', 'None', 900]]);

    expect((await cli(['session', 'remove', '--name', 'work-ps'], p1)).code).toBe(0);
    expect(JSON.parse((await cli(['session', 'list', ...conn(), '--json'], p3)).stdout)).toEqual([]);
  }, 180_000);

  it('Ctrl-C during session receive --out-target job --json: the job ends Disconnected, exit 130, the pipeline goes on; a later receive as a job gets the rest, Completed', async () => {
    const first = machine();
    const gate = join(stateDir(), 'gate');
    const script = `'started'; while (-not (Test-Path '${gate}')) { Start-Sleep -Milliseconds 100 }; 'after the gate'`;
    expect((await cli(['invoke', ...conn(), '--in-disconnected-session', '--session-name', 'Long', '--script-block', script], first)).code).toBe(0);
    const receiver = spawnWsman(['session', 'receive', ...conn(), '--name', 'Long', '--out-target', 'job', '--job-name', 'LongJob', '--json'], machine(), PASSWORD);
    let out = '';
    let err = '';
    receiver.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    receiver.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const exited = new Promise<number | null>((resolve) => receiver.on('close', resolve));
    await until(() => out.includes('started'), 60_000, 'the job\'s first object');
    receiver.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toBe('wsman session receive: interrupted; session Long is Disconnected and its pipelines keep running\n');
    const lines = jsonLines(out);
    expect(lines.map((l) => l.Stream)).toEqual(['Output', 'Job']);
    expect(lines[1]!.Value).toMatchObject({ Name: 'LongJob', State: 'Disconnected' });
    const listed = JSON.parse((await cli(['session', 'list', ...conn(), '--name', 'Long', '--json'], machine())).stdout) as Array<Record<string, unknown>>;
    expect(listed.map((r) => [r.State, r.Availability])).toEqual([['Disconnected', 'None']]);

    writeFileSync(gate, '');
    const rest = await cli(['session', 'receive', ...conn(), '--name', 'Long', '--out-target', 'job', '--job-name', 'LongJob2', '--json'], machine());
    expect([rest.code, rest.stderr]).toEqual([0, '']);
    const more = jsonLines(rest.stdout);
    expect(more.map((l) => [l.Stream, l.Stream === 'Job' ? l.Value.State : l.Value])).toEqual([['Output', 'after the gate'], ['Job', 'Completed']]);
    expect((await cli(['session', 'remove', '--name', 'Long'], first)).code).toBe(0);
  }, 120_000);
});
