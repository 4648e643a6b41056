/**
 * Get-PSSession with commands at scale (issue #20): our listener lists the commands of all the
 * caller's shells in one enumeration (SelectorFilter ShellId `*`, each item with its ShellId);
 * the client asks that first, and a server that faults on it (Windows) is asked per shell, once
 * refused never again. Either way the sessions and commands are the same.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { Shell, newGuid } from '../../src/client/shell.js';
import { SessionManager } from '../../src/client/sessions/index.js';
import { Action, ResourceURI, SELECTOR_FILTER_DIALECT, type Body, type EnumerationItem } from '../../src/core/index.js';
import { startListener, optionsFor, recordBodySizes, BOB, type SessionListener } from './helpers.js';

let L: SessionListener;
const aliceShells: string[] = [];
let bobShell = '';

beforeAll(async () => {
  L = await startListener();
  const a = new WsmanClient(optionsFor(L.url));
  for (let i = 0; i < 4; i++) {
    const sh = await Shell.open(a, { shellId: newGuid(), name: `a${i}` });
    // Shells 0 and 2 get a command each, shell 2 a second one: 3 commands in all.
    if (i === 0 || i === 2) await sh.start('sleep', ['30']);
    if (i === 2) await sh.start('sleep', ['31']);
    await sh.disconnect();
    aliceShells.push(sh.shellId.toUpperCase());
  }
  const b = new WsmanClient(optionsFor(L.url, BOB));
  const sb = await Shell.open(b, { shellId: newGuid(), name: 'b0' });
  await sb.start('sleep', ['32']);
  // Three with command lines of 3,000 bytes: at most one of them an answer at MaxEnvelopeSize 8192.
  for (let i = 0; i < 3; i++) await sb.start('sh', ['-c', `sleep 33 #${'x'.repeat(3000)}`]);
  await sb.disconnect();
  bobShell = sb.shellId.toUpperCase();
  await a.close();
  await b.close();
}, 60_000);
afterAll(async () => { await L?.stop(); });

const ALL = { filterSelectors: { ShellId: '*' }, filterDialect: SELECTOR_FILTER_DIALECT };

/** Enumerate + Pulls by hand: the items of each answer. */
async function batches(client: WsmanClient, maxElements: number): Promise<EnumerationItem[][]> {
  const out: EnumerationItem[][] = [];
  const first = await client.send(Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements, ...ALL }, { resourceUri: ResourceURI.ShellCommand });
  if (first.body.kind !== 'EnumerateResponse') throw new Error(first.body.kind);
  out.push(first.body.items ?? []);
  let context = first.body.context;
  let end = first.body.endOfSequence === true;
  while (!end) {
    const p = await client.send(Action.Pull, { kind: 'Pull', context, maxElements }, { resourceUri: ResourceURI.ShellCommand });
    if (p.body.kind !== 'PullResponse') throw new Error(p.body.kind);
    out.push(p.body.items);
    if (p.body.context) context = p.body.context;
    end = p.body.endOfSequence === true;
  }
  return out;
}

describe('listener: commands of all the caller\'s shells (ShellId *)', () => {
  it('lists every command of the caller\'s shells with its ShellId, none of another user\'s', async () => {
    const client = new WsmanClient(optionsFor(L.url));
    try {
      const items = (await batches(client, 32000)).flat();
      const got = items.map((i) => (i.kind === 'Command' ? `${i.shellId?.toUpperCase()} ${i.commandLine} ${i.commandState}` : i.kind)).sort();
      expect(got).toEqual([`${aliceShells[0]} sleep 30 Running`, `${aliceShells[2]} sleep 30 Running`, `${aliceShells[2]} sleep 31 Running`].sort());
    } finally { await client.close(); }
    const bob = new WsmanClient(optionsFor(L.url, BOB));
    try {
      const items = (await batches(bob, 32000)).flat();
      expect(items.map((i) => (i.kind === 'Command' ? i.shellId?.toUpperCase() : i.kind))).toEqual([bobShell, bobShell, bobShell, bobShell]);
    } finally { await bob.close(); }
  });

  it('MaxElements 1: one command an answer, Pulls to the end', async () => {
    const client = new WsmanClient(optionsFor(L.url));
    try {
      const b = await batches(client, 1);
      expect(b.map((x) => x.length)).toEqual([1, 1, 1]);
    } finally { await client.close(); }
  });

  it('MaxEnvelopeSize: each answer within it (room for one long command here), Pulls to the end', async () => {
    const limit = 8192; // the least WS-Man takes; bob's long commands fit one an answer
    const client = new WsmanClient({ ...optionsFor(L.url, BOB), maxEnvelopeSize: limit });
    const bodies = recordBodySizes(client);
    try {
      // The short one and the first long one share the first answer; no room for two long ones.
      expect((await batches(client, 32000)).map((x) => x.length)).toEqual([2, 1, 1]);
      for (const b of bodies) expect(b).toBeLessThanOrEqual(limit);
    } finally { await client.close(); }
  });
});

/** The ShellCommand Enumerates a client sends; `refuse` makes the all-shells form fault as Windows would (a ShellId with no shell). */
function watch(client: WsmanClient, refuse: boolean): { bulk: number; perShell: number } {
  const n = { bulk: 0, perShell: 0 };
  const send = client.send.bind(client);
  client.send = async (action: string | undefined, body: Body, opts = {}) => {
    if (action === Action.Enumerate && body.kind === 'Enumerate' && opts.resourceUri === ResourceURI.ShellCommand) {
      if (body.filterSelectors?.ShellId === '*') {
        n.bulk++;
        if (refuse) body = { ...body, filterSelectors: { ShellId: newGuid() } };
      } else n.perShell++;
    }
    return send(action, body, opts);
  };
  return n;
}

const listing = (ss: { instanceId: string; remoteCommands?: { commandId: string; commandLine: string; state: string }[] }[]): string[] =>
  ss.map((s) => `${s.instanceId.toUpperCase()}: ${(s.remoteCommands ?? []).map((c) => `${c.commandId} ${c.commandLine} ${c.state}`).sort().join(', ')}`).sort();

describe('client: Get-PSSession with commands', () => {
  it('asks once for all shells\' commands; a server that faults on it is asked per shell, and not asked again; same result', async () => {
    const bulkMgr = new SessionManager();
    const nb = watch(bulkMgr.clientFor(optionsFor(L.url)), false);
    const viaBulk = listing(await bulkMgr.getSessions(optionsFor(L.url)));
    expect(nb).toEqual({ bulk: 1, perShell: 0 });
    await bulkMgr.closeConnections();

    const oldMgr = new SessionManager();
    const nf = watch(oldMgr.clientFor(optionsFor(L.url)), true);
    const viaFallback = listing(await oldMgr.getSessions(optionsFor(L.url)));
    expect(nf).toEqual({ bulk: 1, perShell: 4 });
    expect(listing(await oldMgr.getSessions(optionsFor(L.url)))).toEqual(viaFallback);
    expect(nf).toEqual({ bulk: 1, perShell: 8 });
    await oldMgr.closeConnections();

    expect(viaBulk).toEqual(viaFallback);
    expect(viaBulk.filter((l) => !l.endsWith(': '))).toHaveLength(2);
    expect(viaBulk.join('\n')).not.toContain(bobShell);
  });
});
