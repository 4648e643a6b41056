/**
 * PowerShell sessions in the SessionManager, against our listener hosting real pwsh: New-PSSession
 * -ConfigurationName Microsoft.PowerShell, Get-PSSession -ComputerName, Invoke-Command -Session,
 * Disconnect-PSSession / Connect-PSSession (Reconnect by the same client) with a pipeline running,
 * Receive-PSSession (Host and Job), Invoke-Command -InDisconnectedSession and Remove-PSSession.
 * Skips, saying why, without pwsh.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SessionManager } from '../../src/client/sessions/index.js';
import type { PSValue } from '../../src/psrp/clixml/model.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startListener, optionsFor, until, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => {
  if (PWSH) L = await startListener(undefined, { pwsh: PWSH });
});
afterAll(async () => {
  await L?.stop();
});

const PS_URI = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell';

describe.skipIf(!PWSH)(`PowerShell sessions in the SessionManager${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('New-PSSession -ConfigurationName Microsoft.PowerShell: Get-PSSession -ComputerName lists it with its resource URI, State, Availability, IdleTimeout and OutputBufferingMode; Invoke-Command -Session runs a script with arguments; Remove-PSSession deletes it', async () => {
    const m = new SessionManager();
    try {
      const s = await m.newSession(optionsFor(L.url), { configurationName: 'Microsoft.PowerShell', name: 'ps1', idleTimeout: 120_000, outputBufferingMode: 'Drop' });
      expect(s.isPowerShell).toBe(true);
      expect([s.state, s.availability, s.phase]).toEqual(['Opened', 'Available', 'Opened']);
      const p = await m.invokeScript(s, 'param($a, $b) $a + $b; "x" * 3', [2, 5]);
      const out: PSValue[] = [];
      for await (const v of p.streams.output) out.push(v);
      expect(out).toEqual([7, 'xxx']);
      expect((await p.streams.completion).state).toBe('Completed');

      // Another manager (another client) lists it: Connected to someone else, Busy.
      const other = new SessionManager();
      try {
        const [seen] = await other.getSessions(optionsFor(L.url), { instanceId: s.instanceId });
        expect(seen).toBeDefined();
        expect(seen!.resourceUri).toBe(PS_URI);
        expect(seen!.name).toBe('ps1');
        expect(seen!.toJSON()).toMatchObject({ State: 'Disconnected', Availability: 'Busy', ConfigurationName: 'Microsoft.PowerShell', IdleTimeout: 120, OutputBufferingMode: 'Drop' });
        expect(seen!.phase).toBe('HeldElsewhere');
      } finally {
        await other.closeConnections();
      }
      const mine = await m.getSessions(optionsFor(L.url), { configurationName: 'Microsoft.PowerShell' });
      expect(mine.map((x) => x.instanceId)).toContain(s.instanceId);
      expect(s.state).toBe('Opened');

      await m.remove(s);
      expect(s.state).toBe('Closed');
      expect((await m.getSessions(optionsFor(L.url), { instanceId: s.instanceId })).length).toBe(0);
    } finally {
      await m.close();
    }
  });

  it('Disconnect-PSSession with a pipeline running, then Connect-PSSession (Reconnect) and Receive-PSSession: every object arrives once, in order; State and Availability follow', async () => {
    const m = new SessionManager();
    try {
      const s = await m.newSession(optionsFor(L.url), { configurationName: 'Microsoft.PowerShell' });
      const p = await m.invokeScript(s, '1..6 | ForEach-Object { $_; Start-Sleep -Milliseconds 150 }');
      const got: PSValue[] = [];
      const first = (async () => {
        for await (const v of p.streams.output) got.push(v);
      })();
      await until(() => got.length >= 2, 20_000, 'two objects');
      expect(s.availability).toBe('Busy');
      await m.disconnect(s);
      await expect(first).rejects.toMatchObject({ code: 'ERR_PSRP_PIPELINE_DISCONNECTED' });
      expect([s.state, s.availability, s.phase]).toEqual(['Disconnected', 'None', 'Disconnected']);
      expect(s.disconnectedOn).toBeInstanceOf(Date);

      const r = await m.receive(s, { onObject: (st, v) => { if (st === 'output') got.push(v); } });
      expect(s.phase).toBe('Reconnected');
      expect(r.exitCode).toBe(0);
      expect(got).toEqual([1, 2, 3, 4, 5, 6]);
      expect(s.availability).toBe('Available');
      await m.remove(s);
    } finally {
      await m.close();
    }
  });

  it('Invoke-Command -InDisconnectedSession: the pipeline runs with nobody receiving; Receive-PSSession -OutTarget Job collects its output, errors included', async () => {
    const m = new SessionManager();
    try {
      const s = await m.invokeScriptInDisconnectedSession(optionsFor(L.url), '"one"; Write-Error "bad"; "two"', [], { name: 'ITTask', idleTimeout: 300_000 });
      expect([s.name, s.state, s.availability, s.configurationName]).toEqual(['ITTask', 'Disconnected', 'None', 'Microsoft.PowerShell']);
      const job = await m.receiveJob(s, { jobName: 'J' });
      expect(await job.wait()).toBe('Completed');
      expect(job.receiveText('stdout', { keep: true })).toBe('one\ntwo\n');
      expect(job.receiveText('stderr')).toContain('bad');
      expect(job.exitCode).toBe(1);
      expect(s.phase).toBe('Reconnected');
      await m.remove(s);
    } finally {
      await m.close();
    }
  });

  it('a cmd session and a PowerShell session side by side: each keeps its kind; Invoke-Command of the wrong kind is refused before anything is sent', async () => {
    const m = new SessionManager();
    try {
      const cmd = await m.newSession(optionsFor(L.url), { configurationName: 'cmd' });
      const ps = await m.newSession(optionsFor(L.url), { configurationName: 'Microsoft.PowerShell' });
      expect([cmd.configurationName, ps.configurationName]).toEqual(['cmd', 'Microsoft.PowerShell']);
      await expect(m.invoke(ps, 'echo', ['hi'])).rejects.toMatchObject({ code: 'ERR_SESSION_KIND' });
      await expect(m.invokeScript(cmd, '1')).rejects.toMatchObject({ code: 'ERR_SESSION_KIND' });
      const listed = await m.getSessions(optionsFor(L.url), {}, { commands: false });
      expect(listed.map((x) => x.configurationName).sort()).toEqual(['Microsoft.PowerShell', 'cmd']);
    } finally {
      await m.close();
    }
  });
});
