/**
 * Random byte mutations, truncations and splices of recorded envelopes either decode or throw
 * WsmanProtocolError: never any other error type, never a hang (the test timeout is the guard).
 * What does decode must also re-encode and decode to the same value.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, messageToJson, WsmanProtocolError, type Message } from '../../src/core/index.js';
import { allRecordedEnvelopes } from '../helpers/fixtures.js';

const RUNS = Number(process.env.FC_RUNS ?? 2000);
const recorded = allRecordedEnvelopes().map((e) => ({ id: e.id, role: e.role, bytes: Buffer.from(e.xml, 'utf8') }));
const envelopeArb = fc.constantFrom(...recorded);

/** Fragments that make XML interesting when dropped in at random. */
const NASTY = ['<', '>', '&', '"', "'", '</', '/>', '<!--', '-->', '<![CDATA[', ']]>', '<!DOCTYPE x [<!ENTITY e "x">]>', '&e;', '&#0;', '&#x41;',
  '&amp;', 'xmlns:s="urn:x"', 'xmlns=""', ' s:mustUnderstand="true"', '<s:Body>', '</s:Body>', '<rsp:Stream Name="stdout">', '====', 'PT-1S', '-1',
  '99999999999999999999', '\u0000', '\ufeff', '\ud800', '\r\n', '<?xml version="1.0"?>', '<a:', ':', '=', 'End="maybe"', 'State=""'];

type Mutation =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'splice'; at: number; from: number; len: number; donor: number };

const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: frac.map((f) => f), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: frac, text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 })) }),
  fc.record({ op: fc.constant('delete' as const), at: frac, len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: frac }),
  fc.record({ op: fc.constant('splice' as const), at: frac, from: frac, len: fc.integer({ min: 1, max: 200 }), donor: fc.nat({ max: recorded.length - 1 }) }),
) as fc.Arbitrary<Mutation>;

function mutate(b: Buffer, m: Mutation): Buffer {
  const at = Math.floor(m.at * b.length);
  switch (m.op) {
    case 'flip': {
      const c = Buffer.from(b);
      c[at] = m.byte;
      return c;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text, 'utf8'), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    case 'truncate':
      return b.subarray(0, at);
    case 'splice': {
      const donor = recorded[m.donor]!.bytes;
      const from = Math.floor(m.from * donor.length);
      return Buffer.concat([b.subarray(0, at), donor.subarray(from, from + m.len), b.subarray(at)]);
    }
  }
}

/** Decode; return the message or undefined for a WsmanProtocolError; rethrow anything else. */
function decodeOrRefuse(bytes: Buffer): Message | undefined {
  try {
    return decodeMessage(bytes);
  } catch (err) {
    if (err instanceof WsmanProtocolError) return undefined;
    throw new Error(`decode threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
  }
}

describe('mutated recorded envelopes', () => {
  it('decode or throw WsmanProtocolError after 1 to 4 mutations', { timeout: 30_000 }, () => {
    let decoded = 0;
    let refused = 0;
    fc.assert(
      fc.property(envelopeArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (env, muts) => {
        const bytes = muts.reduce(mutate, env.bytes);
        if (decodeOrRefuse(bytes) === undefined) refused++;
        else decoded++;
      }),
      { numRuns: RUNS },
    );
    // both outcomes happen: the mutations are neither all fatal nor all harmless
    expect(decoded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('what decodes after a mutation re-encodes and decodes to the same value', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(envelopeArb, mutationArb, (env, mut) => {
        const m = decodeOrRefuse(mutate(env.bytes, mut));
        if (!m || m.body.kind === 'Unknown') return;
        const writable: Message = { headers: { ...m.headers, unknown: undefined }, body: m.body };
        if ((writable.body.kind === 'EnumerateResponse' || writable.body.kind === 'PullResponse') && writable.body.items?.some((i) => i.kind === 'Unknown')) return;
        delete writable.headers.unknown;
        const again = decodeMessage(encodeMessage(writable, env.role));
        expect(messageToJson(again)).toEqual(messageToJson(writable));
      }),
      { numRuns: RUNS },
    );
  });

  it('every truncation of one envelope decodes or throws WsmanProtocolError', { timeout: 30_000 }, () => {
    const env = recorded.find((r) => r.id.includes('test_winrs_stderr_rc.yml#2 response'))!.bytes;
    let ok = 0;
    for (let n = 0; n <= env.length; n++) if (decodeOrRefuse(env.subarray(0, n))) ok++;
    expect(ok).toBe(1); // only the whole envelope is well-formed
  });

  it('the harness notices a non-protocol error', () => {
    expect(() => decodeOrRefuse(null as unknown as Buffer)).toThrow(/decode threw/);
  });
});
