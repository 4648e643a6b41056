/**
 * Golden CLIXML vectors written by real PowerShell 7.6.10 (test/psrp/make-clixml-goldens.ps1 ->
 * fixtures/psrp/clixml/): each deserializes to the expected model and serializes back to the same
 * element structure, attributes (RefIds included: we number as PowerShell does) and text, and
 * indeed to the same bytes once PowerShell's indentation is taken out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import {
  deserializeObjs, serializeObjs, PSObject, PSPrimitive, PSProgressRecord, PSDateTime, type PSValue,
} from '../../src/psrp/clixml/index.js';
import { canonical } from './clixml-helpers.js';

const DIR = path.join(REPO_ROOT, 'fixtures', 'psrp', 'clixml');
const files = readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort();
const load = (name: string): PSValue => {
  const values = deserializeObjs(readFileSync(path.join(DIR, `${name}.xml`), 'utf8'));
  expect(values).toHaveLength(1);
  return values[0]!;
};
const prim = (v: PSValue): PSPrimitive => {
  expect(v).toBeInstanceOf(PSPrimitive);
  return v as PSPrimitive;
};
const obj = (v: PSValue): PSObject => {
  expect(v).toBeInstanceOf(PSObject);
  return v as PSObject;
};

describe('CLIXML golden vectors from PowerShell: deserialize -> serialize keeps the document', () => {
  it('has the vectors', () => expect(files.length).toBeGreaterThanOrEqual(50));
  for (const f of files) {
    it(f, () => {
      const text = readFileSync(path.join(DIR, f), 'utf8');
      const again = serializeObjs(deserializeObjs(text));
      expect(canonical(again)).toEqual(canonical(text));
      // Byte for byte but for PowerShell's indentation (values never hold a raw newline: it is _x000A_).
      expect(again).toBe(text.replace(/>\s*\n\s*</g, '><').trim());
    });
  }
});

describe('CLIXML golden vectors: the model', () => {
  it('strings, with the 2.2.5.3.2 escapes undone', () => {
    expect(load('string')).toBe('hello world');
    expect(load('string-escapes')).toBe('a_x0041_b\tc\r\nd\u0001e\u{1F600}f _x g_X0041_');
    expect(load('string-empty')).toBe('');
    expect(load('string-spaces')).toBe('  lead and trail  ');
  });
  it('numbers keep their CLIXML type', () => {
    expect(load('int32')).toBe(-2147483648);
    for (const [name, tag, value] of [
      ['char', 'C', 65], ['byte', 'By', 255], ['sbyte', 'SB', -128], ['uint16', 'U16', 65535], ['int16', 'I16', -32768],
      ['uint32', 'U32', 4294967295], ['int64', 'I64', -(2n ** 63n)], ['uint64', 'U64', 2n ** 64n - 1n], ['single', 'Sg', 1.5],
      ['double', 'Db', 0.1], ['double-large', 'Db', 1e300], ['double-small', 'Db', 1.5e-7], ['double-inf', 'Db', Infinity],
      ['double-negzero', 'Db', -0], ['decimal', 'D', '79228162514264337593543950335'], ['decimal-scale', 'D', '-1.5'],
    ] as const) {
      const p = prim(load(name));
      expect([name, p.tag]).toEqual([name, tag]);
      expect(p.value).toStrictEqual(value);
    }
    expect(Number.isNaN(prim(load('double-nan')).value)).toBe(true);
  });
  it('booleans, null, bytes, guid, uri, version, xml, script block, secure string', () => {
    expect(load('bool-true')).toBe(true);
    expect(load('bool-false')).toBe(false);
    expect(load('null')).toBe(null);
    expect(load('bytearray')).toEqual(new Uint8Array([0, 1, 2, 254, 255]));
    expect(prim(load('guid')).value).toBe('0c9c5a4e-1e2f-4c7a-9b1d-2f3e4d5c6b7a');
    expect(prim(load('uri')).value).toBe('http://example.com/a?b=c&d=e');
    expect(prim(load('version')).value).toBe('1.2.3.4');
    expect(prim(load('version-short')).value).toBe('10.0');
    expect(prim(load('xmldocument')).value).toBe('<root a="1"><c>text &amp; more</c></root>');
    expect(prim(load('scriptblock'))).toMatchObject({ tag: 'SBK', value: ' Get-Process | Where-Object { $_.Id -gt 4 } ' });
    expect(prim(load('securestring')).tag).toBe('SS');
  });
  it('DateTime keeps ticks and kind; TimeSpan its ticks', () => {
    const utc = prim(load('datetime-utc')).value as PSDateTime;
    expect(utc.kind).toBe('Utc');
    expect(utc.toDate().toISOString()).toBe('2020-01-02T03:04:05.123Z');
    expect(utc.ticks % 10_000_000n).toBe(1234567n);
    expect((prim(load('datetime-local')).value as PSDateTime).kind).toBe('Local');
    expect((prim(load('datetime-unspecified')).value as PSDateTime).kind).toBe('Unspecified');
    expect(prim(load('timespan')).value).toBe(((((1n * 24n + 2n) * 60n + 3n) * 60n + 4n) * 1000n + 5n) * 10_000n + 6n);
    expect(prim(load('timespan-negative')).value).toBe(-15_000_000n);
    expect(prim(load('timespan-zero')).value).toBe(0n);
    const date = obj(load('get-date'));
    expect(prim(date.value!).tag).toBe('DT');
    expect(obj(date.extended.get('DisplayHint')!).toStringText).toBe('DateTime');
  });
  it('progress record', () => {
    expect(load('progressrecord')).toEqual(new PSProgressRecord({
      activity: 'Activity', activityId: 7, currentOperation: 'op', parentActivityId: 3, percentComplete: 42,
      recordType: 'Processing', secondsRemaining: 10, statusDescription: 'Status',
    }));
  });
  it('dictionaries, nested, keep their order and type names', () => {
    const h = obj(load('hashtable'));
    expect(h.typeNames[0]).toBe('System.Collections.Specialized.OrderedDictionary');
    expect(h.dict).toEqual([['one', 1], ['two', 'two'], ['three', null]]);
    expect(obj(load('hashtable-plain')).entry('key')).toBe('value');
    const n = obj(load('hashtable-nested'));
    expect(obj(obj(n.entry('outer')!).entry('inner')!).entry('deep')).toBe(1);
  });
  it('lists, stacks, queues, empty arrays', () => {
    expect(obj(load('array'))).toMatchObject({ listKind: 'LST', typeNames: ['System.Object[]', 'System.Array', 'System.Object'] });
    expect(obj(load('array')).list).toEqual([1, 'two', true, null, new PSPrimitive('Db', 2.5)]);
    expect(obj(load('array-empty')).list).toEqual([]);
    expect(obj(load('list')).list).toEqual([1, 'a', null]);
    expect(obj(load('stack'))).toMatchObject({ listKind: 'STK', list: ['two', 1] });
    expect(obj(load('queue'))).toMatchObject({ listKind: 'QUE', list: [1, 'two'] });
  });
  it('enums: type names, ToString and the I32 value', () => {
    expect(obj(load('enum'))).toMatchObject({ typeNames: ['System.ConsoleColor', 'System.Enum', 'System.ValueType', 'System.Object'], toStringText: 'Red', value: 12 });
    expect(obj(load('enum-flags'))).toMatchObject({ toStringText: 'ReadOnly, Hidden', value: 3 });
  });
  it('custom objects, TNRef and Ref reuse', () => {
    const c = obj(load('pscustomobject'));
    expect(c.get('Name')).toBe('n');
    expect(obj(c.get('Nested')!).typeNames).toBe(c.typeNames);
    const list = obj(load('refs')).list!;
    expect(list[1]).toBe(list[0]);
    expect(obj(list[2]!).get('Again')).toBe(list[0]);
  });
  it('an ErrorRecord', () => {
    const e = obj(load('errorrecord'));
    expect(e.typeNames).toContain('System.Management.Automation.ErrorRecord');
    expect(e.toStringText).toBe("Cannot find path '/no/such/path' because it does not exist.");
    expect(e.get('FullyQualifiedErrorId')).toBe('PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand');
    expect(obj(e.get('Exception')!).toStringText).toMatch(/^System.Management.Automation.ItemNotFoundException/);
  });
});
