/**
 * Bounded PSRP streams: a pipeline stream holds at most its capacity unread, the transport's event
 * queue at most its high-water mark, and then receiving stops (pwsh -s: its stdout is no longer
 * read, so its pipeline blocks; WS-Man: no next Receive) until the consumer reads; nothing is lost.
 */
import { describe, expect, it, vi } from 'vitest';
import { Channel } from '../../src/client/psrp/channel.js';
import { EventQueue } from '../../src/client/psrp/transport.js';
import type { OutOfProcessRunspace } from '../../src/client/psrp/outofproc.js';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { ClientRunspacePool } from '../../src/psrp/pool.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';

const env = { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('Channel', () => {
  it('is full at its capacity; room() waits until a read frees a place', async () => {
    const c = new Channel<number>(2);
    c.push(1);
    expect(c.full).toBe(false);
    c.push(2);
    expect(c.full).toBe(true);
    let roomy = false;
    const room = c.room().then(() => (roomy = true));
    await Promise.resolve();
    expect(roomy).toBe(false);
    const it = c[Symbol.asyncIterator]();
    expect(await take(it, 1)).toEqual([1]);
    await room;
    expect(roomy).toBe(true);
    c.push(3);
    c.end();
    expect(await take(it, 5)).toEqual([2, 3]);
  });

  it('dropOldest never waits: it keeps the newest items', async () => {
    const c = new Channel<number>(2, true);
    for (let i = 1; i <= 5; i++) c.push(i);
    expect(c.full).toBe(false);
    c.end();
    expect(await take(c[Symbol.asyncIterator](), 5)).toEqual([4, 5]);
  });

  it('a reader that breaks out releases the writer; later items are dropped', async () => {
    const c = new Channel<number>(1);
    c.push(1);
    const waiting = c.room();
    for await (const x of c) {
      expect(x).toBe(1);
      break;
    }
    await waiting;
    c.push(2);
    expect([c.size, c.full]).toEqual([0, false]);
  });
});

describe('EventQueue', () => {
  it('whenRoom() waits at the high-water mark and resolves once an event is taken', async () => {
    const q = new EventQueue(2);
    const pool = new ClientRunspacePool({ rpid: '00000000-0000-0000-0000-000000000001' });
    pool.open(); // queues a PoolState event
    q.drain(pool);
    expect(q.size).toBe(1);
    await q.whenRoom();
    (pool as unknown as { emit(e: unknown): void }).emit({ type: 'PoolState', state: 'Opened' });
    q.drain(pool);
    expect(q.size).toBe(2);
    let roomy = false;
    const room = q.whenRoom().then(() => (roomy = true));
    await Promise.resolve();
    expect(roomy).toBe(false);
    await q.next();
    await room;
    expect(roomy).toBe(true);
  });

  it('a failed queue never holds a writer', async () => {
    const q = new EventQueue(0);
    q.fail(new Error('gone'));
    await q.whenRoom();
  });
});

describe.skipIf(!PWSH)(`backpressure against pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('an unread output stream stops reading pwsh (its pipeline waits); reading then gets every object in order', async () => {
    const pool = await RunspacePool.open({ outOfProcess: { executable: PWSH!, env, highWater: 20 } }, { streamCapacity: 5 });
    try {
      const transport = pool.transport as OutOfProcessRunspace;
      const s = await PowerShell.create(pool).addScript('1..3000 | ForEach-Object { "item $_" }').beginInvoke();
      let ended = false;
      void s.completion.then(() => (ended = true));
      await vi.waitFor(() => expect(transport.paused).toBe(true), { timeout: 30_000, interval: 20 });
      const output = s.output as Channel<unknown>;
      expect(output.size).toBe(5);
      expect(transport.queued).toBeLessThan(1000); // the high-water mark plus at most one read's worth of packets
      expect(ended).toBe(false);
      const got: unknown[] = [];
      for await (const v of s.output) got.push(v);
      expect(got).toHaveLength(3000);
      expect(got[0]).toBe('item 1');
      expect(got[2999]).toBe('item 3000');
      expect((await s.completion).state).toBe('Completed');
      expect(transport.paused).toBe(false);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
