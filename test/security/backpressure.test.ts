/**
 * Issue 15, Send backpressure: a command that does not read its input cannot make the listener
 * queue unbounded stdin. A Send is answered once its bytes are in the pipe or fewer than
 * STDIN_QUEUE_BYTES wait; past that it waits up to its OperationTimeout and gets w:TimedOut with
 * none of its bytes written. A command that reads slowly gets every byte once, in order.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI } from '../../src/core/index.js';
import { STDIN_QUEUE_BYTES } from '../../src/server/command.js';
import { startListener, call, faultCode, TestShell, type TestListener } from '../server/helpers.js';

const KB = 1024;
const CHUNK = 370 * KB;

let t: TestListener;
beforeAll(async () => {
  t = await startListener();
});
afterAll(async () => {
  await t.stop();
});

/** A Send of `data` with its own OperationTimeout. */
function send(sh: TestShell, commandId: string, data: Buffer, operationTimeout: number, end = false) {
  return call(t.url, Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId, data, end }] },
    { selectors: { ShellId: sh.id }, operationTimeout, maxEnvelopeSize: 1024 * KB }, ResourceURI.Cmd, sh.auth);
}

/** Chunk `i` of a stream: its index written over and over, so that a lost, doubled or moved chunk shows. */
function chunk(i: number, size = CHUNK): Buffer {
  const b = Buffer.alloc(size);
  const tag = Buffer.from(`<${String(i).padStart(6, '0')}>`);
  for (let o = 0; o < size; o += tag.length) tag.copy(b, o);
  return b;
}

describe('Send backpressure', () => {
  it('keeps the stdin queue bounded for a command that never reads, and late Sends get w:TimedOut', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('sleep 30');
    const cmd = t.listener.core.store.get(sh.id)!.command(id)!;
    let accepted = 0;
    const faults: (number | undefined)[] = [];
    // Sequential, then 8 at once: neither gets more queued than the bound.
    for (let i = 0; i < 4; i++) {
      const r = await send(sh, id, chunk(i), 500);
      if (r.msg.body.kind === 'SendResponse') accepted++;
      else faults.push(faultCode(r.msg));
      expect(cmd.stdinQueued).toBeLessThanOrEqual(STDIN_QUEUE_BYTES + CHUNK);
    }
    const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => send(sh, id, chunk(10 + i), 500)));
    for (const r of parallel) {
      if (r.msg.body.kind === 'SendResponse') accepted++;
      else {
        expect(r.status).toBe(500);
        faults.push(faultCode(r.msg));
      }
    }
    expect(cmd.stdinQueued).toBeLessThanOrEqual(STDIN_QUEUE_BYTES + CHUNK);
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(2);
    expect(faults.length).toBe(12 - accepted);
    expect(faults.every((c) => c === 2150858793)).toBe(true);
    await sh.delete();
  });

  it('writes nothing of a Send that timed out, and loses nothing of those it accepted', async () => {
    const sh = await TestShell.create(t.url);
    // Reads nothing for 3 s, then counts every byte until end of input.
    const id = await sh.start('sleep 3; wc -c');
    const done = sh.collect(id);
    let sent = 0;
    let timedOut = 0;
    for (let i = 0; i < 4; i++) {
      const data = chunk(i);
      const r = await send(sh, id, data, 300);
      if (r.msg.body.kind === 'SendResponse') sent += data.length;
      else if (faultCode(r.msg) === 2150858793) timedOut++;
      else throw new Error(r.raw);
    }
    expect(timedOut).toBeGreaterThan(0);
    // After the sleep the process reads again: a Send that waits gets in, then end of input.
    const last = chunk(99, 1000);
    expect((await send(sh, id, last, 20_000, true)).msg.body.kind).toBe('SendResponse');
    sent += last.length;
    const out = await done;
    expect(Number(out.stdout.toString().trim())).toBe(sent);
    await sh.delete();
  });

  it('gives a command that reads slowly every byte exactly once, in order', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('cat');
    const done = sh.collect(id);
    const parts: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const data = chunk(i);
      parts.push(data);
      const r = await send(sh, id, data, 20_000);
      expect(r.msg.body.kind).toBe('SendResponse');
      expect(t.listener.core.store.get(sh.id)!.command(id)!.stdinQueued).toBeLessThanOrEqual(STDIN_QUEUE_BYTES + CHUNK);
    }
    expect((await send(sh, id, Buffer.alloc(0), 20_000, true)).msg.body.kind).toBe('SendResponse');
    const out = await done;
    expect(out.exitCode).toBe(0);
    expect(out.stdout.length).toBe(12 * CHUNK);
    expect(out.stdout.equals(Buffer.concat(parts))).toBe(true);
    await sh.delete();
  });
});
