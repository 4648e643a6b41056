/**
 * Format-Table and Format-List text of the default view, fitted to a terminal's width as
 * PowerShell fits them: table columns keep their widths from the left, the first that does not fit
 * is cut to the room left (its text ending in `…`) and the ones after it are left out; a list's
 * values wrap under their first line. Without a width nothing is cut.
 */
import type { PSValue } from '../psrp/clixml/model.js';
import { PSPrimitive } from '../psrp/clixml/model.js';
import { valueText } from './pstext.js';

/** A column narrower than this (when cut) is left out instead. */
const MIN_CUT = 4;

const isNumber = (v: PSValue | undefined): boolean =>
  typeof v === 'number' || (v instanceof PSPrimitive && ['By', 'SB', 'I16', 'U16', 'U32', 'I64', 'U64', 'Sg', 'Db', 'D'].includes(v.tag));

/** `s` cut to `w` characters, its last one `…` when cut. */
const cut = (s: string, w: number): string => (s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s);

/** The column widths that fit in `max` (a space between columns): fewer columns when some do not fit. */
function fit(widths: number[], max: number | undefined): number[] {
  if (max === undefined) return widths;
  const out: number[] = [];
  let used = 0;
  for (const w of widths) {
    const room = max - used - (out.length ? 1 : 0);
    if (w <= room) out.push(w);
    else {
      if (room >= Math.min(w, MIN_CUT) || !out.length) out.push(Math.max(1, room));
      break;
    }
    used += (out.length > 1 ? 1 : 0) + w;
  }
  return out;
}

/** Format-Table of objects with the same property names, `max` characters a line at most. */
export function table(names: string[], rows: PSValue[][], max?: number): string {
  const cells = rows.map((r) => r.map((x) => valueText(x).replace(/\r?\n/g, ' ')));
  const right = names.map((_, i) => rows.every((r) => r[i] === null || r[i] === undefined || isNumber(r[i])) && rows.some((r) => isNumber(r[i])));
  const widths = fit(names.map((n, i) => Math.max(n.length, ...cells.map((c) => c[i]!.length))), max);
  const line = (values: string[]): string =>
    widths.map((w, i) => {
      const s = cut(values[i]!, w);
      return right[i] ? s.padStart(w) : i === widths.length - 1 ? s : s.padEnd(w);
    }).join(' ').trimEnd();
  return `\n${line(names)}\n${line(names.map((n) => '-'.repeat(n.length)))}\n${cells.map(line).join('\n')}\n\n`;
}

/** Format-List of one object; a value longer than the room left wraps, indented under its first line. */
export function list(props: Array<[string, PSValue]>, max?: number): string {
  const width = Math.max(...props.map(([k]) => k.length));
  const room = max === undefined ? Infinity : Math.max(8, max - width - 3);
  const entry = ([k, x]: [string, PSValue]): string => {
    const lines = valueText(x).split(/\r?\n/).flatMap((l) => {
      const parts: string[] = [];
      for (let i = 0; i < l.length || i === 0; i += room) parts.push(l.slice(i, i + room));
      return parts;
    });
    return [`${k.padEnd(width)} : ${lines[0]}`, ...lines.slice(1).map((l) => `${' '.repeat(width + 3)}${l}`)].join('\n');
  };
  return `\n${props.map(entry).join('\n')}\n\n`;
}

/** A hashtable (or any dictionary) as PowerShell shows it: Name and Value columns. */
export function dictionary(entries: Array<[PSValue, PSValue]>, max?: number): string {
  const names = entries.map(([k]) => valueText(k));
  const values = entries.map(([, x]) => valueText(x).replace(/\r?\n/g, ' '));
  const widths = fit([Math.max(30, ...names.map((n) => n.length)), Math.max(5, ...values.map((v) => v.length))], max);
  const line = (n: string, v: string): string => (widths.length > 1 ? `${cut(n, widths[0]!).padEnd(widths[0]!)} ${cut(v, widths[1]!)}` : cut(n, widths[0]!)).trimEnd();
  return `\n${line('Name', 'Value')}\n${line('----', '-----')}\n${names.map((n, i) => line(n, values[i]!)).join('\n')}\n\n`;
}
