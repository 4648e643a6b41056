/** Rc4.prefill: key stream generated ahead changes no output, whatever the interleaving (issue 20). */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { Rc4, RESERVOIR_MAX, RESERVOIRS_MAX, reservoirBytes } from '../../src/auth/crypto/rc4.js';
import { xorInto } from '../../src/auth/crypto/xor.js';
import { rc4Reference } from './rc4-reference.js';

type Op = { kind: 'update'; n: number; offset: number; inPlace: boolean } | { kind: 'prefill'; target: number; most: number } | { kind: 'clone' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('update' as const), n: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 4000, max: 40_000 })), offset: fc.integer({ min: 0, max: 3 }), inPlace: fc.boolean() }),
  fc.record({ kind: fc.constant('prefill' as const), target: fc.integer({ min: 0, max: 60_000 }), most: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 70_000 })) }),
  fc.record({ kind: fc.constant('clone' as const) }),
);

describe('Rc4.prefill (key stream ahead)', () => {
  it('any interleaving of prefill, update (any size, offset, in place or not) and clone/restore gives textbook RC4', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.array(op, { maxLength: 12 }), (key, ops) => {
      const ours = new Rc4(key);
      const ref = rc4Reference(key);
      for (const o of ops) {
        if (o.kind === 'prefill') {
          const before = ours.ahead;
          const left = ours.prefill(o.target, o.most);
          const want = Math.min(o.target, RESERVOIR_MAX);
          expect(ours.ahead).toBe(Math.max(before, Math.min(want, before + o.most)));
          expect(left).toBe(Math.max(0, want - ours.ahead));
        } else if (o.kind === 'clone') {
          // A clone carries the key stream ahead: restoring it replays the same bytes.
          const saved = ours.clone();
          const probe = randomBytes(100);
          const a = ours.update(probe);
          ours.restore(saved);
          expect(Buffer.from(ours.update(probe))).toEqual(Buffer.from(a));
          expect(Buffer.from(a)).toEqual(Buffer.from(ref(probe)));
        } else {
          const data = randomBytes(o.n);
          const backing = new Uint8Array(o.n + 8);
          const view = backing.subarray(o.offset, o.offset + o.n);
          view.set(data);
          const got = o.inPlace ? ours.update(view, view) : ours.update(view, new Uint8Array(o.n + 5).subarray(1 + (o.offset & 1), 1 + (o.offset & 1) + o.n));
          expect(Buffer.from(got)).toEqual(Buffer.from(ref(data)));
        }
      }
    }), { numRuns: 60 });
  });

  it('update uses the bytes generated ahead first, once each (a reservoir used twice or skipped is caught)', () => {
    const key = randomBytes(16);
    const a = new Rc4(key);
    const b = new Rc4(key);
    b.prefill(100_000);
    expect(b.ahead).toBe(100_000);
    const zeros = new Uint8Array(150_000);
    // All key stream: reservoir bytes then fresh ones, same as without the reservoir.
    expect(Buffer.from(b.update(zeros))).toEqual(Buffer.from(a.update(zeros)));
    expect(b.ahead).toBe(0);
    // A prefill never produces bytes twice: the next key stream differs from the last.
    b.prefill(1000);
    const next = b.update(new Uint8Array(1000));
    expect(Buffer.from(next)).toEqual(Buffer.from(a.update(new Uint8Array(1000))));
    expect(Buffer.from(next)).not.toEqual(Buffer.from(zeros.subarray(0, 1000)));
  });

  it('keeps at most RESERVOIR_MAX bytes ahead', () => {
    const r = new Rc4(randomBytes(8));
    expect(r.prefill(RESERVOIR_MAX * 4)).toBe(0);
    expect(r.ahead).toBe(RESERVOIR_MAX);
  });

  it('all handles together hold at most RESERVOIRS_MAX ahead (a listener with many sealed connections); past it prefill does nothing and output is unchanged', () => {
    const start = reservoirBytes();
    const handles: Rc4[] = [];
    const twins: Rc4[] = [];
    let refused = 0;
    for (let k = 0; k < (RESERVOIRS_MAX / RESERVOIR_MAX) + 8; k++) {
      const key = randomBytes(16);
      const h = new Rc4(key);
      const before = reservoirBytes();
      const left = h.prefill(RESERVOIR_MAX);
      if (h.ahead === 0) {
        refused++;
        expect(left, 'nothing left to do once refused (a prefill loop ends)').toBe(0);
        expect(reservoirBytes()).toBe(before);
      }
      expect(reservoirBytes()).toBeLessThanOrEqual(Math.max(RESERVOIRS_MAX, start));
      handles.push(h);
      twins.push(new Rc4(key));
    }
    expect(refused).toBeGreaterThanOrEqual(8);
    // With a reservoir or without, each handle gives textbook output.
    const probe = randomBytes(RESERVOIR_MAX + 100);
    for (let k = 0; k < handles.length; k += 9) expect(Buffer.from(handles[k]!.update(probe))).toEqual(Buffer.from(twins[k]!.update(probe)));
    // A clone counts its copy too (the key stream ahead is part of the state, so it is always made).
    const held = reservoirBytes();
    const withAhead = handles.find((h) => h.ahead > 0)!;
    const copy = withAhead.clone();
    expect(reservoirBytes()).toBe(held + copy.ahead);
  });

  it('xorInto xors at every alignment of output and keys', () => {
    for (let oo = 0; oo < 4; oo++) for (let ko = 0; ko < 4; ko++) for (const n of [0, 1, 5, 77, 4096 + 3]) {
      const out = randomBytes(n + 8).subarray(oo, oo + n);
      const keys = randomBytes(n + 8).subarray(ko, ko + n);
      const want = out.map((b, k) => b ^ keys[k]!);
      xorInto(out, keys);
      expect(Buffer.from(out)).toEqual(Buffer.from(want));
    }
  });
});
