/**
 * Every envelope we build validates against schemas/ (via the schema helper): hand-built
 * messages of every family in both directions, faults from faultFromCode for every code in
 * FAULT_CODES, and the re-encoding of every recorded message. All documents go through one
 * batched validation (beforeAll); the tests look up their results.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, encodeEnvelope, faultFromCode, faultAction, FAULT_CODES, Action } from '../../src/core/index.js';
import { validateEnvelopes, type EnvelopeValidation } from '../helpers/schema.js';
import { allRecordedEnvelopes, isInvalidRequest } from '../helpers/fixtures.js';
import { samples, resHeaders, reqHeaders } from './samples.js';

interface Doc {
  id: string;
  xml: string;
}

const toDoc = (s: ReturnType<typeof samples>[number]): Doc => ({ id: `${s.role}: ${s.name}`, xml: encodeMessage(s.message, s.role) });
const handBuilt: Doc[] = samples().filter((s) => !s.schemaConflict).map(toDoc);
/** Known disagreements between the core and schemas/ (listed in the report); each must still be refused. */
const conflicts: Doc[] = samples().filter((s) => s.schemaConflict).map(toDoc);
const faults: Doc[] = [...FAULT_CODES.keys(), 12345].map((code) => {
  const fault = faultFromCode(code, 'win-host', code === 2150858767 ? 'The XML contains an invalid timeout field: PT-1S.' : undefined);
  return { id: `fault ${code}`, xml: encodeMessage({ headers: resHeaders(faultAction(fault)), body: { kind: 'Fault', fault } }, 'response') };
});
const reencoded: Doc[] = allRecordedEnvelopes()
  .filter((e) => !isInvalidRequest(e))
  .map((e) => ({ id: e.id, xml: encodeMessage(decodeMessage(e.xml), e.role) }));
/** Controls: envelopes the schemas must refuse, so a helper that accepts anything fails this file. */
const controls: Doc[] = [
  { id: 'control: IdleTimeOut that is not a duration', xml: encodeEnvelope(reqHeaders(Action.Create), [{ name: 'rsp:Shell', children: [{ name: 'rsp:IdleTimeOut', children: ['soon'] }] }], 'request') },
  { id: 'control: Receive without DesiredStream', xml: encodeEnvelope(reqHeaders(Action.Receive), [{ name: 'rsp:Receive', children: [{ name: 'rsp:Bogus' }] }], 'request') },
];

const results = new Map<string, EnvelopeValidation>();

beforeAll(async () => {
  const docs = [...handBuilt, ...conflicts, ...faults, ...reencoded, ...controls];
  const out = await validateEnvelopes(docs.map((d) => d.xml));
  docs.forEach((d, i) => results.set(d.id, out[i]!));
}, 60_000);

function invalid(docs: Doc[]): string[] {
  return docs.filter((d) => !results.get(d.id)?.valid).map((d) => `${d.id}: ${results.get(d.id)?.errors.slice(0, 3).join(' | ') ?? 'not validated'}`);
}

describe('envelopes we build validate against schemas/', () => {
  for (const d of handBuilt) {
    it(d.id, () => {
      const r = results.get(d.id);
      expect(r?.errors ?? ['not validated']).toEqual([]);
      expect(r?.valid).toBe(true);
    });
  }

  it(`faults from faultFromCode for all ${FAULT_CODES.size} FAULT_CODES entries (and an unknown code)`, () => {
    expect(faults).toHaveLength(FAULT_CODES.size + 1);
    expect(invalid(faults)).toEqual([]);
  });

  it('re-encodings of every recorded message', () => {
    expect(reencoded.length).toBeGreaterThan(1000);
    expect(invalid(reencoded)).toEqual([]);
  });

  it('known core/schema disagreements are still refused (remove them from samples.ts once resolved)', () => {
    expect(conflicts.length).toBeLessThanOrEqual(2);
    for (const c of conflicts) expect(results.get(c.id)?.valid, c.id).toBe(false);
  });

  it('the schemas refuse the control envelopes (the check can fail)', () => {
    for (const c of controls) expect(results.get(c.id)?.valid, c.id).toBe(false);
  });
});
