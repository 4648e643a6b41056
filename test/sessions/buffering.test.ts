/**
 * OutputBufferingMode while disconnected, through the client: Block with a small buffer (256 KiB)
 * suspends the command and loses no byte of 100 MiB (SHA-256 of what is received); Drop keeps the
 * command running and keeps the newest output.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { SessionManager } from '../../src/client/sessions/index.js';
import { enumerateCommands } from '../../src/client/sessions/enumerate.js';
import { startListener, optionsFor, sleep, until, type SessionListener } from './helpers.js';

const BUFFER = 256 * 1024;
let L: SessionListener;
beforeAll(async () => {
  L = await startListener((c) => { c.configurations[0]!.outputBufferBytes = BUFFER; });
});
afterAll(async () => { await L?.stop(); });

const LINE = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-+\n';
const TOTAL = 100 * 1024 * 1024;

/** SHA-256 of the first TOTAL bytes of LINE repeated (what `yes … | head -c` writes). */
function expectedHash(): string {
  const h = createHash('sha256');
  const block = Buffer.from(LINE.repeat(16384));
  let left = TOTAL;
  while (left > 0) {
    const n = Math.min(left, block.length);
    h.update(block.subarray(0, n));
    left -= n;
  }
  return h.digest('hex');
}

describe('buffering while disconnected', () => {
  it('Block: the command waits at the buffer limit and not one byte of 100 MiB is lost', async () => {
    const a = new SessionManager();
    const b = new SessionManager();
    const big = { ...optionsFor(L.url), maxEnvelopeSize: 500 * 1024 };
    try {
      const s = await a.invokeInDisconnectedSession(big, `yes '${LINE.trimEnd()}' | head -c ${TOTAL}`, [], { name: 'block', outputBufferingMode: 'Block' });
      await sleep(800);
      // Suspended, not finished: the pipe is full because the buffer is.
      expect((await enumerateCommands(b.clientFor(big), s.instanceId)).map((c) => c.state)).toEqual(['Running']);
      const [t] = await b.getSessions(big, { instanceId: s.instanceId });
      expect(t!.outputBufferingMode).toBe('Block');
      const h = createHash('sha256');
      let bytes = 0;
      const r = await b.receive(t!, { onData: (st, c) => { if (st === 'stdout') { h.update(c); bytes += c.length; } } });
      expect(r.exitCode).toBe(0);
      expect(bytes).toBe(TOTAL);
      expect(h.digest('hex')).toBe(expectedHash());
      await b.remove(t!);
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);

  it('Drop: the command runs to the end and the newest output is kept', async () => {
    const a = new SessionManager();
    const b = new SessionManager();
    try {
      const s = await a.invokeInDisconnectedSession(optionsFor(L.url), 'seq 1 400000', [], { name: 'drop', outputBufferingMode: 'Drop' });
      await until(async () => (await enumerateCommands(b.clientFor(optionsFor(L.url)), s.instanceId))[0]?.state === 'Done', 10_000, 'Done while disconnected');
      const [t] = await b.getSessions(optionsFor(L.url), { instanceId: s.instanceId });
      let out = '';
      await b.receive(t!, { onData: (_st, c) => { out += c.toString(); } });
      expect(out.endsWith('399999\n400000\n')).toBe(true);
      expect(out.length).toBeLessThanOrEqual(BUFFER);
      expect(out.length).toBeGreaterThan(BUFFER / 2);
      expect(out.startsWith('1\n')).toBe(false);
      await b.remove(t!);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
