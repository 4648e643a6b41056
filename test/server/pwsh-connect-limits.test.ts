/**
 * The runspace limits a PowerShell Connect asks for (CONNECT_RUNSPACEPOOL, MS-PSRP 2.2.2.29),
 * judged as PowerShell's own server judges them (ServerRemoteSession.ExecuteConnect): a Connect
 * does not resize the pool; limits given only in part are ignored; -1 or a minimum above the
 * maximum is refused; limits that differ from the pool's in both bounds are refused; otherwise
 * RUNSPACEPOOL_INIT_DATA reports the pool's own limits. Offline against the listener's answer,
 * then end to end with a real pwsh (skipped, saying why, without one).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Defragmenter, decodeTyped, encodeTyped, fragmentBytes, Destination, EMPTY_GUID } from '../../src/psrp/index.js';
import { WsmanFaultError, WsmanProtocolError } from '../../src/core/index.js';
import { answerConnect } from '../../src/server/backends/pwsh-connect.js';
import type { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { WsmanClient } from '../../src/client/client.js';
import { WsmanRunspace } from '../../src/client/psrp/wsman.js';
import { eventsUntil } from '../../src/client/psrp/transport.js';
import { ClientRunspacePool, type PsrpEvent } from '../../src/psrp/pool.js';
import { scriptSpec } from '../../src/psrp/pipeline.js';
import { startListener, type TestListener } from './helpers.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';

const POOL = '5a1e2b3c-4d5e-4f60-8172-839405a6b7c8';
const CAP = { type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' } as const;

/** A session as the pwsh backend keeps it once its pool (limits `min`..`max`) opened. */
function session(min: number, max: number): PwshSession {
  const capability = Buffer.from(encodeTyped(CAP, { destination: Destination.Client, rpid: POOL, pid: EMPTY_GUID }));
  return { opened: { capability }, poolRpid: POOL, runspaces: { min, max } } as unknown as PwshSession;
}

function connectXml(limits: { minRunspaces?: number; maxRunspaces?: number }): string {
  return Buffer.concat([CAP, { type: 'CONNECT_RUNSPACEPOOL' as const, ...limits }].map((m, i) =>
    fragmentBytes(BigInt(i + 1), encodeTyped(m, { destination: Destination.Server, rpid: POOL, pid: EMPTY_GUID }), 32768))).toString('base64');
}

/** The limits RUNSPACEPOOL_INIT_DATA reports in the answer. */
function reported(responseXml: string): [number, number] {
  const ms = new Defragmenter().push(new Uint8Array(Buffer.from(responseXml, 'base64'))).map((m) => decodeTyped(m.data).message);
  const init = ms.find((m) => m.type === 'RUNSPACEPOOL_INIT_DATA');
  if (init?.type !== 'RUNSPACEPOOL_INIT_DATA') throw new Error('no RUNSPACEPOOL_INIT_DATA');
  return [init.minRunspaces, init.maxRunspaces];
}

describe('runspace limits in a PowerShell Connect (offline)', () => {
  it('reports the pool\'s limits when none, the same, or one changed bound are asked for, or only one bound is given', () => {
    const s = session(1, 3);
    for (const asked of [{}, { minRunspaces: 1, maxRunspaces: 3 }, { minRunspaces: 1, maxRunspaces: 5 }, { minRunspaces: 2, maxRunspaces: 3 }, { maxRunspaces: 7 }, { minRunspaces: 2 }]) {
      expect(reported(answerConnect(s, connectXml(asked)).responseXml), JSON.stringify(asked)).toEqual([1, 3]);
    }
  });

  it('refuses limits that differ from the pool\'s in both bounds, without changing the pool', () => {
    const s = session(1, 3);
    expect(() => answerConnect(s, connectXml({ minRunspaces: 2, maxRunspaces: 5 }))).toThrow(/1 to 3 runspaces, not the 2 to 5/);
    expect(() => answerConnect(s, connectXml({ minRunspaces: 2, maxRunspaces: 5 }))).toThrow(WsmanProtocolError);
    expect(s.runspaces).toEqual({ min: 1, max: 3 });
  });

  it('refuses -1 or a minimum above the maximum as not valid, even when one bound matches', () => {
    const s = session(1, 3);
    for (const asked of [{ minRunspaces: -1, maxRunspaces: 3 }, { minRunspaces: 1, maxRunspaces: -1 }, { minRunspaces: 4, maxRunspaces: 3 }, { minRunspaces: 3, maxRunspaces: 1 }]) {
      expect(() => answerConnect(s, connectXml(asked)), JSON.stringify(asked)).toThrow(/runspace limits asked for are not valid/);
    }
  });
});

let t: TestListener;
beforeAll(async () => {
  if (PWSH) t = await startListener({ pwsh: PWSH });
});
afterAll(async () => {
  await t?.stop();
});

const clientFor = (url: string): WsmanClient =>
  new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true });
const opened = (e: PsrpEvent): boolean => e.type === 'PoolState' && e.state === 'Opened';
const ended = (e: PsrpEvent): boolean => e.type === 'PipelineState' && ['Completed', 'Failed', 'Stopped'].includes(e.state);

describe.skipIf(!PWSH)(`runspace limits in a Connect to pwsh through the listener${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('a pool opened with 1..3: a Connect asking 2..5 is refused and the shell stays connectable; one asking 1..5 is told 1..3 and runs pipelines', async () => {
    const c = clientFor(t.url);
    const pool = new ClientRunspacePool({ rpid: randomUUID(), minRunspaces: 1, maxRunspaces: 3 });
    const rs = new WsmanRunspace(c, pool);
    pool.open();
    await rs.flush();
    await eventsUntil(rs, opened);
    await rs.settled();
    const id = pool.rpid.toUpperCase();
    expect((t.listener.core.store.get(id)!.session as PwshSession).runspaces).toEqual({ min: 1, max: 3 });
    await rs.disconnect();

    const refused = new ClientRunspacePool({ rpid: pool.rpid, minRunspaces: 2, maxRunspaces: 5 });
    const err = await WsmanRunspace.connect(clientFor(t.url), refused, id).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).wsmanCode).toBe(2150858791);
    expect(t.listener.core.store.get(id)!.state).toBe('Disconnected');

    const c2 = clientFor(t.url);
    const pool2 = new ClientRunspacePool({ rpid: pool.rpid, minRunspaces: 1, maxRunspaces: 5 });
    const t2 = await WsmanRunspace.connect(c2, pool2, id);
    const events = await eventsUntil(t2, (e) => e.type === 'Message' && e.message.type === 'RUNSPACEPOOL_INIT_DATA');
    expect(events.at(-1)).toMatchObject({ message: { minRunspaces: 1, maxRunspaces: 3 } });
    await t2.settled();
    expect(pool2.state).toBe('Opened');
    pool2.createPipeline(randomUUID()).invoke(scriptSpec('6*7'));
    await t2.flush();
    const own = await eventsUntil(t2, ended);
    expect(own.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT' ? [e.message.value] : []))).toEqual([42]);
    pool2.close();
    await t2.flush();
  }, 60_000);
});
