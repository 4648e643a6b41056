/**
 * The bulk fast path (src/core/messages/bulk.ts) against the full parser: on every recorded
 * message, on generated messages and on mutations of their streams (whitespace, URL-safe letters,
 * inner padding, entities, CR, comments, a '>' in an attribute), the fast decode either steps
 * aside or gives exactly what the full decode gives; decodeMessage (fast path first) always gives
 * what the full decode gives, error for error. encodeMessageBytes gives the bytes of encodeMessage.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Action, decodeBulkMessage, decodeMessage, decodeMessageFull, encodeMessage, encodeMessageBytes, type Message } from '../../src/core/index.js';
import { plainBase64Bytes } from '../../src/core/messages/bulk.js';
import { decodeBase64 } from '../../src/core/messages/common.js';
import { allRecordedEnvelopes } from '../helpers/fixtures.js';
import { headersArb, messageArb, roleArb } from './arbitraries.js';

type Outcome = { ok: true; m: Message } | { ok: false; code: string };

function full(bytes: Buffer): Outcome {
  try {
    return { ok: true, m: decodeMessageFull(bytes) };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? 'thrown' };
  }
}

function viaDecodeMessage(bytes: Buffer): Outcome {
  try {
    return { ok: true, m: decodeMessage(bytes) };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? 'thrown' };
  }
}

/** The fast path with every stream of at least 4 characters lifted, held to the full decode. */
function agrees(bytes: Buffer): { lifted: boolean } {
  const reference = full(bytes);
  const fast = decodeBulkMessage(bytes, undefined, undefined, undefined, 4);
  // isDeepStrictEqual: vitest's deep equality walks Buffers a byte at a time (minutes here).
  if (fast !== undefined) expect(reference.ok && isDeepStrictEqual(fast, reference.m)).toBe(true);
  expect(isDeepStrictEqual(viaDecodeMessage(bytes), reference)).toBe(true);
  return { lifted: fast !== undefined };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('bulk codec fast path', () => {
  it('agrees with the full parser on every recorded message, and lifts the recorded streams', () => {
    let lifted = 0;
    let bulky = 0;
    for (const e of allRecordedEnvelopes()) {
      const bytes = Buffer.from(e.xml, 'utf8');
      if (agrees(bytes).lifted) lifted++;
      const r = full(bytes);
      if (r.ok && (r.m.body.kind === 'ReceiveResponse' || r.m.body.kind === 'Send') && r.m.body.streams.some((c) => c.data.length > 0)) bulky++;
    }
    expect(bulky).toBeGreaterThan(20);
    expect(lifted).toBe(bulky);
  });

  it('agrees with the full parser on generated messages and encodes them to the same bytes', () => {
    fc.assert(fc.property(messageArb, roleArb, (m, role) => {
      const bytes = encodeMessageBytes(m, role);
      expect(bytes.equals(Buffer.from(encodeMessage(m, role), 'utf8'))).toBe(true);
      agrees(bytes);
    }), { numRuns: 300 });
  });

  const data = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => Buffer.from(a));
  const bulkMessage: fc.Arbitrary<Message> = fc.record({
    headers: headersArb,
    kind: fc.constantFrom('ReceiveResponse' as const, 'Send' as const),
    streams: fc.array(fc.record({ name: fc.constantFrom('stdout', 'stderr', 'stdin', 'pr"s>'), end: fc.option(fc.boolean(), { nil: undefined }), data }), { maxLength: 4 }),
  }).map(({ headers, kind, streams }) => ({
    headers: { ...headers, action: kind === 'Send' ? Action.Send : Action.ReceiveResponse },
    body: { kind, streams: streams.map((s) => ({ name: s.name, commandId: 'C0FFEE', data: s.data, ...(s.end === undefined ? {} : { end: s.end }) })) },
  }) as Message);
  /** Edits of the envelope text near and inside stream content. */
  const mutation = fc.constantFrom(' ', '\n', '\r\n', '-', '_', '=', '==', '&#65;', '&amp;', '<!-- c -->', '<![CDATA[QUFB]]>', '<x/>', '\u00e9', 'A', '@', '\t');

  it('agrees with the full parser on mutated bulk envelopes', () => {
    fc.assert(fc.property(bulkMessage, roleArb, fc.array(fc.tuple(fc.nat(), mutation), { maxLength: 3 }), (m, role, edits) => {
      let xml = encodeMessage(m, role);
      for (const [at, what] of edits) {
        // Aim inside or next to stream content most of the time.
        const anchors = [...xml.matchAll(/<rsp:Stream[^>]*>/g)].map((x) => x.index + x[0].length);
        const pos = anchors.length && at % 3 !== 0 ? Math.min(xml.length, anchors[at % anchors.length]! + (at % 17)) : at % (xml.length + 1);
        xml = xml.slice(0, pos) + what + xml.slice(pos);
      }
      agrees(Buffer.from(xml, 'utf8'));
    }), { numRuns: 500 });
  });

  it('applies at its default threshold to a 200 KB stream, and agrees with the full decode', () => {
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    const m: Message = { headers: { action: Action.ReceiveResponse, messageId: 'uuid:1' }, body: { kind: 'ReceiveResponse', streams: [{ name: 'stdout', commandId: 'C', data: big }, { name: 'stdout', commandId: 'C', end: true, data: Buffer.alloc(0) }], commandState: { commandId: 'C', state: 'Done', exitCode: 0 } } };
    const bytes = encodeMessageBytes(m, 'response');
    expect(bytes.equals(Buffer.from(encodeMessage(m, 'response')))).toBe(true);
    const fast = decodeBulkMessage(bytes);
    expect(fast).toBeDefined();
    expect(isDeepStrictEqual(fast, decodeMessageFull(bytes))).toBe(true);
  });

  it('checks base64 as strictly as decodeBase64, without a per-character loop', () => {
    const text = fc.array(fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...B64) },
      { weight: 1, arbitrary: fc.constantFrom('=', '-', '_', ' ', '\n', '\r', '\t', '.', '\u00ff', '*', '%') },
    ), { maxLength: 40 }).map((cs) => cs.join(''));
    fc.assert(fc.property(text, (s) => {
      const buf = Buffer.from(`<${s}>`, 'latin1');
      const fast = plainBase64Bytes(buf, 1, buf.length - 1);
      let strict: Buffer | undefined;
      try {
        strict = decodeBase64(s, 'x');
      } catch {
        strict = undefined;
      }
      if (fast !== undefined) expect(fast).toStrictEqual(strict);
      // Plain base64 (no whitespace) always takes the fast check.
      if (strict !== undefined && !/\s/.test(s)) expect(fast).toStrictEqual(strict);
    }), { numRuns: 3000 });
  });
});
