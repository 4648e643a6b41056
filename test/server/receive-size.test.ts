/**
 * Receive answers fit the request's MaxEnvelopeSize whatever its MessageID and SequenceId look
 * like (their lengths, escapes, the digits of the SequenceId): the size of the envelope around the
 * data is worked out once per such shape for the whole listener and reused only while those stay
 * alike (handlers/receive.ts), so the Receives here change them on every call.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { startListener, TestShell, type TestListener } from './helpers.js';

let t: TestListener;
beforeAll(async () => { t = await startListener(); });
afterAll(async () => { await t.stop(); });

const LIMIT = 16384;
/** MessageIDs of other lengths, and with characters XML escapes. */
const IDS = [() => `uuid:${randomUUID()}`, () => 'urn:x', () => `uuid:${randomUUID()}-${'x'.repeat(700)}`, () => `urn:${'a&b<c>"d"'.repeat(40)}-${randomUUID()}`];

describe('Receive answers fit MaxEnvelopeSize as MessageIDs and SequenceIds change', () => {
  it(`1 MB of output at MaxEnvelopeSize ${LIMIT}: every answer fits, none is a fault, all bytes arrive in order`, async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('head -c 1000000 /dev/urandom | tee /tmp/.wsman-rsize.$$ | sha256sum >&2; cat /tmp/.wsman-rsize.$$; rm -f /tmp/.wsman-rsize.$$');
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    let largest = 0;
    let answers = 0;
    for (let seq = 1; ; seq++) {
      const r = await sh.receive(id, { maxEnvelopeSize: LIMIT, messageId: IDS[seq % IDS.length]!() }, seq ** 3);
      if (r.status !== 200) throw new Error(`seq ${seq}: HTTP ${r.status}: ${r.raw.slice(0, 1500)}`);
      if (r.msg.body.kind !== 'ReceiveResponse') throw new Error(`not a ReceiveResponse: ${r.raw.slice(0, 300)}`);
      largest = Math.max(largest, Buffer.byteLength(r.raw));
      answers++;
      for (const s of r.msg.body.streams) {
        if (s.name === 'stdout') {
          hash.update(s.data);
          bytes += s.data.length;
        } else stderr += s.data.toString();
      }
      if (r.msg.body.commandState?.state === 'Done') break;
    }
    await sh.delete();
    expect(largest).toBeLessThanOrEqual(LIMIT);
    expect(answers).toBeGreaterThan(1_000_000 / LIMIT);
    expect(bytes).toBe(1_000_000);
    expect(stderr.split(' ')[0]).toBe(hash.digest('hex'));
  }, 120_000);
});
