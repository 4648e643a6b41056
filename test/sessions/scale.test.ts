/**
 * Get-PSSession at scale (issue 20): `wsman session list` (LocalSessions.list) of many
 * disconnected shells costs a fixed number of requests, not one command enumeration per shell,
 * lists the same sessions as the library's full Get-PSSession, and keeps the Ids in the state file.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { WsmanClient } from '../../src/client/client.js';
import { Shell, newGuid } from '../../src/client/shell.js';
import { SessionManager } from '../../src/client/sessions/index.js';
import { LocalSessions } from '../../src/client/sessions/local.js';
import { SessionStateFile } from '../../src/client/sessions/statefile.js';
import { startListener, optionsFor, stateDir, type SessionListener } from './helpers.js';
import { startProxy, type FaultyProxy } from './proxy.js';

const N = 300;
let L: SessionListener;
let P: FaultyProxy;

beforeAll(async () => {
  L = await startListener((c) => { c.configurations[0]!.maxShellsPerUser = N + 10; });
  const client = new WsmanClient(optionsFor(L.url));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      const sh = await Shell.open(client, { shellId: newGuid(), name: `scale-${i}` });
      await sh.disconnect();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await client.close();
  P = await startProxy(L.url);
}, 60_000);
afterAll(async () => {
  await P?.close();
  await L?.stop();
});

describe('session list at scale', () => {
  it(`lists ${N} disconnected shells in at most 2 requests, the same sessions as Get-PSSession with commands, Ids kept in the state file`, async () => {
    const file = path.join(stateDir(), 'sessions.json');
    const ctx = new LocalSessions(new SessionStateFile(file));
    P.seen.length = 0;
    const listed = await ctx.list([optionsFor(P.url)], {});
    const requests = P.seen.map((r) => r.action);
    await ctx.finish();
    // One Enumerate (and at most one Pull), no command enumeration per shell.
    expect(requests.length).toBeLessThanOrEqual(2);
    expect(requests.every((a) => a === 'Enumerate' || a === 'Pull')).toBe(true);
    expect(listed).toHaveLength(N);

    // The same sessions, in the same order, with the same properties as the full Get-PSSession.
    const full = new SessionManager();
    const all = await full.getSessions(optionsFor(L.url));
    await full.closeConnections();
    const strip = (j: { Id: number; DisconnectedOn: string | null; ExpiresOn: string | null }): unknown => ({ ...j, Id: 0, DisconnectedOn: null, ExpiresOn: null });
    expect(listed.map((s) => strip(s.toJSON()))).toEqual(all.map((s) => strip(s.toJSON())));

    // The state file holds every session once, with the Ids shown; a second listing keeps them.
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { sessions: { InstanceId: string; Id: number }[] };
    expect(saved.sessions).toHaveLength(N);
    expect(new Set(saved.sessions.map((r) => r.InstanceId)).size).toBe(N);
    const ids = new Map(listed.map((s) => [s.instanceId, s.id]));
    for (const r of saved.sessions) expect(r.Id).toBe(ids.get(r.InstanceId));
    const again = new LocalSessions(new SessionStateFile(file));
    const second = await again.list([optionsFor(L.url)], {});
    await again.finish();
    expect(second.map((s) => [s.instanceId, s.id])).toEqual(listed.map((s) => [s.instanceId, s.id]));
  }, 60_000);

  it('the state file finds, updates and forgets records by InstanceId (any case)', () => {
    const st = new SessionStateFile(path.join(stateDir(), 'sessions.json'));
    const base = { Name: 'a', ComputerName: 'h', State: 'Disconnected', ConfigurationName: 'cmd', Availability: 'None', IdleTimeout: null,
      OutputBufferingMode: null, DisconnectedOn: null, ExpiresOn: null, ConnectionUri: 'http://h/wsman', ResourceUri: 'r' } as const;
    const a = newGuid();
    const b = newGuid();
    st.upsert({ ...base, Id: st.idFor(a), InstanceId: a, CreatedHere: true });
    st.upsert({ ...base, Id: st.idFor(b), InstanceId: b, CreatedHere: false });
    st.upsert({ ...base, Id: st.idFor(a.toLowerCase()), InstanceId: a.toLowerCase(), Name: 'renamed', CreatedHere: false });
    expect(st.records.map((r) => [r.Id, r.Name, r.CreatedHere])).toEqual([[1, 'renamed', true], [2, 'a', false]]);
    st.remove(a);
    expect(st.find(a)).toBeUndefined();
    expect(st.find(b.toLowerCase())?.Id).toBe(2);
    st.upsert({ ...base, Id: st.idFor(a), InstanceId: a, CreatedHere: false });
    expect(st.records.map((r) => r.Id)).toEqual([2, 3]);
    expect(st.find(a)?.Id).toBe(3);
  });
});
