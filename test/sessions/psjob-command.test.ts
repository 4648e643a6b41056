/**
 * Issue #16: the Command of a PowerShell session's job (Receive-PSSession -OutTarget Job, then
 * Get-Job) is the script its pipeline runs, as in PowerShell, where this client started it; not the
 * session's name. Against the listener hosting real pwsh; skips, saying why, without pwsh.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SessionManager, PowerShellJob } from '../../src/client/sessions/index.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startListener, optionsFor, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => {
  if (PWSH) L = await startListener(undefined, { pwsh: PWSH });
});
afterAll(async () => { await L?.stop(); });

describe.skipIf(!PWSH)(`Job.Command of a PowerShell job${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('is the script of the pipeline started with Invoke-Command -InDisconnectedSession, in Get-Job\'s row too', async () => {
    const m = new SessionManager();
    try {
      const script = "'one'; 'two'";
      const s = await m.invokeScriptInDisconnectedSession(optionsFor(L.url), script, [], { name: 'CmdTask' });
      const job = await m.receiveJob(s, { jobName: 'CmdTaskJob' });
      expect(job).toBeInstanceOf(PowerShellJob);
      expect(job.command).toBe(script);
      expect(await job.wait()).toBe('Completed');
      expect(job.toJSON()).toMatchObject({ Name: 'CmdTaskJob', Command: script });
      await m.remove(s);
    } finally {
      await m.close();
    }
  }, 90_000);
});
