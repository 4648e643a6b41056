/** Log lines: the default writer batches lines per event-loop turn, keeps their order, writes an error at once; secret-looking fields never appear. */
import { describe, it, expect } from 'vitest';
import { createLogger, batchedWriter } from '../../src/server/log.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('batchedWriter', () => {
  it('hands the lines of one turn to the output in one call, in order', async () => {
    const calls: string[] = [];
    const log = createLogger('info', batchedWriter((c) => calls.push(c)));
    for (let i = 0; i < 5; i++) log.log('info', 'request', { n: i });
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    log.log('info', 'request', { n: 5 });
    await turn();
    expect(calls).toHaveLength(2);
  });

  it('writes an error line at once, after the lines before it', () => {
    const calls: string[] = [];
    const log = createLogger('info', batchedWriter((c) => calls.push(c)));
    log.log('info', 'first');
    log.log('error', 'broken');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['first', 'broken']);
  });

  it('flush() writes what waits; nothing is written twice', async () => {
    const calls: string[] = [];
    const w = batchedWriter((c) => calls.push(c));
    w('a\n');
    w.flush();
    await turn();
    expect(calls).toEqual(['a\n']);
  });
});

describe('createLogger', () => {
  it('drops secret-looking fields and undefined values, every time, and respects the level', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    for (let i = 0; i < 2; i++) log.log('info', 'x', { user: 'alice', password: 'p', apiKey: 'k', shellId: undefined, status: 200 });
    log.log('debug', 'hidden');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      const rec = JSON.parse(l) as Record<string, unknown>;
      expect(Object.keys(rec)).toEqual(['time', 'level', 'msg', 'user', 'status']);
      expect(rec.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });
});
