/**
 * The conformance runner's PowerShell category against our listener: with real pwsh the pool,
 * pipeline, Disconnect/Reconnect and Connect-from-a-second-client checks pass; without a PowerShell
 * configuration every check skips, saying why.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { runConformance, type Report } from '../../src/conformance/index.js';
import { startListener, type TestListener } from '../server/helpers.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';

const listeners: TestListener[] = [];
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
});

/** The category's checks (the schema check always comes along; it is not this category's). */
async function run(l: TestListener): Promise<Report> {
  const r = await runConformance({
    url: l.url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true },
    destructive: true, only: ['powershell'],
  });
  return { ...r, checks: r.checks.filter((c) => c.category === 'powershell') };
}

describe('conformance: the PowerShell category', () => {
  it.skipIf(!PWSH)(`passes pool, pipeline, Disconnect/Reconnect and Connect from a second client on the listener with pwsh${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, async () => {
    const l = await startListener({ pwsh: PWSH! });
    listeners.push(l);
    const r = await run(l);
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(r.checks.map((c) => c.id)).toEqual(['PS-001', 'PS-002', 'PS-003', 'PS-004']);
    for (const id of ['PS-001', 'PS-002', 'PS-003', 'PS-004']) expect({ id, status: by[id]!.status, reason: by[id]!.reason }).toEqual({ id, status: 'pass', reason: expect.any(String) });
    expect(by['PS-001']!.reason).toMatch(/server protocol 2\.\d/);
    // Every request of a check is recorded for the report, and the shells were deleted.
    expect(by['PS-002']!.exchanges.map((e) => e.label)).toEqual(expect.arrayContaining(['Create (PowerShell)', 'Command (pipeline)', 'Receive', 'Delete (PowerShell)']));
    expect(l.listener.core.store.size).toBe(0);
  }, 180_000);

  it('skips every check, saying why, where the endpoint offers no PowerShell configuration', async () => {
    const l = await startListener();
    listeners.push(l);
    const r = await run(l);
    expect(r.checks.map((c) => [c.id, c.status])).toEqual([['PS-001', 'skip'], ['PS-002', 'skip'], ['PS-003', 'skip'], ['PS-004', 'skip']]);
    for (const c of r.checks) expect(c.reason).toMatch(/^the endpoint offers no PowerShell configuration \(http:\/\/schemas\.microsoft\.com\/powershell\/Microsoft\.PowerShell: HTTP \d+ fault/);
  }, 60_000);

  it('skips without --destructive', async () => {
    const l = await startListener();
    listeners.push(l);
    const r = await runConformance({ url: l.url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true }, only: ['powershell'] });
    const ps = r.checks.filter((c) => c.category === 'powershell');
    expect(ps.map((c) => [c.id, c.status, c.reason])).toEqual(['PS-001', 'PS-002', 'PS-003', 'PS-004'].map((id) => [id, 'skip', 'creates shells or runs commands: run with --destructive']));
  }, 30_000);
});
