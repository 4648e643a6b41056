/** Random envelopes built from arbitrary field values round-trip: decode(encode(m)) equals m. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/core/index.js';
import { messageArb, roleArb, headersArb, bodyArb } from './arbitraries.js';

describe('round trip of random messages', () => {
  it('decode(encode(m)) equals m for random headers and bodies of every family, both roles', { timeout: 20_000 }, () => {
    fc.assert(
      fc.property(messageArb, roleArb, (m, role) => {
        // RelatesTo and p:ActivityId (Windows' diagnostics id) are response headers: requests never carry them
        const expected = role === 'request' ? { ...m, headers: { ...m.headers, activityId: undefined, relatesTo: undefined } } : m;
        expect(decodeMessage(encodeMessage(m, role))).toEqual(expected);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 1500) },
    );
  });

  it('the body generator reaches every family', () => {
    const kinds = new Set(fc.sample(bodyArb, 3000).map((b) => b.kind));
    expect(kinds.size).toBe(24);
  });

  it('the header generator produces every modelled header', () => {
    const seen = new Set(fc.sample(headersArb, 500).flatMap((h) => Object.keys(h)));
    for (const k of ['to', 'replyTo', 'action', 'messageId', 'relatesTo', 'resourceUri', 'maxEnvelopeSize', 'operationTimeout', 'locale', 'dataLocale', 'sessionId', 'selectors', 'options', 'operationId', 'sequenceId', 'activityId', 'compressionType']) {
      expect(seen.has(k), k).toBe(true);
    }
  });
});
