/**
 * Issue #16: values print as pwsh 7.6 prints them for en-US (the expected texts are what
 * `pwsh -NoProfile -c '...'` printed, ICU data: U+202F before AM/PM): Get-Date as its DateTime view,
 * not a DisplayHint table; True/False; $null as nothing; doubles as .NET's round-trip text; [char],
 * byte arrays, enums, TimeSpan, Guid, Version, nested objects and collections in table cells.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DefaultView, formatObject } from '../../src/cli/psformat.js';
import { dateTimeText, doubleText, timeSpanText, valueText } from '../../src/cli/pstext.js';
import { PSDateTime, PSObject, PSPrimitive, UNIX_EPOCH_TICKS, ps, type PSValue } from '../../src/psrp/clixml/model.js';

const NNBSP = '\u202f';
const date = (iso: string): PSDateTime => new PSDateTime(BigInt(Date.parse(`${iso}Z`)) * 10_000n + UNIX_EPOCH_TICKS, 'Unspecified');
const getDate = (iso: string, hint: string): PSObject => new PSObject({
  typeNames: ['System.DateTime', 'System.ValueType', 'System.Object'],
  toStringText: 'server text',
  value: new PSPrimitive('DT', date(iso)),
  extended: [['DisplayHint', new PSObject({ typeNames: ['Microsoft.PowerShell.Commands.DisplayHintType'], toStringText: hint, value: 2 })]],
});
const custom = (props: Array<[string, PSValue]>): PSObject => new PSObject({ typeNames: ['System.Management.Automation.PSCustomObject'], extended: props });
const all = (...values: PSValue[]): string => {
  const v = new DefaultView();
  return values.map((x) => v.write(x)).join('') + v.end();
};

describe('dates (Get-Date, [datetime])', () => {
  it('Get-Date prints its DateTime view after its DisplayHint, not a DisplayHint table', () => {
    expect(formatObject(getDate('2020-01-02T03:04:05', 'DateTime'))).toBe(`\nThursday, January 2, 2020 3:04:05${NNBSP}AM\n\n`);
    expect(formatObject(getDate('2020-01-02T15:04:05', 'Date'))).toBe('\nThursday, January 2, 2020\n\n');
    expect(formatObject(getDate('2020-01-02T15:04:05', 'Time'))).toBe(`\n3:04:05${NNBSP}PM\n\n`);
  });

  it('a [datetime] alone prints its DateTime view; consecutive ones share one block', () => {
    expect(all(ps.datetime(date('2020-01-02T03:04:05')), ps.datetime(date('2020-01-03T00:00:00')), 'y'))
      .toBe(`\nThursday, January 2, 2020 3:04:05${NNBSP}AM\nFriday, January 3, 2020 12:00:00${NNBSP}AM\n\ny\n`);
  });

  it('a DateTime property prints its ToString (en-US), or the ToString the server serialized', () => {
    expect(dateTimeText(date('2020-01-02T15:04:05'))).toBe(`1/2/2020 3:04:05${NNBSP}PM`);
    expect(formatObject(custom([['D', ps.datetime(date('2020-01-02T03:04:05'))]]))).toBe(`\nD\n-\n1/2/2020 3:04:05${NNBSP}AM\n\n`);
    expect(valueText(getDate('2020-01-02T03:04:05', 'DateTime'))).toBe('server text');
  });
});

describe('a DateTime of kind Local', () => {
  const saved = process.env.TZ;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it('prints in this machine\'s zone, as PowerShell converts it when deserializing; Utc and Unspecified as written', () => {
    process.env.TZ = 'America/New_York';
    // 03:04:05 at +01:00 is 02:04:05 UTC, 21:04:05 the day before in New York (EST, -05:00).
    const local = new PSDateTime(date('2020-01-02T03:04:05').ticks, 'Local', 60);
    expect(dateTimeText(local)).toBe(`1/1/2020 9:04:05${NNBSP}PM`);
    expect(dateTimeText(new PSDateTime(local.ticks, 'Utc'))).toBe(`1/2/2020 3:04:05${NNBSP}AM`);
  });
});

describe('primitives', () => {
  it('booleans are True/False at top level, in tables and in lists', () => {
    expect(all(true, false)).toBe('True\nFalse\n');
    expect(formatObject(custom([['A', true], ['B', false]]))).toBe('\nA    B\n-    -\nTrue False\n\n');
    expect(formatObject(custom([['A', true], ['B', 1], ['C', 2], ['D', 3], ['E', false]]))).toBe('\nA : True\nB : 1\nC : 2\nD : 3\nE : False\n\n');
  });

  it('$null prints nothing; a null property an empty cell', () => {
    expect(all(null, 'a', null)).toBe('a\n');
    expect(formatObject(custom([['A', 'x'], ['N', null]]))).toBe('\nA N\n- -\nx\n\n');
  });

  it('doubles as .NET prints them; decimals keep their digits; [char] its character; enums their names', () => {
    expect([1e15, 1e14, 1e-5, 0.0001, 1.1e20, Number.NaN, -0.5].map((x) => doubleText(x)))
      .toEqual(['1E+15', '100000000000000', '1E-05', '0.0001', '1.1E+20', 'NaN', '-0.5']);
    expect(all(ps.double(1e15), ps.single(0.1), ps.decimal('1.50'), ps.char('x'))).toBe('1E+15\n0.1\n1.50\nx\n');
    expect(all(new PSObject({ typeNames: ['System.DayOfWeek', 'System.Enum'], toStringText: 'Monday', value: 1 }))).toBe('Monday\n');
  });

  it('a byte array alone prints a byte a line; in a cell {1, 2}; other collections {1, x}; objects their ToString', () => {
    expect(all(new Uint8Array([1, 2]))).toBe('1\n2\n');
    const nested = new PSObject({ typeNames: ['System.Management.Automation.PSCustomObject'], toStringText: '@{x=1}', extended: [['x', 1]] });
    const row = custom([['A', new Uint8Array([1, 2])], ['B', new PSObject({ typeNames: ['System.Object[]'], list: [1, 'x'] })], ['C', nested], ['N', null]]);
    expect(formatObject(row)).toBe('\nA      B      C      N\n-      -      -      -\n{1, 2} {1, x} @{x=1}\n\n');
  });

  it('TimeSpan: ToString in a cell, its list view alone; Guid and Version their tables', () => {
    expect(timeSpanText(937_845_000_000n)).toBe('1.02:03:04.5000000');
    expect(timeSpanText(37_230_000_000n)).toBe('01:02:03');
    expect(timeSpanText(-10_000_000n)).toBe('-00:00:01');
    expect(formatObject(ps.timespan(937_845_000_000n))).toBe([
      '', 'Days              : 1', 'Hours             : 2', 'Minutes           : 3', 'Seconds           : 4', 'Milliseconds      : 500',
      'Ticks             : 937845000000', 'TotalDays         : 1.08546875', 'TotalHours        : 26.05125', 'TotalMinutes      : 1563.075',
      'TotalSeconds      : 93784.5', 'TotalMilliseconds : 93784500', '', ''].join('\n'));
    expect(formatObject(ps.guid('6F1F1B7E-8E9B-4A8E-9B5E-1F2E3D4C5B6A'))).toBe('\nGuid\n----\n6f1f1b7e-8e9b-4a8e-9b5e-1f2e3d4c5b6a\n\n');
    expect(formatObject(ps.version('1.2.3'))).toBe('\nMajor Minor Build Revision\n----- ----- ----- --------\n1     2     3     -1\n\n');
    const cells = custom([['T', ps.timespan(37_230_000_000n)], ['G', ps.guid('6f1f1b7e-8e9b-4a8e-9b5e-1f2e3d4c5b6a')], ['V', ps.version('1.2.3')]]);
    expect(formatObject(cells)).toBe('\nT        G                                    V\n-        -                                    -\n01:02:03 6f1f1b7e-8e9b-4a8e-9b5e-1f2e3d4c5b6a 1.2.3\n\n');
  });
});
