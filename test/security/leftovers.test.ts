/**
 * Leftovers (issue 15): a Create that faults leaves no hidden shell behind, and enumeration
 * contexts are capped per user, so that one user's flood never evicts another's enumeration.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI, WsmanCode } from '../../src/core/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { MAX_CONTEXTS_PER_USER } from '../../src/server/handlers/enumerate.js';
import { dispatch } from '../../src/server/dispatch.js';
import { startListener, call, envelope, faultCode, TestShell, ALICE, BOB, type TestListener } from '../server/helpers.js';

let t: TestListener;
beforeAll(async () => {
  const config = defaultConfig();
  config.configurations[0]!.maxShellsPerUser = 2;
  t = await startListener({ config });
});
afterAll(async () => {
  await t.stop();
});

function enumerate(auth: string) {
  return call(t.url, Action.Enumerate, { kind: 'Enumerate' }, {}, ResourceURI.Shell, auth);
}
function pull(context: string, auth: string) {
  return call(t.url, Action.Pull, { kind: 'Pull', context, maxElements: 10 }, {}, ResourceURI.Shell, auth);
}
function contextOf(r: Awaited<ReturnType<typeof enumerate>>): string {
  if (r.msg.body.kind !== 'EnumerateResponse' || !r.msg.body.context) throw new Error(`no context: ${r.raw.slice(0, 300)}`);
  return r.msg.body.context;
}

describe('a failed Create leaves nothing', () => {
  it('removes the shell of a Create whose answer exceeds the client\'s MaxEnvelopeSize', async () => {
    // The environment is echoed in the CreateResponse: 10 KB of it cannot fit in 8192 bytes.
    const environment = { BIG: 'x'.repeat(10_000) };
    for (let i = 0; i < 3; i++) {
      const r = await call(t.url, Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout'], environment } }, { maxEnvelopeSize: 8192 });
      expect(faultCode(r.msg)).toBe(WsmanCode.MaxEnvelopeSizeExceeded);
    }
    // No hidden shell: none listed, none in the store, and the quota of 2 is intact.
    const listed = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 100 }, {}, ResourceURI.Shell);
    expect(listed.msg.body.kind === 'EnumerateResponse' && listed.msg.body.items).toEqual([]);
    expect(t.listener.core.store.ownedBy('alice')).toHaveLength(0);
    const a = await TestShell.create(t.url);
    const b = await TestShell.create(t.url);
    await a.delete();
    await b.delete();
  });

  it('removes the shell of a Create whose answer never reached the client', async () => {
    const core = t.listener.core;
    const user = core.users.get('alice')!;
    const body = Buffer.from(envelope(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout'] } }));
    const send = () => dispatch(core, {
      body, user, clientIp: '127.0.0.1', machine: '127.0.0.1', secure: false, endpoint: t.url, closed: new AbortController().signal,
    });
    const lost = await send();
    expect(lost.kind === 'soap' && lost.status).toBe(200);
    expect(core.store.ownedBy('alice')).toHaveLength(1);
    // The connection closed before the answer was written (what http.ts reports through onSent).
    if (lost.kind === 'soap') lost.onSent?.(false);
    expect(core.store.ownedBy('alice')).toHaveLength(0);
    // A delivered answer keeps its shell.
    const kept = await send();
    if (kept.kind === 'soap') kept.onSent?.(true);
    expect(core.store.ownedBy('alice')).toHaveLength(1);
    core.store.delete(core.store.ownedBy('alice')[0]!.id);
  });

  it('removes the shell of a Create whose client went away while it was made', async () => {
    const core = t.listener.core;
    const gone = new AbortController();
    gone.abort();
    const body = Buffer.from(envelope(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout'] } }));
    const r = await dispatch(core, {
      body, user: core.users.get('alice')!, clientIp: '127.0.0.1', machine: '127.0.0.1', secure: false, endpoint: t.url, closed: gone.signal,
    });
    expect(r.kind).toBe('none');
    expect(core.store.ownedBy('alice')).toHaveLength(0);
  });
});

describe('enumeration contexts per user', () => {
  it('keeps bob\'s open enumeration while alice opens more than her cap; alice loses only her own oldest', async () => {
    const bobs = contextOf(await enumerate(BOB));
    const first = contextOf(await enumerate(ALICE));
    let last = first;
    for (let i = 0; i < MAX_CONTEXTS_PER_USER + 5; i++) last = contextOf(await enumerate(ALICE));
    const core = t.listener.core;
    expect([...core.enumerations.values()].filter((e) => e.owner === 'alice')).toHaveLength(MAX_CONTEXTS_PER_USER);
    // Bob's context survives the flood.
    const b = await pull(bobs, BOB);
    expect(b.msg.body.kind).toBe('PullResponse');
    // Alice's oldest is gone (the fault a Pull on an expired context gets), her newest works.
    expect(faultCode((await pull(first, ALICE)).msg)).toBe(WsmanCode.InvalidEnumerationContext);
    expect((await pull(last, ALICE)).msg.body.kind).toBe('PullResponse');
    core.enumerations.clear();
  }, 60_000);
});
