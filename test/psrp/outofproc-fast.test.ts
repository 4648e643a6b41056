/**
 * decodePacket reads the lines pwsh writes without the XML parser: for every line, what it gives
 * (or throws) is what the parser-based decodePacketFull gives (or throws).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePacket, decodePacketFull, encodePacket, type OutOfProcKind } from '../../src/psrp/index.js';

const KINDS: OutOfProcKind[] = ['Data', 'DataAck', 'Command', 'CommandAck', 'Signal', 'SignalAck', 'Close', 'CloseAck'];

function outcome(f: (line: string) => unknown, line: string): unknown {
  try {
    return { ok: f(line) };
  } catch (err) {
    return { err: (err as Error).constructor.name, code: (err as { code?: string }).code };
  }
}

const same = (line: string): void => {
  expect(outcome(decodePacket, line)).toEqual(outcome(decodePacketFull, line));
};

describe('decodePacket without the parser', () => {
  it('gives what the parser gives for every packet encodePacket writes, any GUID case, stream and data', () => {
    fc.assert(fc.property(
      fc.constantFrom(...KINDS), fc.uuid(), fc.boolean(), fc.constantFrom('Default' as const, 'PromptResponse' as const), fc.uint8Array({ maxLength: 300 }),
      (kind, guid, upper, stream, data) => {
        const line = encodePacket({ kind, psGuid: guid, stream, data }).replace(/\n$/, '');
        const l = upper ? line.replace(guid, guid.toUpperCase()) : line;
        same(l);
        const p = decodePacket(l);
        expect(p.kind).toBe(kind);
        expect(p.psGuid).toBe(guid.toLowerCase());
        if (kind === 'Data') expect([p.stream, Buffer.from(p.data!).toString('hex')]).toEqual([stream, Buffer.from(data).toString('hex')]);
      },
    ), { numRuns: 400 });
  });

  it('lines of another form, or broken, are decoded or refused exactly as by the parser', () => {
    const G = '2b0d5c3e-4f6a-4b8c-9d0e-1f2a3b4c5d6e';
    for (const line of [
      `<Data Stream='Default' PSGuid='${G}'>AA==</Data>`, `<Data Stream='Default' PSGuid='${G}'></Data>`, `<Data PSGuid='${G}'>AA==</Data>`,
      `<Data Stream="Default" PSGuid="${G}">AA==</Data>`, `<Data Stream='Default' PSGuid='${G}'>AA=</Data>`, `<Data Stream='Default' PSGuid='${G}'>A=A=</Data>`,
      `<Data Stream='Default' PSGuid='${G}'>AA==</Data> `, `<Data Stream='Default' PSGuid='${G}'> AA== </Data>`, `<Data Stream='Default' PSGuid='${G}'>AA&#61;=</Data>`,
      `<Data Stream='Default' PSGuid='${G}'>AA==</Data><x/>`, `<Data Stream='Other' PSGuid='${G}'>AA==</Data>`, `<Data Stream='Default' PSGuid='${G}x'>AA==</Data>`,
      `<Data Stream='Default' PSGuid='${G}'>AA==</Datum>`, `<DataAck PSGuid='${G}' />`, `<DataAck PSGuid='${G}'/>`, `<DataAck  PSGuid='${G}' />`,
      `<DataAck PSGuid='${G}' ></DataAck>`, `<DataAck PSGuid='${G.toUpperCase()}' />`, `<Foo PSGuid='${G}' />`, `<Data Stream='Default' PSGuid='${G}' />`,
      `<CommandAck PSGuid='nope' />`, 'not xml', '<!DOCTYPE x><x/>', '',
    ]) same(line);
    fc.assert(fc.property(fc.string({ maxLength: 120 }), fc.constantFrom('', `<DataAck PSGuid='${G}' />`, `<Data Stream='Default' PSGuid='${G}'>`), (s, prefix) => {
      same(prefix + s);
      same(`${prefix}${s}</Data>`);
    }), { numRuns: 500 });
  });
});
