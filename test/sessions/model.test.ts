/** The sans-IO parts of sessions: State/Availability as PowerShell derives them, -Name wildcards, Job, the state file. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  deriveState, availabilityOf, remoteShellInfo, wildcardMatch, matchesFilter, configurationNameOf, Job, SessionStateFile, sessionStateFile,
} from '../../src/client/sessions/index.js';

describe('State and Availability', () => {
  it('follows PowerShell: ours Opened (Busy while running), free Disconnected/None, held elsewhere Disconnected/Busy', () => {
    expect(deriveState('Connected', true, false)).toEqual({ state: 'Opened', availability: 'Available' });
    expect(deriveState('Connected', true, true)).toEqual({ state: 'Opened', availability: 'Busy' });
    expect(deriveState('Disconnected', false, false)).toEqual({ state: 'Disconnected', availability: 'None' });
    expect(deriveState('Disconnected', true, false)).toEqual({ state: 'Disconnected', availability: 'None' });
    expect(deriveState('Connected', false, false)).toEqual({ state: 'Disconnected', availability: 'Busy' });
    expect(availabilityOf('Closed', false, false)).toBe('None');
    expect(availabilityOf('Broken', true, true)).toBe('None');
  });

  it('reads an enumerated shell: DisconnectedOn = now − ShellInactivity, ExpiresOn = DisconnectedOn + IdleTimeOut; skips items without ShellId or State', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const info = remoteShellInfo({ shellId: 'b6631d8e-65a0-49f2-9053-a1b156c95777', state: 'Disconnected', shellInactivity: 60_000, idleTimeOut: 7_200_000,
      resourceUri: 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell', bufferMode: 'Drop' }, now);
    expect(info).toMatchObject({ instanceId: 'B6631D8E-65A0-49F2-9053-A1B156C95777', name: 'b6631d8e-65a0-49f2-9053-a1b156c95777', serverState: 'Disconnected',
      disconnectedOn: now - 60_000, expiresOn: now - 60_000 + 7_200_000, outputBufferingMode: 'Drop' });
    expect(remoteShellInfo({ shellId: 'X', state: 'Connected' }, now)?.disconnectedOn).toBeUndefined();
    expect(remoteShellInfo({ state: 'Connected' }, now)).toBeUndefined();
    expect(remoteShellInfo({ shellId: 'X' }, now)).toBeUndefined();
    expect(configurationNameOf('http://schemas.microsoft.com/powershell/Microsoft.PowerShell')).toBe('Microsoft.PowerShell');
    expect(configurationNameOf('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd')).toBe('cmd');
  });
});

describe('-Name wildcards and filters', () => {
  it('match as PowerShell\'s WildcardPattern does, case-insensitively', () => {
    expect(wildcardMatch('IT*', 'ITTask')).toBe(true);
    expect(wildcardMatch('it?ask', 'ITTask')).toBe(true);
    expect(wildcardMatch('[IJ]T*', 'JTx')).toBe(true);
    expect(wildcardMatch('[a-c]*', 'dog')).toBe(false);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
    expect(wildcardMatch('a`*', 'a*')).toBe(true);
    expect(wildcardMatch('a`*', 'ab')).toBe(false);
    expect(wildcardMatch('ITTask', 'ITTask2')).toBe(false);
  });

  it('combine Name, InstanceId, Id, State and ConfigurationName', () => {
    const s = { id: 3, name: 'BackupJob04', instanceId: 'B6631D8E-65A0-49F2-9053-A1B156C95777', state: 'Disconnected' as const,
      configurationName: 'ITTasks', resourceUri: 'http://schemas.microsoft.com/powershell/ITTasks' };
    expect(matchesFilter(s, { name: 'BackupJob*', configurationName: 'ITTasks', state: 'Disconnected' })).toBe(true);
    expect(matchesFilter(s, { instanceId: '{b6631d8e-65a0-49f2-9053-a1b156c95777}' })).toBe(true);
    expect(matchesFilter(s, { instanceId: 'uuid:B6631D8E-65A0-49F2-9053-A1B156C95777', id: 3 })).toBe(true);
    expect(matchesFilter(s, { state: 'Opened' })).toBe(false);
    expect(matchesFilter(s, { state: 'All', id: [1, 2] })).toBe(false);
    expect(matchesFilter(s, { configurationName: 'Microsoft.*' })).toBe(false);
  });
});

describe('Job', () => {
  it('keeps output until received (or kept with keep), iterates each piece once, and ends with its state', async () => {
    const job = new Job(1, 'J', 'host', 'cmd');
    job.push({ stream: 'stdout', data: Buffer.from('a'), commandId: 'C' });
    expect(job.hasMoreData).toBe(true);
    expect(job.receiveText('stdout', { keep: true })).toBe('a');
    expect(job.hasMoreData).toBe(true);
    expect(job.receive().map((c) => c.data.toString())).toEqual(['a']);
    expect(job.hasMoreData).toBe(false);
    const seen: string[] = [];
    const reading = (async () => { for await (const c of job) seen.push(c.data.toString()); })();
    job.push({ stream: 'stderr', data: Buffer.from('b'), commandId: 'C' });
    job.end('Completed', { exitCode: 2 });
    job.end('Failed');
    await reading;
    expect(seen).toEqual(['b']);
    expect(await job.wait()).toBe('Completed');
    expect(job.toJSON()).toMatchObject({ Id: 1, Name: 'J', PSJobTypeName: 'RemoteJob', State: 'Completed', HasMoreData: false, Location: 'host', ExitCode: 2 });
  });
});

describe('the state file', () => {
  it('lives under WSMAN_STATE_DIR, keeps Ids stable, is written 0600, and never holds a password', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsman-state-'));
    const file = sessionStateFile({ WSMAN_STATE_DIR: dir });
    expect(file).toBe(path.join(dir, 'sessions.json'));
    expect(sessionStateFile({ XDG_STATE_HOME: '/x' })).toBe('/x/wsman/sessions.json');
    const f = new SessionStateFile(file);
    expect(f.idFor('A')).toBe(1);
    f.upsert({ Id: 1, Name: 'n', InstanceId: 'A', ComputerName: 'h', State: 'Disconnected', ConfigurationName: 'cmd', Availability: 'None',
      IdleTimeout: 60, OutputBufferingMode: 'Block', DisconnectedOn: null, ExpiresOn: null, ConnectionUri: 'http://h:5985/wsman',
      ResourceUri: 'u', UserName: 'alice', CreatedHere: true });
    expect(f.idFor('B')).toBe(2);
    expect(f.idFor('b')).toBe(2);
    f.save();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toMatch(/password/i);
    const again = new SessionStateFile(file);
    expect(again.idFor('a')).toBe(1);
    expect(again.idFor('B')).toBe(2);
    expect(again.idFor('C')).toBe(3);
    again.remove('A');
    expect(again.records).toEqual([]);
  });
});
