/**
 * The PSRP client's pool-level Receive (RunspacePool poolReceive, the default) against the listener
 * hosting real pwsh, with Basic and with NTLM sealing: once Opened one Receive without CommandId
 * stays outstanding, re-issued after each w:TimedOut (short OperationTimeout), beside the
 * pipelines' Receives; Disconnect has the server answer it (nothing waits out the OperationTimeout),
 * Reconnect starts it again, Close leaves no request after the Delete and no rejection. Skips
 * without PowerShell.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { Action, type Body } from '../../src/core/index.js';
import { WsmanClient, type RequestOptions } from '../../src/client/client.js';
import { isTimedOutFault } from '../../src/client/receive.js';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { WsmanRunspace } from '../../src/client/psrp/wsman.js';
import { defaultConfig } from '../../src/server/config.js';
import { withPowerShell } from '../../src/server/pwsh-find.js';
import type { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { startListener, type TestListener } from './helpers.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';

let basic: TestListener;
let ntlm: TestListener;
beforeAll(async () => {
  if (!PWSH) return;
  basic = await startListener({ config: withPowerShell(defaultConfig(), PWSH) });
  ntlm = await startListener({ config: withPowerShell(defaultConfig(), PWSH), ntlm: true, allowUnencrypted: false });
});
afterAll(async () => {
  await basic?.stop();
  await ntlm?.stop();
});

/** The action of every request the client sends, and how each pool Receive ended. */
function watch(client: WsmanClient) {
  const log: string[] = [];
  const pool = { sent: 0, timedOut: 0, answered: 0, failed: 0, inFlight: 0 };
  const exchangeXml = client.exchangeXml.bind(client);
  vi.spyOn(client, 'exchangeXml').mockImplementation((action, id, xml, opts) => {
    log.push(action ?? '');
    return exchangeXml(action, id, xml, opts);
  });
  const send = client.send.bind(client);
  vi.spyOn(client, 'send').mockImplementation((action: string | undefined, body: Body, opts?: RequestOptions) => {
    const isPool = body.kind === 'Receive' && body.commandId === undefined;
    const p = send(action, body, opts);
    if (!isPool) return p;
    pool.sent++;
    pool.inFlight++;
    p.then(() => pool.answered++, (err: unknown) => (isTimedOutFault(err) ? pool.timedOut++ : pool.failed++)).finally(() => pool.inFlight--);
    return p;
  });
  return { log, pool };
}

const cases = [
  { name: 'Basic', l: () => basic, auth: { authentication: 'basic' as const, allowUnencrypted: true } },
  { name: 'NTLM with sealing', l: () => ntlm, auth: { authentication: 'ntlm' as const } },
];

describe.skipIf(!PWSH)(`PSRP pool-level Receive through wsman listen + pwsh${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  for (const c of cases) {
    it(`${c.name}: idle across OperationTimeouts, a pipeline, Disconnect, Reconnect, Close: no stray request or rejection`, async () => {
      const rejections: unknown[] = [];
      const onRejection = (err: unknown): void => void rejections.push(err);
      process.on('unhandledRejection', onRejection);
      const client = new WsmanClient({
        endpoint: { connectionUri: c.l().url }, credential: { username: 'alice', password: 'secret' }, operationTimeout: 1000, ...c.auth,
      });
      const { log, pool: pr } = watch(client);
      const pool = await RunspacePool.open(client);
      const t = pool.transport as WsmanRunspace;
      try {
        // Idle: the pool's Receive is re-issued after each TimedOut, one at a time.
        await vi.waitFor(() => expect(pr.timedOut).toBeGreaterThanOrEqual(3), { timeout: 30_000, interval: 50 });
        expect(pr.inFlight).toBeLessThanOrEqual(1);
        expect(pr.failed).toBe(0);
        expect(pool.core.state).toBe('Opened');
        // A pipeline while the pool's Receive waits beside it.
        expect(await PowerShell.create(pool).addScript('1 + 1').invoke()).toEqual([2]);
        await vi.waitFor(() => expect(pr.inFlight).toBe(1), { timeout: 10_000, interval: 20 });
        const sentBefore = pr.sent;
        // Disconnect: the server answers the outstanding Receive; no other is sent.
        await t.disconnect();
        expect(pool.core.state).toBe('Disconnected');
        expect(pr.inFlight).toBe(0);
        expect(pr.sent).toBe(sentBefore);
        expect(pr.failed).toBe(0);
        // Reconnect: the pool's Receive starts again, and the pool runs pipelines.
        await t.reconnect();
        expect(pool.core.state).toBe('Opened');
        await vi.waitFor(() => expect(pr.sent).toBeGreaterThan(sentBefore), { timeout: 10_000, interval: 20 });
        expect(await PowerShell.create(pool).addScript('"again"').invoke()).toEqual(['again']);
        await vi.waitFor(() => expect(pr.timedOut).toBeGreaterThanOrEqual(4), { timeout: 30_000, interval: 50 });
        expect(pr.failed).toBe(0);
      } finally {
        await pool.close();
      }
      await t.settled();
      expect(pool.core.state).toBe('Closed');
      expect(pr.inFlight).toBe(0);
      const del = log.indexOf(Action.Delete);
      expect(del).toBeGreaterThan(0);
      expect(log.slice(del + 1)).toEqual([]);
      await client.close();
      process.off('unhandledRejection', onRejection);
      expect(rejections).toEqual([]);
    }, 120_000);
  }

  it('pwsh ends while the pool is idle: the pool turns Broken with no call of ours, and close() sends no Delete', async () => {
    const client = new WsmanClient({
      endpoint: { connectionUri: basic.url }, credential: { username: 'alice', password: 'secret' }, operationTimeout: 1000, authentication: 'basic', allowUnencrypted: true,
    });
    const { log } = watch(client);
    const pool = await RunspacePool.open(client);
    const t = pool.transport as WsmanRunspace;
    try {
      const session = basic.listener.core.store.get(t.shell!.shellId)!.session as PwshSession;
      process.kill(session.pid!, 'SIGKILL');
      await vi.waitFor(() => expect(pool.core.state).toBe('Broken'), { timeout: 30_000, interval: 50 });
      expect(t.shell!.state).toBe('Closed');
      // A pipeline of a Broken pool fails rather than hanging.
      await expect(PowerShell.create(pool).addScript('1').invoke()).rejects.toThrow();
    } finally {
      await pool.close();
      await client.close();
    }
    expect(log).not.toContain(Action.Delete);
  }, 60_000);
});
