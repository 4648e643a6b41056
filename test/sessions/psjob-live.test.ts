/**
 * A PowerShell session's job against the listener hosting real pwsh: Disconnect-PSSession while
 * the job receives leaves it Disconnected (the pipeline goes on), and a second Receive-PSSession
 * -OutTarget Job gets the rest, each object once; New-PSSession's default configuration. Skips,
 * saying why, without pwsh.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionManager, PowerShellJob } from '../../src/client/sessions/index.js';
import type { PSValue } from '../../src/psrp/clixml/model.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startListener, optionsFor, until, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => {
  if (PWSH) L = await startListener(undefined, { pwsh: PWSH });
});
afterAll(async () => { await L?.stop(); });

describe.skipIf(!PWSH)(`PowerShell session jobs on the listener${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('Disconnect-PSSession while the job receives: the job ends Disconnected, the session Disconnected; a new job receives the rest, each object once, Completed', async () => {
    const m = new SessionManager();
    try {
      const s = await m.invokeScriptInDisconnectedSession(optionsFor(L.url), '1..8 | ForEach-Object { [pscustomobject]@{ N = $_ }; Start-Sleep -Milliseconds 200 }', [], { name: 'ITTask' });
      const job = await m.receiveJob(s, { jobName: 'ITTaskJob01' });
      expect(job).toBeInstanceOf(PowerShellJob);
      const first = job as PowerShellJob;
      const seen: PSValue[] = [];
      const reading = (async () => { for await (const r of first.records()) if (r.stream === 'Output') seen.push(r.value); })();
      await until(() => seen.length >= 2, 30_000, 'two objects');
      await m.disconnect(s);
      expect(await first.wait()).toBe('Disconnected');
      await reading;
      expect(first.error?.name).toBe('PipelineDisconnectedError');
      expect([s.state, s.availability]).toEqual(['Disconnected', 'None']);

      const second = (await m.receiveJob(s, { jobName: 'ITTaskJob02' })) as PowerShellJob;
      expect(await second.wait()).toBe('Completed');
      expect(second.exitCode).toBe(0);
      const all = [...seen, ...second.output];
      expect(all.map((v) => (v as { get(n: string): PSValue }).get('N'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(all.every((v) => (v as { typeNames: string[] }).typeNames[0] === 'System.Management.Automation.PSCustomObject')).toBe(true);
      await m.remove(s);
    } finally {
      await m.close();
    }
  }, 90_000);

  it('New-PSSession without -ConfigurationName: a PowerShell session (Microsoft.PowerShell), as PowerShell makes; invokeInDisconnectedSession of a command line still makes a cmd shell', async () => {
    const m = new SessionManager();
    try {
      const s = await m.newSession(optionsFor(L.url), { name: 'default' });
      expect([s.configurationName, s.isPowerShell]).toEqual(['Microsoft.PowerShell', true]);
      const p = await m.invokeScript(s, '6*7');
      const out: PSValue[] = [];
      for await (const v of p.streams.output) out.push(v);
      expect(out).toEqual([42]);
      await m.remove(s);
      const c = await m.invokeInDisconnectedSession(optionsFor(L.url), 'echo hi', [], { name: 'cmd-one' });
      expect([c.configurationName, c.isPowerShell]).toEqual(['cmd', false]);
      await m.remove(c);
    } finally {
      await m.close();
    }
  }, 60_000);

  it('Disconnect-PSSession of a quiet pipeline (its Receive waiting for output) is answered at once, not after the 60 s Receive OperationTimeout; the pipeline goes on and a job gets the rest', async () => {
    const m = new SessionManager();
    const gate = join(mkdtempSync(join(tmpdir(), 'wsman-psjob-')), 'gate');
    try {
      const s = await m.newSession(optionsFor(L.url), { name: 'quiet' });
      const p = await m.invokeScript(s, `'started'; while (-not (Test-Path '${gate}')) { Start-Sleep -Milliseconds 100 }; 'after the gate'`);
      const got: PSValue[] = [];
      const reading = (async () => { for await (const v of p.streams.output) got.push(v); })().catch((e: unknown) => e);
      await until(() => got.length === 1, 30_000, 'the first object');
      // Without the server answering the Receive in flight, this waits out the OperationTimeout (60 s > this test's timeout).
      await m.disconnect(s);
      expect(await reading).toMatchObject({ code: 'ERR_PSRP_PIPELINE_DISCONNECTED' });
      expect(s.state).toBe('Disconnected');
      writeFileSync(gate, '');
      const job = (await m.receiveJob(s)) as PowerShellJob;
      expect(await job.wait()).toBe('Completed');
      expect(job.output).toEqual(['after the gate']);
      await m.remove(s);
    } finally {
      writeFileSync(gate, '');
      await m.close();
    }
  }, 45_000);
});
