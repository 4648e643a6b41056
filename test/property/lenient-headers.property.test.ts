/**
 * Lenient header decoding (`wsman decode`, issue 18): whatever text a numeric or duration header
 * carries, a lenient decode never fails the message; the value is either decoded exactly as the
 * strict decoder would, or kept as sent under `invalid`. The strict decoder still refuses.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeMessage, messageToJson, WsmanProtocolError } from '../../src/core/index.js';

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const HEADERS: Record<string, string> = {
  operationTimeout: 'w:OperationTimeout',
  maxEnvelopeSize: 'w:MaxEnvelopeSize',
  sequenceId: 'p:SequenceId',
};
function envelope(tag: string, text: string): string {
  return '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header>' +
    `<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><${tag}>${escape(text)}</${tag}></s:Header><s:Body/></s:Envelope>`;
}
const texts = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('PT-1S', 'PT20S', '-5', '153600', 'P1D', '1e3', '99999999999999999999', ''));

describe('lenient header decoding', () => {
  it('never fails on a header value; keeps it as sent when the strict decoder refuses it', () => {
    fc.assert(fc.property(fc.constantFrom(...Object.keys(HEADERS)), texts, (field, text) => {
      const xml = envelope(HEADERS[field]!, text);
      const lenient = decodeMessage(xml, undefined, undefined, { lenient: true });
      let strict: ReturnType<typeof decodeMessage> | undefined;
      try {
        strict = decodeMessage(xml);
      } catch (err) {
        expect(err).toBeInstanceOf(WsmanProtocolError);
      }
      const h = lenient.headers as Record<string, unknown>;
      if (strict) {
        expect(h[field]).toEqual((strict.headers as Record<string, unknown>)[field]);
        expect(lenient.headers.invalid).toBeUndefined();
      } else {
        expect(h[field]).toBeUndefined();
        expect(lenient.headers.invalid).toEqual([{ field, text: text.trim(), reason: expect.any(String) }]);
        expect((messageToJson(lenient) as { headers: Record<string, unknown> }).headers[field]).toMatchObject({ invalid: text.trim() });
      }
    }), { numRuns: 300 });
  });

  it('the strict decoder refuses PT-1S (as Windows does, InvalidMessageInformationHeader)', () => {
    expect(() => decodeMessage(envelope('w:OperationTimeout', 'PT-1S'))).toThrow(/OperationTimeout/);
  });
});
