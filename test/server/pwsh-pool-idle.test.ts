/**
 * What a server sends the runspace pool while nothing is pending reaches the client at once through
 * its pool-level Receive (RunspacePool poolReceive, the default), with no call of the user's: a
 * PUBLIC_KEY_REQUEST is answered with PUBLIC_KEY, a RUNSPACEPOOL_HOST_CALL is answered by the host,
 * a RUNSPACEPOOL_STATE Broken breaks the pool. Served by the listener with test/server/fake-pwsh-relay.mjs
 * in place of pwsh: it logs what it gets and writes the pool messages this test prepares.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WsmanClient } from '../../src/client/client.js';
import { RunspacePool } from '../../src/client/psrp/powershell.js';
import type { PSHost } from '../../src/client/psrp/host.js';
import { defaultConfig } from '../../src/server/config.js';
import { withPowerShell } from '../../src/server/pwsh-find.js';
import type { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { EMPTY_GUID } from '../../src/psrp/message.js';
import { decodeTyped, encodeTyped, type TypedMessage } from '../../src/psrp/messages/index.js';
import { Defragmenter, fragmentBytes } from '../../src/psrp/fragment.js';
import { startListener, type TestListener } from './helpers.js';

const FAKE = fileURLToPath(new URL('./fake-pwsh-relay.mjs', import.meta.url));
let t: TestListener;
let dir: string;
let logFile: string;
let outbox: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsman-pool-idle-'));
  logFile = join(dir, 'packets.log');
  outbox = join(dir, 'outbox');
  writeFileSync(outbox, '');
  const config = withPowerShell(defaultConfig(), process.execPath);
  for (const c of config.configurations) if (c.backend === 'pwsh') c.pwsh = { path: process.execPath, args: [FAKE, logFile, outbox] };
  t = await startListener({ config });
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (): string[] => {
  try {
    return readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** The PSRP message types the fake got from the client for the pool (Data packets, any stream). */
function poolMessagesGot(): string[] {
  const defrag = new Defragmenter();
  const out: string[] = [];
  for (const l of lines()) {
    const m = /^got Data ([0-9a-f-]+) (\w+) (\S+)$/.exec(l);
    if (!m || m[1] !== EMPTY_GUID) continue;
    for (const msg of defrag.push(Buffer.from(m[3]!, 'base64'))) out.push(decodeTyped(msg.data).message.type);
  }
  return out;
}

let objectId = 1n;
/** Have the fake write these pool messages (from the server to the client) now. */
function serverSends(rpid: string, shellId: string, messages: TypedMessage[]): void {
  const packets = messages.map((m) => {
    const frag = fragmentBytes(objectId++, encodeTyped(m, { destination: 1, rpid, pid: EMPTY_GUID }), 32768);
    return `<Data Stream='Default' PSGuid='${EMPTY_GUID}'>${Buffer.from(frag).toString('base64')}</Data>\n`;
  });
  writeFileSync(outbox, packets.join(''));
  const pid = (t.listener.core.store.get(shellId)!.session as PwshSession).pid!;
  process.kill(pid, 'SIGUSR2');
}

async function openPool(client: WsmanClient, host?: PSHost): Promise<RunspacePool> {
  writeFileSync(logFile, '');
  const rpid = randomUUID();
  const opening = RunspacePool.open(client, { instanceId: rpid, ...(host ? { host } : {}) });
  await vi.waitFor(() => expect(poolMessagesGot()).toContain('INIT_RUNSPACEPOOL'), { timeout: 20_000, interval: 20 });
  serverSends(rpid, rpid, [
    { type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' },
    { type: 'APPLICATION_PRIVATE_DATA', applicationPrivateData: null },
    { type: 'RUNSPACEPOOL_STATE', runspaceState: 2 },
  ]);
  return opening;
}

const clientFor = (): WsmanClient => new WsmanClient({
  endpoint: { connectionUri: t.url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true, operationTimeout: 2000,
});

describe('pool messages while the pool is idle, through wsman listen', () => {
  it('PUBLIC_KEY_REQUEST is answered with PUBLIC_KEY, with no call of ours', async () => {
    const client = clientFor();
    const pool = await openPool(client);
    try {
      serverSends(pool.core.rpid, pool.core.rpid, [{ type: 'PUBLIC_KEY_REQUEST' }]);
      await vi.waitFor(() => expect(poolMessagesGot()).toContain('PUBLIC_KEY'), { timeout: 20_000, interval: 20 });
      expect(pool.core.state).toBe('Opened');
    } finally {
      await pool.close();
      await client.close();
    }
  }, 60_000);

  it('a RUNSPACEPOOL_HOST_CALL reaches the host, and its answer goes back', async () => {
    const client = clientFor();
    const calls: string[] = [];
    const pool = await openPool(client, { ReadLine: () => (calls.push('ReadLine'), 'typed') });
    try {
      serverSends(pool.core.rpid, pool.core.rpid, [{ type: 'RUNSPACEPOOL_HOST_CALL', callId: 1n, methodId: { value: 11, name: 'ReadLine' }, parameters: [] }]);
      await vi.waitFor(() => expect(poolMessagesGot()).toContain('RUNSPACEPOOL_HOST_RESPONSE'), { timeout: 20_000, interval: 20 });
      expect(calls).toEqual(['ReadLine']);
    } finally {
      await pool.close();
      await client.close();
    }
  }, 60_000);

  it('RUNSPACEPOOL_STATE Broken breaks the pool', async () => {
    const client = clientFor();
    const pool = await openPool(client);
    try {
      serverSends(pool.core.rpid, pool.core.rpid, [{ type: 'RUNSPACEPOOL_STATE', runspaceState: 5 }]);
      await vi.waitFor(() => expect(pool.core.state).toBe('Broken'), { timeout: 20_000, interval: 20 });
    } finally {
      await pool.close();
      await client.close();
    }
  }, 60_000);
});
