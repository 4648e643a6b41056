/**
 * Shell enumeration batches: each answer stays within the MaxEnvelopeSize asked for, and is
 * filled (an item is sized as it is written inside the envelope, without namespace declarations
 * of its own), so many shells take as few answers as the envelope allows.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { Shell, newGuid } from '../../src/client/shell.js';
import { Action, ResourceURI, type EnumerationItem } from '../../src/core/index.js';
import { encodeShell } from '../../src/core/messages/shell.js';
import { serializeFragment } from '../../src/core/xml.js';
import { startListener, optionsFor, recordBodySizes, type SessionListener } from '../sessions/helpers.js';

const N = 300;
/** About 120 shells an answer: a per-item overcount (a namespace declaration each) would leave room for several more. */
const LIMIT = 128 * 1024;
/** The room the listener keeps for the envelope around the items (handlers/enumerate.ts). */
const OVERHEAD = 3072;
let L: SessionListener;

beforeAll(async () => {
  L = await startListener((c) => { c.configurations[0]!.maxShellsPerUser = N + 5; });
  const client = new WsmanClient(optionsFor(L.url));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      await (await Shell.open(client, { shellId: newGuid(), name: `s${i}` })).disconnect();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await client.close();
}, 60_000);
afterAll(async () => { await L?.stop(); });

const size = (i: EnumerationItem): number => (i.kind === 'Shell' ? Buffer.byteLength(serializeFragment(encodeShell(i.shell))) : 0);

describe('shell enumeration batches', () => {
  it(`${N} shells at MaxEnvelopeSize ${LIMIT}: every answer fits, and each but the last has no room for the next item`, async () => {
    const client = new WsmanClient({ ...optionsFor(L.url), maxEnvelopeSize: LIMIT });
    const batches: EnumerationItem[][] = [];
    const bodies = recordBodySizes(client);
    try {
      const first = await client.send(Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, { resourceUri: ResourceURI.Shell });
      if (first.body.kind !== 'EnumerateResponse') throw new Error(first.body.kind);
      batches.push(first.body.items ?? []);
      let context = first.body.context;
      let end = first.body.endOfSequence === true;
      while (!end) {
        const p = await client.send(Action.Pull, { kind: 'Pull', context, maxElements: 32000 }, { resourceUri: ResourceURI.Shell });
        if (p.body.kind !== 'PullResponse') throw new Error(p.body.kind);
        batches.push(p.body.items);
        if (p.body.context) context = p.body.context;
        end = p.body.endOfSequence === true;
      }
    } finally {
      await client.close();
    }
    expect(batches.flat()).toHaveLength(N);
    expect(batches.length).toBeGreaterThan(2);
    for (const b of bodies) expect(b).toBeLessThanOrEqual(LIMIT);
    for (let k = 0; k + 1 < batches.length; k++) {
      const used = batches[k]!.reduce((n, i) => n + size(i), 0);
      expect(used + size(batches[k + 1]![0]!) + OVERHEAD).toBeGreaterThan(LIMIT);
    }
  }, 60_000);
});
