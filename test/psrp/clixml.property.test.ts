/**
 * CLIXML properties: our serialize -> deserialize is the identity on everything the model holds;
 * random and mutated input gives a value or a PsrpProtocolError, never anything else, never a hang;
 * depth and size limits hold.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { deserialize, deserializeObjs, serialize, serializeObjs, PSObject, ps } from '../../src/psrp/clixml/index.js';
import { PsrpProtocolError } from '../../src/psrp/errors.js';
import { WsmanUsageError } from '../../src/core/errors.js';
import { anyValue, faithfulValue } from './clixml-arbitraries.js';

const DIR = path.join(REPO_ROOT, 'fixtures', 'psrp', 'clixml');
const goldens = readdirSync(DIR).filter((f) => f.endsWith('.xml')).map((f) => readFileSync(path.join(DIR, f), 'utf8'));

function typedOrValue(text: string): void {
  try {
    deserializeObjs(text);
  } catch (err) {
    expect(err).toBeInstanceOf(PsrpProtocolError);
    expect(['ERR_CLIXML_MALFORMED', 'ERR_CLIXML_LIMIT']).toContain((err as PsrpProtocolError).code);
  }
}

describe('CLIXML round trip (ours)', () => {
  it('serialize -> deserialize is the identity for any value', () => {
    fc.assert(fc.property(anyValue, (v) => {
      expect(deserialize(serialize(v))).toEqual(v);
    }), { numRuns: 400 });
  });
  it('several values in one <Objs> document, and the text is stable', () => {
    fc.assert(fc.property(fc.array(fc.oneof(anyValue, faithfulValue), { maxLength: 4 }), (vs) => {
      const text = serializeObjs(vs);
      const back = deserializeObjs(text);
      expect(back).toEqual(vs);
      expect(serializeObjs(back)).toBe(text);
    }), { numRuns: 200 });
  });
  it('a shared object is written once and referenced (<Ref>), a cycle ends', () => {
    const shared = new PSObject({ typeNames: ['T'], extended: [['x', 1]] });
    const self = new PSObject({ typeNames: ['T'] });
    self.extended.set('me', self);
    const text = serialize([shared, shared, self]);
    expect(text.match(/<Ref RefId="1" \/>/g)).toHaveLength(1);
    expect(text).toContain('<TNRef RefId="1" />');
    const back = deserialize(text) as PSObject;
    expect(back.list![1]).toBe(back.list![0]);
    const me = back.list![2] as PSObject;
    expect(me.get('me')).toBe(me);
  });
  it('plain JS conveniences: arrays, Maps, objects, bigints, Dates, undefined', () => {
    expect(serialize([1, 'a'])).toBe('<Obj RefId="0"><TN RefId="0"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST><I32>1</I32><S>a</S></LST></Obj>');
    expect(serialize({ a: 1n })).toBe('<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T><T>System.Object</T></TN><DCT><En><S N="Key">a</S><I64 N="Value">1</I64></En></DCT></Obj>');
    expect(serialize(new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)))).toBe('<DT>2020-01-02T03:04:05.006Z</DT>');
    expect(serialize(undefined)).toBe('<Nil />');
    expect(serialize(1.5)).toBe('<Db>1.5</Db>');
    expect(serialize(-0)).toBe('<Db>-0</Db>');
    expect(serialize(2n ** 64n - 1n)).toBe('<U64>18446744073709551615</U64>');
  });
  it('a value we cannot write is a usage error, not bad XML', () => {
    for (const v of [ps.byte(256), ps.guid('nope'), ps.decimal('1e5'), 2n ** 64n, () => 1, new (class X {})()]) {
      expect(() => serialize(v as never)).toThrow(WsmanUsageError);
    }
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 500; i++) deep = (deep[0] = []) as unknown[];
    expect(() => serialize(root as never)).toThrow(WsmanUsageError);
  });
});

describe('CLIXML parser fuzz: a typed error, never anything else', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => typedOrValue(s)), { numRuns: 500 });
  });
  const token = fc.constantFrom('<Obj RefId="0">', '</Obj>', '<Ref RefId="7" />', '<TNRef RefId="3" />', '<TN RefId="0"><T>x</T></TN>', '<LST>', '</LST>',
    '<DCT><En><S N="Key">k</S></En></DCT>', '<I32>99999999999</I32>', '<DT>2020-13-01T00:00:00</DT>', '<TS>P</TS>', '<BA>!!</BA>', '<Db>1e</Db>',
    '<PR><AV>a</AV></PR>', '<Nil>x</Nil>', '<S><S/></S>', '<!DOCTYPE x>', '&foo;', '<G>zz</G>', '<Version>1</Version>', '<C>70000</C>');
  it('mutated PowerShell output (deleted ranges, inserted tokens, duplicated slices)', () => {
    fc.assert(fc.property(fc.constantFrom(...goldens), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(token, fc.string({ maxLength: 6 }))), { minLength: 1, maxLength: 4 }), (doc, edits) => {
      let s = doc;
      for (const [at, len, ins] of edits) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + ins + s.slice(i + len);
      }
      typedOrValue(s);
    }), { numRuns: 1500 });
  });
  it('deep nesting is refused with ERR_CLIXML_LIMIT', () => {
    const n = 5000;
    const deep = '<Obj RefId="0"><MS>'.repeat(n) + '<I32 N="x">1</I32>' + '</MS></Obj>'.repeat(n);
    expect(() => deserialize(deep)).toThrow(expect.objectContaining({ code: 'ERR_CLIXML_LIMIT' }));
    const lists = '<Obj><LST>'.repeat(70) + '</LST></Obj>'.repeat(70);
    expect(() => deserialize(lists)).toThrow(expect.objectContaining({ code: 'ERR_CLIXML_LIMIT' }));
    expect(() => deserialize(lists, { maxDepth: 100 })).not.toThrow();
  });
  it('size limits', () => {
    expect(() => deserialize(`<S>${'a'.repeat(2000)}</S>`, { maxBytes: 1000 })).toThrow(expect.objectContaining({ code: 'ERR_CLIXML_LIMIT' }));
    const many = `<Obj><LST>${'<Nil/>'.repeat(2000)}</LST></Obj>`;
    expect(() => deserialize(many, { maxElements: 1000 })).toThrow(expect.objectContaining({ code: 'ERR_CLIXML_LIMIT' }));
  });
  it('a thousand Refs to one object stay one object (no blow-up)', () => {
    const text = `<Obj RefId="0"><LST><Obj RefId="1"><MS><S N="a">x</S></MS></Obj>${'<Ref RefId="1"/>'.repeat(1000)}</LST></Obj>`;
    const list = (deserialize(text) as PSObject).list!;
    expect(new Set(list).size).toBe(1);
  });
});
