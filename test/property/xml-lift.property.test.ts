/**
 * parseXml takes long runs of plain text (base64 streams) out of the parser's input and gives
 * them back as their element's text. These tests hold it to a plain saxes parse of the same
 * text: the same tree for any document with long runs next to tags, entities, CR LF, CDATA,
 * comments and self-closing elements, and an error wherever the plain parse fails.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../../src/core/index.js';
import { saxesParse, shape, type Plain } from '../helpers/saxes-oracle.js';
import { decodeBase64 } from '../../src/core/messages/common.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** A run of base64 text long enough to be lifted (or just short of it). */
const run = fc.tuple(fc.integer({ min: 1000, max: 3000 }), fc.integer({ min: 0, max: 63 })).map(([n, k]) => B64[k]!.repeat(n) + B64.slice(0, k));
/** What may sit around and inside a run in an element's content. */
const piece = fc.oneof(
  { weight: 4, arbitrary: run },
  { weight: 1, arbitrary: fc.constantFrom('&amp;', '&#65;', '\r\n', '\r', ' ', '\n', 'x', ']]>', '<![CDATA[<&]]>', '<!-- c -->', '<e/>', '<e a="1"/>', '<f>in</f>', '<g>', '</g>', '&bogus;', '\u0001') },
);
const doc = fc.array(fc.array(piece, { maxLength: 5 }), { minLength: 1, maxLength: 4 }).map((elements) =>
  `<?xml version="1.0"?><r xmlns="urn:t">${elements.map((content, i) => `<s${i}>${content.join('')}</s${i}>`).join('')}</r>`);

describe('parseXml with long text runs lifted out of the parser', () => {
  it('gives the tree a plain parse gives, or fails where it fails', () => {
    fc.assert(fc.property(doc, (text) => {
      let expected: Plain | undefined;
      try {
        expected = saxesParse(text);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) expect(() => parseXml(text)).toThrow();
      else expect(shape(parseXml(text))).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('puts a run back in its own element, not in a self-closing sibling before it', () => {
    const a = 'QUJD'.repeat(600);
    const root = parseXml(`<r><e/>${a}<s>${a}<t/>tail</s></r>`);
    expect(root.text).toBe(a);
    expect(root.children[0]!.text).toBe('');
    expect(root.children[1]!.text).toBe(`${a}tail`);
  });

  it('reports a malformed document with a lifted run at the position a plain parse reports', () => {
    const text = `<r>\n<s>${'QUJD'.repeat(600)}</t></r>`;
    let plain = '';
    try {
      saxesParse(text);
    } catch (e) {
      plain = (e as Error).message;
    }
    expect(plain).toMatch(/2:\d+/);
    expect(() => parseXml(text)).toThrow(plain);
  });

  it('gives a run back as its own string, which does not keep the whole envelope alive', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept: string[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20; i++) {
      // 1 MB of text around a 2000-character run; the `&amp;` keeps the padding in the parser's hands.
      const envelope = `<r><s>${'QUJD'.repeat(500)}</s><pad>${'x'.repeat(1_000_000 + i)}&amp;</pad></r>`;
      kept.push(parseXml(envelope).children[0]!.text);
    }
    gc();
    const retainedMB = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(kept.every((t) => t === 'QUJD'.repeat(500))).toBe(true);
    // 20 envelopes of 1 MB: a slice sharing each envelope's text would keep about 20 MB.
    expect(retainedMB).toBeLessThan(8);
  });

  it('decodes an unbroken base64 run and a broken one to the same bytes, and refuses bad ones', () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
    const b64 = bytes.toString('base64');
    expect(decodeBase64(b64, 'x')).toEqual(bytes);
    expect(decodeBase64(b64.replace(/(.{76})/g, '$1\r\n'), 'x')).toEqual(bytes);
    for (const bad of [`${b64.slice(0, -4)}QU-D`, `${b64.slice(0, -4)}QU_D`, `${b64.slice(0, -4)}Q===`, `=${b64.slice(1)}`, `${b64.slice(0, -4)}QU\u0141D`, b64.slice(1)]) {
      expect(() => decodeBase64(bad, 'x'), bad.slice(-8)).toThrow(/not valid base64/);
    }
  });
});
