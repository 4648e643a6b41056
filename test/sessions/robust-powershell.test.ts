/**
 * Robust connections for PowerShell sessions, against our listener hosting real pwsh behind a
 * proxy that can cut every connection: an outage longer than the retry window leaves the
 * Receive-PSSession job Disconnected and the session Disconnected for us (phase Disconnected:
 * ours to Reconnect); once the network is back, Receive-PSSession reconnects the pool and its
 * pipeline and gets the rest, each object once. Skips, saying why, without pwsh.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SessionManager } from '../../src/client/sessions/index.js';
import type { PSValue } from '../../src/psrp/clixml/model.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startListener, optionsFor, until, type SessionListener } from './helpers.js';
import { startProxy, type FaultyProxy } from './proxy.js';

let L: SessionListener;
let P: FaultyProxy;
beforeAll(async () => {
  if (!PWSH) return;
  L = await startListener(undefined, { pwsh: PWSH });
  P = await startProxy(L.url);
});
afterAll(async () => {
  await P?.close();
  await L?.stop();
});

describe.skipIf(!PWSH)(`robust Receive of PowerShell sessions${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('an outage longer than the window: the job and the session end Disconnected; Receive-PSSession later reconnects and gets the rest, each object once', async () => {
    const retries: number[] = [];
    const m = new SessionManager({ retry: { intervalMs: 100, maxMs: 400 }, onRetry: (_s, attempt) => retries.push(attempt) });
    try {
      const s = await m.invokeScriptInDisconnectedSession(optionsFor(P.url), '1..8 | ForEach-Object { "line $_"; Start-Sleep -Milliseconds 250 }', [], { name: 'ps-outage' });
      const job = await m.receiveJob(s);
      let out = '';
      const reading = (async () => { for await (const c of job) out += c.data.toString(); })();
      await until(() => out.includes('line 2'), 20_000, 'line 2');
      P.down = true;
      expect(await job.wait()).toBe('Disconnected');
      await reading;
      expect(retries.length).toBeGreaterThan(0);
      expect([s.state, s.availability, s.phase]).toEqual(['Disconnected', 'None', 'Disconnected']);
      P.down = false;
      const rest: PSValue[] = [];
      const r = await m.receive(s, { onObject: (st, v) => { if (st === 'output') rest.push(v); } });
      expect(r.exitCode).toBe(0);
      expect(s.phase).toBe('Reconnected');
      const all = [...out.split('\n').filter(Boolean), ...rest];
      expect(all).toEqual(Array.from({ length: 8 }, (_, i) => `line ${i + 1}`));
      await m.remove(s);
    } finally {
      P.down = false;
      await m.close();
    }
  }, 90_000);
});
