/**
 * core/messages/cim.ts: elementXml writes back what it was given (any namespaces, prefixes,
 * attributes and text survive a parse of its output), and the typing rule holds on random values.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseXml, type XmlElement } from '../../src/core/xml.js';
import { elementXml, propertiesOf } from '../../src/core/messages/cim.js';

const name = fc.stringMatching(/^[A-Za-z_][\w.-]{0,8}$/);
const prefix = fc.constantFrom('', 'p', 'q', 'cim', 'xsi');
const ns = fc.constantFrom('urn:a', 'urn:b&c"<', 'http://www.w3.org/2001/XMLSchema-instance');
// eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot carry
const text = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ud800-\udfff\r]/g, ''));

interface Gen { prefix: string; ns: string; name: string; attrs: [string, string][]; text: string; children: Gen[] }
function gen(depth: number): fc.Arbitrary<Gen> {
  return fc.record({
    prefix, ns, name,
    attrs: fc.uniqueArray(fc.tuple(name, text), { maxLength: 3, selector: (a) => a[0] }),
    text,
    children: depth > 0 ? fc.array(gen(depth - 1), { maxLength: 3 }) : fc.constant([]),
  });
}
const tree = gen(3);

function toXml(g: Gen): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const q = g.prefix ? `${g.prefix}:${g.name}` : g.name;
  const decl = g.prefix ? ` xmlns:${g.prefix}="${esc(g.ns)}"` : ` xmlns="${esc(g.ns)}"`;
  const attrs = g.attrs.map(([k, v]) => ` ${k}="${esc(v).replace(/\n/g, '&#xA;').replace(/\t/g, '&#x9;')}"`).join('');
  return `<${q}${decl}${attrs}>${esc(g.text)}${g.children.map(toXml).join('')}</${q}>`;
}

function shape(e: XmlElement): unknown {
  return { ns: e.ns, name: e.name, attrs: e.attrs.map((a) => [a.ns, a.name, a.value]), text: e.children.length ? e.text.trim() : e.text, children: e.children.map(shape) };
}

describe('elementXml', () => {
  it('parse(elementXml(e)) has the same namespaces, names, attributes and text (property)', () => {
    fc.assert(fc.property(tree, (g) => {
      const e = parseXml(toXml(g));
      const again = parseXml(elementXml(e));
      expect(shape(again)).toEqual(shape(e));
    }), { numRuns: 300 });
  });
});

describe('propertiesOf typing rule', () => {
  it('numbers only for canonical safe integers, booleans only for true/false, the rest as text (property)', () => {
    // eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot carry
    fc.assert(fc.property(fc.string({ maxLength: 20 }).filter((s) => !/[<&\u0000-\u001f\ud800-\udfff\ufffe\uffff]/.test(s) && s.trim() === s), (v) => {
      const e = parseXml(`<C><V>${v.replace(/>/g, '&gt;')}</V></C>`);
      const got = propertiesOf(e).V;
      if (/^-?(0|[1-9]\d*)$/.test(v) && Number.isSafeInteger(Number(v))) expect(got).toBe(Number(v));
      else if (v === 'true' || v === 'false') expect(got).toBe(v === 'true');
      else expect(got).toBe(v);
      expect(propertiesOf(e, { infer: false }).V).toBe(v);
    }), { numRuns: 1000 });
  });
});
