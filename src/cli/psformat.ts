/**
 * PowerShell's default view (Out-Default) of deserialized objects, for `wsman invoke` and session
 * receives: strings and primitives as pwsh prints them (src/cli/pstext.ts; $null as nothing, a
 * byte array a byte a line), a DateTime (Get-Date) as its DateTime view after its DisplayHint, a
 * TimeSpan as its list, a Guid or Version as its table, an object with up to four properties in a
 * table (consecutive objects with the same properties share one table, numbers right-aligned, as
 * Format-Table), one with five or more as a property list (Format-List), a hashtable as its Name /
 * Value table, fitted to the terminal's width (src/cli/pslayout.ts); error records as PowerShell 7's ConciseView (`Write-Error: message`); values as
 * JSON lines with their type names for `--json`.
 */
import { PSDateTime, PSObject, PSPrimitive, type PSValue } from '../psrp/clixml/model.js';
import { dateTimeView, valueText } from './pstext.js';
import { dictionary, list, table } from './pslayout.js';

export { valueText } from './pstext.js';

/** The DateTime of a value that is one ([datetime], or Get-Date's object with its DisplayHint). */
function dateOf(v: PSValue): PSDateTime | undefined {
  const p = v instanceof PSObject ? v.value : v;
  return p instanceof PSPrimitive && p.value instanceof PSDateTime ? p.value : undefined;
}

/** The type name the deserializer gives a member set among an object's members. */
const MEMBER_SET = 'System.Management.Automation.PSMemberSet';

/** The group name of consecutive dates in the default view. */
const DATES = '\0DateTime';

const TICKS_PER = { Day: 864_000_000_000, Hour: 36_000_000_000, Minute: 600_000_000, Second: 10_000_000, Millisecond: 10_000 } as const;

/** The properties PowerShell's default view shows for a primitive it prints as an object (TimeSpan, Guid, Version). */
function primitiveProperties(v: PSValue): Array<[string, PSValue]> {
  const p = v instanceof PSObject ? v.value : v;
  if (!(p instanceof PSPrimitive)) return [];
  if (p.tag === 'G') return [['Guid', p.value as string]];
  if (p.tag === 'Version') {
    // The Version view's columns are left-aligned.
    const [major, minor, build, revision] = [...(p.value as string).split('.'), '-1', '-1'];
    return [['Major', major!], ['Minor', minor!], ['Build', build!], ['Revision', revision!]];
  }
  if (p.tag === 'TS') {
    const ticks = Number(p.value as bigint);
    const part = (unit: number, mod: number): number => Math.trunc(ticks / unit) % mod;
    const total = (unit: number): PSValue => new PSPrimitive('Db', ticks / unit);
    return [
      ['Days', Math.trunc(ticks / TICKS_PER.Day)], ['Hours', part(TICKS_PER.Hour, 24)], ['Minutes', part(TICKS_PER.Minute, 60)],
      ['Seconds', part(TICKS_PER.Second, 60)], ['Milliseconds', part(TICKS_PER.Millisecond, 1000)], ['Ticks', new PSPrimitive('I64', p.value as bigint)],
      ['TotalDays', total(TICKS_PER.Day)], ['TotalHours', total(TICKS_PER.Hour)], ['TotalMinutes', total(TICKS_PER.Minute)],
      ['TotalSeconds', total(TICKS_PER.Second)], ['TotalMilliseconds', total(TICKS_PER.Millisecond)],
    ];
  }
  return [];
}

/** The properties PowerShell shows for an object: adapted then extended, in order. */
function properties(v: PSObject): Array<[string, PSValue]> {
  // A member set (PSStandardMembers) is no property to show.
  return [...v.adapted, ...v.extended].filter(([, x]) => !(x instanceof PSObject && x.typeNames[0] === MEMBER_SET));
}

/**
 * The default view of a stream of output objects. `write` returns the text to print now; objects
 * that go in a table wait until one with other properties comes, or `end()`.
 */
