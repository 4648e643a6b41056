/**
 * decode(encode(x)) deep-equals x for every message family: from hand-built values, from faults
 * of every FAULT_CODES entry, and from every decoded recorded message.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, faultFromCode, faultAction, messageToJson, FAULT_CODES, type Message, type Body } from '../../src/core/index.js';
import { allRecordedEnvelopes, isInvalidRequest } from '../helpers/fixtures.js';
import { samples, resHeaders } from './samples.js';

/** Drop what is decode-only by design: unknown headers (never written back) and unknown enumeration items. */
function writable(m: Message): Message {
  const headers = { ...m.headers };
  delete headers.unknown;
  let body: Body = m.body;
  if (body.kind === 'EnumerateResponse' && body.items) body = { ...body, items: body.items.filter((i) => i.kind !== 'Unknown') };
  if (body.kind === 'PullResponse') body = { ...body, items: body.items.filter((i) => i.kind !== 'Unknown') };
  return { headers, body };
}

describe('decode(encode(x)) equals x', () => {
  const all = samples();

  it('hand-built samples cover every encodable body kind', () => {
    const kinds = new Set(all.map((s) => s.message.body.kind));
    const expected: Body['kind'][] = ['Empty', 'Identify', 'IdentifyResponse', 'Shell', 'ResourceCreated', 'CommandLine', 'CommandResponse',
      'Send', 'SendResponse', 'Receive', 'ReceiveResponse', 'Signal', 'SignalResponse', 'Disconnect', 'Reconnect', 'Connect',
      'ConnectResponse', 'Enumerate', 'EnumerateResponse', 'Pull', 'PullResponse', 'Release', 'Config', 'Fault'];
    expect([...kinds].sort()).toEqual([...expected].sort());
  });

  for (const s of all) {
    it(`${s.role}: ${s.name}`, () => {
      const xml = encodeMessage(s.message, s.role);
      expect(decodeMessage(xml)).toEqual(s.message);
    });
  }

  it('faults from faultFromCode for every FAULT_CODES entry, with and without a detail', () => {
    for (const code of FAULT_CODES.keys()) {
      for (const detail of [undefined, `detail for ${code}`]) {
        const fault = faultFromCode(code, 'machine-1', detail);
        const m: Message = { headers: resHeaders(faultAction(fault)), body: { kind: 'Fault', fault } };
        const back = decodeMessage(encodeMessage(m, 'response'));
        // decode trims the Reason and Message text (Windows ends them with a space)
        const expected = { ...fault, reason: fault.reason?.trim(), message: fault.message?.trim() };
        expect(back.body, `code ${code}`).toEqual({ kind: 'Fault', fault: expected });
        expect(back.headers).toEqual(m.headers);
      }
    }
  });

  it('a fault for an unknown code falls back to InternalError and round-trips', () => {
    const fault = faultFromCode(12345, 'm');
    expect(fault.subcode).toBe('w:InternalError');
    const back = decodeMessage(encodeMessage({ headers: {}, body: { kind: 'Fault', fault } }, 'response'));
    expect(back.body).toEqual({ kind: 'Fault', fault: { ...fault, reason: fault.reason?.trim(), message: fault.message?.trim() } });
  });

  it('every decoded recorded message re-encodes and decodes to the same value', () => {
    const failures: string[] = [];
    let checked = 0;
    for (const e of allRecordedEnvelopes()) {
      if (isInvalidRequest(e)) continue;
      const m = writable(decodeMessage(e.xml));
      const back = decodeMessage(encodeMessage(m, e.role));
      try {
        // compared through the plain-JSON view (stream bytes as text/base64): much faster than
        // deep-equal over Buffers, and just as strict about values
        expect(messageToJson(back)).toEqual(messageToJson(m));
        checked++;
      } catch (err) {
        failures.push(`${e.id}: ${(err as Error).message.slice(0, 400)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });
});
