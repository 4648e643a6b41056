/** WQL parsing and evaluation on their own (src/core/wql.ts), with typed errors for what we do not support. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseWql, wqlMatches, wqlProject, wqlLike, WqlError } from '../../src/core/wql.js';
import { WsmanProtocolError } from '../../src/core/errors.js';

const err = (q: string): WqlError => {
  try {
    parseWql(q);
  } catch (e) {
    expect(e).toBeInstanceOf(WqlError);
    expect(e).toBeInstanceOf(WsmanProtocolError);
    return e as WqlError;
  }
  throw new Error(`parsed: ${q}`);
};

describe('parseWql', () => {
  it('parses SELECT lists, FROM and WHERE with precedence NOT > AND > OR', () => {
    expect(parseWql('select * from Win32_Service')).toEqual({ className: 'Win32_Service' });
    expect(parseWql('SELECT Name, State FROM Win32_Service')).toEqual({ className: 'Win32_Service', properties: ['Name', 'State'] });
    expect(parseWql("SELECT * FROM Win32_Service WHERE State = 'Running' OR NOT Started = TRUE AND ProcessId > 4").where).toEqual({
      op: 'or',
      left: { op: '=', property: 'State', value: 'Running' },
      right: { op: 'and', left: { op: 'not', operand: { op: '=', property: 'Started', value: true } }, right: { op: '>', property: 'ProcessId', value: 4 } },
    });
    expect(parseWql('SELECT * FROM C WHERE (A = 1 OR B = 2) AND C != "x\\"y"').where).toEqual({
      op: 'and', left: { op: 'or', left: { op: '=', property: 'A', value: 1 }, right: { op: '=', property: 'B', value: 2 } },
      right: { op: '<>', property: 'C', value: 'x"y' },
    });
    expect(parseWql('SELECT * FROM C WHERE 5 < A').where).toEqual({ op: '>', property: 'A', value: 5 });
    expect(parseWql("SELECT * FROM C WHERE Name NOT LIKE 'sys%' AND Path IS NOT NULL").where).toEqual({
      op: 'and', left: { op: 'like', property: 'Name', pattern: 'sys%', negated: true }, right: { op: 'isnull', property: 'Path', negated: true },
    });
  });

  it('refuses what WMI has but we do not with ERR_WQL_UNSUPPORTED', () => {
    for (const q of ["ASSOCIATORS OF {Win32_Service.Name='WinRM'}", "REFERENCES OF {Win32_Service.Name='WinRM'} WHERE ClassDefsOnly",
      'SELECT * FROM __InstanceCreationEvent WITHIN 5', 'SELECT * FROM C GROUP BY Name', "SELECT * FROM C WHERE TargetInstance ISA 'Win32_Process'",
      "SELECT * FROM C WHERE Name LIKE '[a-c]%'"]) {
      expect(err(q).code, q).toBe('ERR_WQL_UNSUPPORTED');
    }
  });

  it('refuses what is not WQL with ERR_WQL_SYNTAX and says where', () => {
    for (const q of ['', 'SELECT', 'SELECT * FROM', 'SELECT Name FROM C WHERE', "SELECT * FROM C WHERE Name = 'x", 'DELETE FROM C',
      'SELECT * FROM C WHERE A = 1 junk', 'SELECT * FROM C WHERE A ~ 1', 'SELECT * FROM C WHERE (A = 1']) {
      expect(err(q).code, q).toBe('ERR_WQL_SYNTAX');
    }
    expect(err('SELECT * FROM C WHERE A ~ 1').offset).toBe(24);
    expect(err('SELECT * FROM C WHERE A ~ 1').fault.wsmanCode).toBe(2150858778);
  });

  it('bounds nesting and length instead of overflowing the stack', () => {
    expect(err(`SELECT * FROM C WHERE ${'NOT '.repeat(10_000)}A = 1`).code).toBe('ERR_WQL_UNSUPPORTED');
    expect(err(`SELECT * FROM C WHERE ${'('.repeat(100)}A = 1${')'.repeat(100)}`).code).toBe('ERR_WQL_UNSUPPORTED');
    expect(err(`SELECT * FROM C WHERE A = '${'x'.repeat(20_000)}'`).code).toBe('ERR_WQL_UNSUPPORTED');
  });

  it('never throws anything but WqlError on arbitrary text (fuzz)', () => {
    const pieces = fc.constantFrom('SELECT', 'FROM', 'WHERE', '*', ',', 'Name', 'C', '=', '<>', '(', ')', "'x'", '1', 'AND', 'OR', 'NOT', 'LIKE', 'IS', 'NULL', 'ISA', '{', '"', '\\');
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(pieces).map((a) => a.join(' '))), (q) => {
      try {
        parseWql(q);
      } catch (e) {
        if (!(e instanceof WqlError)) throw e;
      }
    }), { numRuns: 2000 });
  });
});

describe('wqlMatches / wqlProject', () => {
  const proc = { Name: 'sshd', ProcessId: 812, Started: true, Path: null, Owner: 'root' };
  const m = (where: string): boolean => wqlMatches(parseWql(`SELECT * FROM P WHERE ${where}`).where, proc);

  it('compares numbers as numbers, strings case-insensitively, booleans, and NULL only with IS', () => {
    expect(m('ProcessId = 812')).toBe(true);
    expect(m('ProcessId > 99')).toBe(true); // as strings '812' < '99'
    expect(m("name = 'SSHD'")).toBe(true);
    expect(m('Started = TRUE')).toBe(true);
    expect(m('Started = FALSE')).toBe(false);
    expect(m('Path IS NULL')).toBe(true);
    expect(m('Path = NULL')).toBe(false);
    expect(m('Nope IS NULL')).toBe(true);
    expect(m("Path <> 'x'")).toBe(false);
    expect(m("Name LIKE 'ss_d'") && m("Name LIKE 'S%'") && !m("Name LIKE 'x%'") && m("Name NOT LIKE 'x%'")).toBe(true);
    expect(m("Name LIKE 'a.c'")).toBe(false); // '.' is literal
    expect(m("NOT (Owner = 'root' AND ProcessId < 100)")).toBe(true);
  });

  it('LIKE is linear whatever the pattern (no backtracking on %a%a%a…)', () => {
    const text = 'a'.repeat(3000);
    expect(wqlMatches(parseWql(`SELECT * FROM P WHERE Name LIKE '${'%a'.repeat(2000)}b'`).where, { Name: text })).toBe(false);
    expect(wqlMatches(parseWql(`SELECT * FROM P WHERE Name LIKE '${'%a'.repeat(2000)}%'`).where, { Name: text })).toBe(true);
  });

  it('LIKE agrees with a straightforward matcher on random inputs (property)', () => {
    const naive = (p: string, t: string): boolean => {
      if (p === '') return t === '';
      if (p[0] === '%') return [...Array(t.length + 1).keys()].some((k) => naive(p.slice(1), t.slice(k)));
      return t !== '' && (p[0] === '_' || p[0] === t[0]) && naive(p.slice(1), t.slice(1));
    };
    fc.assert(fc.property(fc.stringMatching(/^[ab%_]{0,7}$/), fc.stringMatching(/^[ab]{0,7}$/), (p, t) => wqlLike(p, t) === naive(p, t)), { numRuns: 1000 });
  });

  it('projects the selected properties with the instance\'s spelling', () => {
    expect(wqlProject(parseWql('SELECT name, PROCESSID FROM P'), proc)).toEqual({ Name: 'sshd', ProcessId: 812 });
    expect(wqlProject(parseWql('SELECT * FROM P'), proc)).toEqual(proc);
  });
});