export class DefaultView {
  private names: string[] | undefined;
  private rows: PSValue[][] = [];

  /** `width`: the terminal's columns, which tables and lists fit in (none: lines as long as they come). */
  constructor(readonly width?: number) {}

  /** Text for one output object (may be empty while a table collects its rows). */
  write(v: PSValue): string {
    if (v === null) return '';
    if (v instanceof PSObject && v.list && !v.dict) return v.list.map((x) => this.write(x)).join('');
    if (v instanceof Uint8Array) return v.length ? this.end() + [...v].map((b) => `${b}\n`).join('') : '';
    const date = dateOf(v);
    if (date) {
      const hint = v instanceof PSObject ? v.get('DisplayHint') : undefined;
      const text = `${dateTimeView(date, hint === undefined || hint === null ? undefined : valueText(hint))}\n`;
      if (this.names?.[0] === DATES) return this.rows.push([text]), '';
      const before = this.end();
      this.names = [DATES];
      this.rows = [[text]];
      return before;
    }
    const props = v instanceof PSObject && !v.dict && (v.value === undefined || v.value === null) ? properties(v) : primitiveProperties(v);
    if (props.length && props.length <= 4) {
      const names = props.map(([k]) => k);
      const flushed = this.names && this.names.join('\0') !== names.join('\0') ? this.end() : '';
      this.names = names;
      this.rows.push(props.map(([, x]) => x));
      return flushed;
    }
    const before = this.end();
    if (v instanceof PSObject && v.dict) return before + (v.dict.length ? dictionary(v.dict, this.width) : '');
    if (props.length) return before + list(props, this.width);
    return `${before}${valueText(v)}\n`;
  }

  /** The table being collected, if any. */
  end(): string {
    if (!this.names) return '';
    const out = this.names[0] === DATES ? `\n${this.rows.map(([t]) => t as string).join('')}\n` : table(this.names, this.rows, this.width);
    this.names = undefined;
    this.rows = [];
    return out;
  }
}

/** PowerShell's default view of a single object (a table or list of its properties, or its text). */
export function formatObject(v: PSValue): string {
  const view = new DefaultView();
  return view.write(v) + view.end();
}

/** A value as JSON: objects keep their type names under `$types`. */
export function jsonValue(v: PSValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof PSPrimitive) return v.toJSON();
  if (v instanceof PSObject) {
    const out: Record<string, unknown> = { $types: v.typeNames };
    if (v.toStringText !== undefined) out.$toString = v.toStringText;
    if (v.value !== undefined) out.$value = jsonValue(v.value);
    if (v.list) out.$items = v.list.map(jsonValue);
    if (v.dict) out.$entries = v.dict.map(([k, x]) => [jsonValue(k), jsonValue(x)]);
    for (const [k, x] of [...v.adapted, ...v.extended]) out[k] = jsonValue(x);
    return out;
  }
  if (typeof v === 'object') return JSON.parse(JSON.stringify(v)) as unknown;
  return v;
}

/**
 * An error record as PowerShell 7's ConciseView prints it: `Activity: message` (the command that
 * wrote it, e.g. `Write-Error: oops`), or the exception's type for one without (a `throw` gives
 * `Exception: boom`).
 */
export function formatErrorRecord(message: string, record: PSValue | undefined, _fullyQualifiedErrorId?: string | null): string {
  const get = (o: PSValue | undefined, n: string): PSValue | undefined => (o instanceof PSObject ? o.get(n) : undefined);
  const activity = get(record, 'ErrorCategory_Activity');
  let prefix = typeof activity === 'string' && activity ? activity : '';
  if (!prefix) {
    const ex = get(record, 'Exception');
    const type = ex instanceof PSObject ? ex.typeNames[0]?.replace(/^Deserialized\./, '') : undefined;
    const short = type?.split('.').pop();
    prefix = !short || short === 'RuntimeException' ? 'Exception' : short;
  }
  return `${prefix}: ${message}\n`;
}
