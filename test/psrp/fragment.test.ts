/** Fragments (MS-PSRP 2.2.4): layout, fragmenting, and the defragmenter under any chunking. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Defragmenter, decodeFragments, encodeFragment, fragmentBytes, fragmentMessage, FRAGMENT_HEADER_SIZE, type DefragmentedMessage,
} from '../../src/psrp/fragment.js';
import { PsrpProtocolError } from '../../src/psrp/errors.js';
import { WsmanUsageError } from '../../src/core/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Cut bytes at the given (sorted, deduplicated) offsets. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe('fragment layout', () => {
  it('big-endian header, flags start=1 end=2', () => {
    const f = encodeFragment({ objectId: 1n, fragmentId: 2n, start: true, end: false, blob: new Uint8Array([0xaa, 0xbb]) });
    expect(hex(f)).toBe('0000000000000001' + '0000000000000002' + '01' + '00000002' + 'aabb');
    expect(decodeFragments(f)).toEqual([{ objectId: 1n, fragmentId: 2n, start: true, end: false, blob: new Uint8Array([0xaa, 0xbb]) }]);
  });
  it('a message is cut to the fragment size, header included; an empty message is one fragment', () => {
    const frags = fragmentMessage(7n, new Uint8Array(50), FRAGMENT_HEADER_SIZE + 20);
    expect(frags.map((f) => [f.fragmentId, f.start, f.end, f.blob.length])).toEqual([[0n, true, false, 20], [1n, false, false, 20], [2n, false, true, 10]]);
    expect(fragmentMessage(1n, new Uint8Array(0), 100).map((f) => [f.start, f.end, f.blob.length])).toEqual([[true, true, 0]]);
    expect(() => fragmentMessage(1n, new Uint8Array(1), FRAGMENT_HEADER_SIZE)).toThrow(WsmanUsageError);
  });
});

describe('defragmenter', () => {
  const message = fc.tuple(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 300 }));
  it('fragment -> defragment is the identity for random messages, sizes and chunking (interleaved objects too)', () => {
    fc.assert(fc.property(
      fc.uniqueArray(message, { maxLength: 6, selector: ([id]) => id }),
      fc.integer({ min: FRAGMENT_HEADER_SIZE + 1, max: 120 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.boolean(),
      (msgs, size, cuts, interleave) => {
        const frags = msgs.map(([id, data]) => fragmentMessage(id, data, size));
        const order = interleave ? frags.flatMap((fs, i) => fs.map((f, j) => ({ f, k: j * 10 + i }))).sort((a, b) => a.k - b.k).map((x) => x.f) : frags.flat();
        const bytes = Buffer.concat(order.map(encodeFragment));
        const d = new Defragmenter();
        const out: DefragmentedMessage[] = [];
        for (const c of chunked(bytes, cuts)) out.push(...d.push(c));
        expect(new Map(out.map((m) => [m.objectId, hex(m.data)]))).toEqual(new Map(msgs.map(([id, data]) => [id, hex(data)])));
        expect(out).toHaveLength(msgs.length);
        expect(d.idle).toBe(true);
      },
    ), { numRuns: 500 });
  });
  it('fragmentBytes of one message reads back in one push', () => {
    const data = new Uint8Array(1000).map((_, i) => i);
    expect(new Defragmenter().push(fragmentBytes(5n, data, 64))).toEqual([{ objectId: 5n, data }]);
  });
  it('a partial fragment waits for the rest', () => {
    const bytes = fragmentBytes(1n, new Uint8Array([1, 2, 3]), 100);
    const d = new Defragmenter();
    expect(d.push(bytes.subarray(0, 10))).toEqual([]);
    expect(d.push(bytes.subarray(10, 22))).toEqual([]);
    expect(d.idle).toBe(false);
    expect(d.push(bytes.subarray(22))).toEqual([{ objectId: 1n, data: new Uint8Array([1, 2, 3]) }]);
  });
  const frag = (objectId: bigint, fragmentId: bigint, start: boolean, end: boolean, n = 1): Uint8Array =>
    encodeFragment({ objectId, fragmentId, start, end, blob: new Uint8Array(n) });
  it.each([
    ['a middle fragment without a start', [frag(1n, 1n, false, true)]],
    ['a start that is not fragment 0', [frag(1n, 3n, true, true)]],
    ['a gap in FragmentIds', [frag(1n, 0n, true, false), frag(1n, 2n, false, true)]],
    ['a second start of the same object', [frag(1n, 0n, true, false), frag(1n, 0n, true, false)]],
    ['unknown flag bits', [Uint8Array.from([...frag(1n, 0n, true, true).subarray(0, 16), 0x07, ...frag(1n, 0n, true, true).subarray(17)])]],
  ])('%s is ERR_PSRP_FRAGMENT, and the stream is refused after', (_name, chunks) => {
    const d = new Defragmenter();
    expect(() => chunks.forEach((c) => d.push(c))).toThrow(expect.objectContaining({ code: 'ERR_PSRP_FRAGMENT' }));
    expect(() => d.push(frag(9n, 0n, true, true))).toThrow(PsrpProtocolError);
  });
  it('quotas: message size (also a declared blob length) and pending messages', () => {
    const d = new Defragmenter({ maxMessageBytes: 100 });
    expect(() => d.push(Buffer.concat([frag(1n, 0n, true, false, 60), frag(1n, 1n, false, true, 60)]))).toThrow(expect.objectContaining({ code: 'ERR_PSRP_LIMIT' }));
    const header = frag(1n, 0n, true, true, 0);
    new DataView(header.buffer).setUint32(17, 0xffffffff);
    expect(() => new Defragmenter({ maxMessageBytes: 100 }).push(header)).toThrow(expect.objectContaining({ code: 'ERR_PSRP_LIMIT' }));
    const p = new Defragmenter({ maxPending: 3 });
    expect(() => [1n, 2n, 3n, 4n].forEach((id) => p.push(frag(id, 0n, true, false)))).toThrow(expect.objectContaining({ code: 'ERR_PSRP_LIMIT' }));
  });
  it('fuzz: garbage gives a PsrpProtocolError or waits, never anything else', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 6 }), (chunks) => {
      const d = new Defragmenter({ maxMessageBytes: 4096 });
      try {
        for (const c of chunks) d.push(c);
      } catch (err) {
        expect(err).toBeInstanceOf(PsrpProtocolError);
      }
    }), { numRuns: 2000 });
  });
});
