/**
 * Issue #16: tables and lists fitted to a narrow terminal as PowerShell fits them (the expected
 * texts are what pwsh 7.6 printed for `... | Out-String -Width N`): columns kept from the left, the
 * first one that does not fit cut with `…`, the rest left out; list values wrapped. And the
 * table/list choice: up to four properties a table, five or more a list.
 */
import { describe, expect, it } from 'vitest';
import { DefaultView } from '../../src/cli/psformat.js';
import { list, table } from '../../src/cli/pslayout.js';
import { PSObject, type PSValue } from '../../src/psrp/clixml/model.js';

const custom = (props: Array<[string, PSValue]>): PSObject => new PSObject({ typeNames: ['System.Management.Automation.PSCustomObject'], extended: props });
const wide: Array<[string, PSValue]> = [['Name', 'x'.repeat(20)], ['Value', 'y'.repeat(20)], ['Count', 1]];

describe('fitting the terminal width', () => {
  it('a table too wide: columns kept from the left, the first that does not fit cut with …, the rest left out', () => {
    expect(table(['Name', 'Value', 'Count'], [wide.map(([, x]) => x)], 30)).toBe(`\nName                 Value\n----                 -----\n${'x'.repeat(20)} ${'y'.repeat(8)}…\n\n`);
    expect(table(['Name', 'Value', 'Count'], [wide.map(([, x]) => x)], 20)).toBe(`\nName\n----\n${'x'.repeat(20)}\n\n`);
    expect(table(['A', 'B'], [['short', 'z'.repeat(50)]], 30)).toBe(`\nA     B\n-     -\nshort ${'z'.repeat(23)}…\n\n`);
  });

  it('without a width, or when it fits, nothing is cut; every line of a fitted view is within the width', () => {
    expect(table(['Name', 'Value', 'Count'], [wide.map(([, x]) => x)])).toBe(`\nName                 Value                Count\n----                 -----                -----\n${'x'.repeat(20)} ${'y'.repeat(20)}     1\n\n`);
    const v = new DefaultView(25);
    const text = v.write(custom([...wide, ['D', 'd'], ['E', 'e'.repeat(60)]])) + v.write(custom(wide)) + v.end();
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(25);
  });

  it('a list wraps long values under their first line', () => {
    expect(list(wide, 20)).toBe(`\nName  : ${'x'.repeat(12)}\n        ${'x'.repeat(8)}\nValue : ${'y'.repeat(12)}\n        ${'y'.repeat(8)}\nCount : 1\n\n`);
  });
});

describe('table or list', () => {
  it('four properties make a table, five a list', () => {
    const four = new DefaultView();
    expect(four.write(custom([['A', 1], ['B', 2], ['C', 3], ['D', 4]])) + four.end()).toBe('\nA B C D\n- - - -\n1 2 3 4\n\n');
    expect(new DefaultView().write(custom([['A', 1], ['B', 2], ['C', 3], ['D', 4], ['E', 5]]))).toBe('\nA : 1\nB : 2\nC : 3\nD : 4\nE : 5\n\n');
  });
});
