/**
 * The pwsh backend's fragment scanner (backends/psrp-scan.ts): it finds the terminal
 * PIPELINE_STATE however pwsh's output is cut, ignores other messages and non-terminal states,
 * and holds nothing for a stream that is not PSRP.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeTyped, encodeTyped, fragmentBytes, Destination, type TypedMessage } from '../../src/psrp/index.js';
import { FragmentScanner } from '../../src/server/backends/psrp-scan.js';

const RPID = '11111111-2222-3333-4444-555555555555';
const PID = '66666666-7777-8888-9999-000000000000';

function message(m: TypedMessage, objectId: bigint, maxFragment: number): Uint8Array {
  return fragmentBytes(objectId, encodeTyped(m, { destination: Destination.Client, rpid: RPID, pid: PID }), maxFragment);
}

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out.filter((c) => c.length > 0);
}

describe('FragmentScanner', () => {
  it('reports a terminal PIPELINE_STATE exactly when its last byte arrives, however the stream is cut (property)', () => {
    fc.assert(fc.property(
      fc.constantFrom(3, 4, 5), fc.integer({ min: 30, max: 400 }), fc.array(fc.nat(), { maxLength: 12 }), fc.string({ maxLength: 300 }),
      (state, maxFragment, points, text) => {
        const output = message({ type: 'PIPELINE_OUTPUT', value: text }, 1n, maxFragment);
        const running = message({ type: 'PIPELINE_STATE', pipelineState: 1 }, 2n, maxFragment);
        const final = message({ type: 'PIPELINE_STATE', pipelineState: state }, 3n, maxFragment);
        const all = Buffer.concat([output, running, final]);
        const s = new FragmentScanner();
        const results = cut(all, points).map((c) => s.push(c).terminal);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(results[results.length - 1]).toBe(true);
      },
    ), { numRuns: 200 });
  });

  it('does not report Running, NotStarted or an output object that merely mentions PipelineState', () => {
    const s = new FragmentScanner();
    expect(s.push(message({ type: 'PIPELINE_STATE', pipelineState: 1 }, 1n, 32768)).terminal).toBe(false);
    expect(s.push(message({ type: 'PIPELINE_OUTPUT', value: '<I32 N="PipelineState">4</I32>' }, 2n, 32768)).terminal).toBe(false);
  });

  it('gives up on a stream whose fragment claims more than 1 MB, holding nothing of it', () => {
    const s = new FragmentScanner();
    const header = Buffer.alloc(21);
    header.writeBigUInt64BE(1n, 0);
    header.writeUInt8(3, 16);
    header.writeUInt32BE(0xfffffff0, 17);
    expect(s.push(header).terminal).toBe(false);
    for (let i = 0; i < 10; i++) s.push(new Uint8Array(100_000));
    expect((s as unknown as { partial: Buffer }).partial.length).toBe(0);
    // Even a real terminal state after that is not trusted any more.
    expect(s.push(message({ type: 'PIPELINE_STATE', pipelineState: 4 }, 2n, 32768)).terminal).toBe(false);
  });

  it('hands on whole fragments only, each marked when it ends a message, in order, however the stream is cut (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 30, max: 300 }), fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.string({ maxLength: 200 }), { minLength: 1, maxLength: 4 }),
      (maxFragment, points, texts) => {
        const fragments = texts.map((t, i) => message({ type: 'PIPELINE_OUTPUT', value: t }, BigInt(i + 1), maxFragment));
        const all = Buffer.concat(fragments);
        const s = new FragmentScanner();
        const pieces = cut(all, points).flatMap((c) => s.push(c).pieces);
        expect(Buffer.concat(pieces.map((p) => p.data)).equals(all)).toBe(true);
        for (const p of pieces) {
          expect(p.data.readUInt32BE(17)).toBe(p.data.length - 21); // exactly one fragment
          expect(p.end).toBe((p.data.readUInt8(16) & 2) !== 0);
        }
        expect(pieces.filter((p) => p.end)).toHaveLength(texts.length);
      },
    ), { numRuns: 200 });
  });

  it('captures whole messages of the asked types (a pool\'s SESSION_CAPABILITY), and only those', () => {
    const s = new FragmentScanner(new Set([0x00010002]));
    const cap = message({ type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' }, 1n, 50);
    const out = message({ type: 'PIPELINE_OUTPUT', value: 'x' }, 2n, 50);
    const r = s.push(Buffer.concat([cap, out]));
    expect(r.captured).toHaveLength(1);
    expect(decodeTyped(new Uint8Array(r.captured[0]!.message)).message).toMatchObject({ type: 'SESSION_CAPABILITY', protocolVersion: '2.3' });
  });
});
