/**
 * The PSRP client offering xpress compression (RunspacePool.open `compression: true`) to the
 * listener hosting real pwsh: the shell reports XpressCompression, so every Send the listener
 * decoded and every Receive the client decoded went in xpress chunks. Skips without PowerShell.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action } from '../../src/core/index.js';
import { WsmanClient } from '../../src/client/client.js';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { defaultConfig } from '../../src/server/config.js';
import { withPowerShell } from '../../src/server/pwsh-find.js';
import { startListener, call, type TestListener } from './helpers.js';
import { PS } from './pwsh-helpers.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';

let t: TestListener;
beforeAll(async () => {
  if (!PWSH) return;
  t = await startListener({ config: withPowerShell(defaultConfig(), PWSH) });
});
afterAll(async () => {
  await t?.stop();
});

const clientFor = (url: string): WsmanClient =>
  new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true });

async function compressionMode(shellId: string): Promise<string | undefined> {
  const g = await call(t.url, Action.Get, { kind: 'Empty' }, { selectors: { ShellId: shellId } }, PS);
  return /<rsp:CompressionMode>(\w+)<\/rsp:CompressionMode>/.exec(g.raw)?.[1];
}

describe.skipIf(!PWSH)(`PSRP over WS-Man with xpress${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('opens a pool, sends input and receives many objects through compressed streams', async () => {
    const client = clientFor(t.url);
    const pool = await RunspacePool.open(client, { compression: true });
    try {
      expect(await compressionMode(pool.core.rpid)).toBe('XpressCompression');
      expect(await PowerShell.create(pool).addScript('$input | ForEach-Object { $_ * 2 }').invoke([1, 2, 3])).toEqual([2, 4, 6]);
      const many = await PowerShell.create(pool).addScript('1..20000 | ForEach-Object { "Return $_" }').invoke();
      expect(many.length).toBe(20000);
      expect(many[19999]).toBe('Return 20000');
      const big = 'x'.repeat(200_000);
      expect(await PowerShell.create(pool).addScript('param($s) $s.Length').addArgument(big).invoke()).toEqual([200_000]);
    } finally {
      await pool.close();
      await client.close();
    }
  }, 120_000);

  it('without the option the shell is not compressed (the default)', async () => {
    const client = clientFor(t.url);
    const pool = await RunspacePool.open(client);
    try {
      expect(await compressionMode(pool.core.rpid)).toBe('NoCompression');
      expect(await PowerShell.create(pool).addScript('"plain"').invoke()).toEqual(['plain']);
    } finally {
      await pool.close();
      await client.close();
    }
  }, 120_000);
});
