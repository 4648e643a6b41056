/**
 * The default view of `wsman invoke`: tables of small objects (shared while the properties stay the
 * same, numbers right-aligned), lists of big ones, hashtables as Name/Value, collections expanded,
 * error records as PowerShell 7's ConciseView.
 */
import { describe, expect, it } from 'vitest';
import { DefaultView, formatErrorRecord, formatObject, valueText } from '../../src/cli/psformat.js';
import { PSObject } from '../../src/psrp/clixml/model.js';

const obj = (props: Array<[string, string | number | null]>): PSObject => new PSObject({ typeNames: ['System.Management.Automation.PSCustomObject'], extended: props });

describe('DefaultView', () => {
  it('collects objects with the same properties into one table, printed when other output comes', () => {
    const v = new DefaultView();
    expect(v.write(obj([['Name', 'a'], ['Count', 1]]))).toBe('');
    expect(v.write(obj([['Name', 'bbbbbb'], ['Count', 100]]))).toBe('');
    expect(v.write('text')).toBe('\nName   Count\n----   -----\na          1\nbbbbbb   100\n\ntext\n');
    expect(v.end()).toBe('');
  });

  it('a new set of properties starts a new table; end() prints the last one', () => {
    const v = new DefaultView();
    v.write(obj([['A', 'x']]));
    expect(v.write(obj([['B', 'y']]))).toBe('\nA\n-\nx\n\n');
    expect(v.end()).toBe('\nB\n-\ny\n\n');
  });

  it('five properties or more make a list; hashtables a Name/Value table; lists are expanded', () => {
    expect(formatObject(obj([['A', 1], ['B', 2], ['C', 3], ['D', 4], ['Eeee', 'five']]))).toBe('\nA    : 1\nB    : 2\nC    : 3\nD    : 4\nEeee : five\n\n');
    const h = new PSObject({ typeNames: ['System.Collections.Hashtable'], dict: [['k', 1], ['longer', 'v']] });
    expect(formatObject(h)).toBe(`\n${'Name'.padEnd(30)} Value\n${'----'.padEnd(30)} -----\n${'k'.padEnd(30)} 1\n${'longer'.padEnd(30)} v\n\n`);
    expect(formatObject(new PSObject({ typeNames: ['System.Object[]'], list: ['a', 2] }))).toBe('a\n2\n');
    expect(valueText(new PSObject({ list: ['a', 'b'] }))).toBe('{a, b}');
  });
});

describe('formatErrorRecord', () => {
  it('names the command that wrote the error, or the exception type when none did', () => {
    const written = new PSObject({ extended: [['ErrorCategory_Activity', 'Write-Error']] });
    expect(formatErrorRecord('oops', written)).toBe('Write-Error: oops\n');
    const thrown = new PSObject({ extended: [['ErrorCategory_Activity', ''], ['Exception', new PSObject({ typeNames: ['System.Management.Automation.RuntimeException'] })]] });
    expect(formatErrorRecord('boom', thrown)).toBe('Exception: boom\n');
    const other = new PSObject({ extended: [['Exception', new PSObject({ typeNames: ['Deserialized.System.Management.Automation.MethodInvocationException'] })]] });
    expect(formatErrorRecord('bad call', other)).toBe('MethodInvocationException: bad call\n');
    expect(formatErrorRecord('plain', undefined)).toBe('Exception: plain\n');
  });
});
