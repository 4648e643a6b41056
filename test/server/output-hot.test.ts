/**
 * OutputBuffer (src/server/output.ts), issue 20: the first HOT_BYTES are held as the pipes'
 * Buffers, the rest as strings, and the bytes come out the same, in order; a Block buffer pauses
 * at HOT_BYTES while a reader takes output, and reads on up to its limit when the reader stays away.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import { OutputBuffer, HOT_BYTES, READER_ACTIVE_MS } from '../../src/server/output.js';

afterEach(() => { vi.useRealTimers(); });

function counted(limit = 8 * 1024 * 1024): { out: OutputBuffer; full: () => number; drained: () => number } {
  let full = 0;
  let drained = 0;
  const out = new OutputBuffer('Block', limit, () => { full++; }, () => { drained++; });
  return { out, full: () => full, drained: () => drained };
}

/** Take everything, in envelopes of `chars` base64 characters. */
function takeAll(out: OutputBuffer, chars = 512_000): Buffer {
  const parts: Buffer[] = [];
  while (out.size > 0) for (const c of out.take(chars, 100)) parts.push(c.data);
  return Buffer.concat(parts);
}

describe('OutputBuffer: Buffers while few bytes wait, strings beyond', () => {
  it('gives back every byte in order across the Buffer/string boundary and cut pieces', () => {
    const { out } = counted();
    const pieces = [randomBytes(700_000), randomBytes(200_000), randomBytes(300_000), randomBytes(65_537), randomBytes(3)];
    for (const p of pieces) out.push('stdout', p);
    expect(out.size).toBe(1_265_540);
    // Odd envelope sizes cut Buffers and strings alike.
    expect(takeAll(out, 99_999).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('keeps streams apart when only one is asked for', () => {
    const { out } = counted();
    const a = randomBytes(600_000);
    const b = randomBytes(600_000);
    out.push('stdout', a);
    out.push('stderr', b);
    const got = out.take(2_000_000, 100, new Set(['stderr']));
    expect(new Set(got.map((c) => c.stream))).toEqual(new Set(['stderr']));
    expect(Buffer.concat(got.map((c) => c.data)).equals(b)).toBe(true);
    expect(takeAll(out).equals(a)).toBe(true);
  });
});

describe('OutputBuffer: an active reader pauses the pipes at HOT_BYTES', () => {
  it('pauses past HOT_BYTES after a take, resumes at half of it', () => {
    const { out, full, drained } = counted();
    out.push('stdout', randomBytes(1000));
    out.take(10_000, 100);
    for (let i = 0; i < 5; i++) out.push('stdout', randomBytes(256 * 1024));
    expect(out.size).toBeGreaterThan(HOT_BYTES);
    expect([out.isPaused, full(), drained()]).toEqual([true, 1, 0]);
    while (out.size > HOT_BYTES / 2) out.take(400_000, 100);
    expect([out.isPaused, drained()]).toEqual([false, 1]);
  });

  it('never pauses below the limit when nothing was taken (no reader: buffer up to the limit)', () => {
    const { out, full } = counted();
    for (let i = 0; i < 12; i++) out.push('stdout', randomBytes(256 * 1024));
    expect([out.isPaused, full()]).toEqual([false, 0]);
  });

  it('reads on when the reader stays away for READER_ACTIVE_MS, and pauses again at the limit', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { out, full, drained } = counted(3 * 1024 * 1024);
    out.push('stdout', randomBytes(1000));
    out.take(10_000, 100);
    for (let i = 0; i < 5; i++) out.push('stdout', randomBytes(256 * 1024));
    expect([out.isPaused, full()]).toEqual([true, 1]);
    vi.advanceTimersByTime(READER_ACTIVE_MS + 1);
    expect([out.isPaused, drained()]).toEqual([false, 1]);
    for (let i = 0; i < 8; i++) out.push('stdout', randomBytes(256 * 1024));
    expect([out.isPaused, full()]).toEqual([true, 2]);
  });

  it('a cleared buffer leaves no timer that resumes anything', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { out, drained } = counted();
    out.push('stdout', randomBytes(1000));
    out.take(10_000, 100);
    for (let i = 0; i < 5; i++) out.push('stdout', randomBytes(256 * 1024));
    out.clear();
    vi.advanceTimersByTime(READER_ACTIVE_MS * 4);
    expect(drained()).toBe(0);
  });
});
