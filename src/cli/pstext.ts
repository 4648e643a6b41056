/**
 * Deserialized values as text the way PowerShell 7 prints them for the en-US culture (ICU data, as
 * pwsh on Linux shows them): `True`/`False`, doubles as .NET's shortest round-trip text (`1E+15`,
 * `1E-05`), [char] as its character, enums by name, a DateTime as its ToString (`1/2/2020 3:04:05 AM`)
 * or, standing alone, as its DateTime view (`Thursday, January 2, 2020 3:04:05 AM`), a TimeSpan as
 * `[-][d.]hh:mm:ss[.fffffff]`, collections as `{a, b}`.
 */
import { PSDateTime, PSObject, PSPrimitive, UNIX_EPOCH_TICKS, type PSValue } from '../psrp/clixml/model.js';
import { shortestExponential } from '../psrp/clixml/text.js';

/** The space .NET's en-US ICU data puts before AM/PM (U+202F NARROW NO-BREAK SPACE). */
const AMPM_SPACE = '\u202f';
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * The wall-clock fields of a DateTime: a Local one in this machine's zone (PowerShell converts it
 * when it deserializes it), a Utc or Unspecified one as it was written.
 */
function fields(d: PSDateTime): { y: number; mo: number; day: number; wd: number; h: number; mi: number; s: number } {
  if (d.kind === 'Local') {
    const l = d.toDate();
    return { y: l.getFullYear(), mo: l.getMonth(), day: l.getDate(), wd: l.getDay(), h: l.getHours(), mi: l.getMinutes(), s: l.getSeconds() };
  }
  const t = new Date(Number((d.ticks - UNIX_EPOCH_TICKS) / 10_000n));
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth(), day: t.getUTCDate(), wd: t.getUTCDay(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** en-US long time: `3:04:05 AM`. */
function longTime(d: PSDateTime): string {
  const f = fields(d);
  return `${f.h % 12 || 12}:${two(f.mi)}:${two(f.s)}${AMPM_SPACE}${f.h < 12 ? 'AM' : 'PM'}`;
}

/** A DateTime's ToString in en-US: `1/2/2020 3:04:05 AM`. */
export function dateTimeText(d: PSDateTime): string {
  const f = fields(d);
  return `${f.mo + 1}/${f.day}/${f.y} ${longTime(d)}`;
}

/**
 * PowerShell's DateTime view (Get-Date at the prompt) in en-US, after the DisplayHint:
 * `Thursday, January 2, 2020 3:04:05 AM`, its Date part, or its Time part.
 */
export function dateTimeView(d: PSDateTime, hint: string | undefined): string {
  const f = fields(d);
  const date = `${DAYS[f.wd]}, ${MONTHS[f.mo]} ${f.day}, ${f.y}`;
  if (hint === 'Date') return date;
  if (hint === 'Time') return longTime(d);
  return `${date} ${longTime(d)}`;
}

/** A TimeSpan's ToString: `[-][d.]hh:mm:ss[.fffffff]` from ticks of 100 ns. */
export function timeSpanText(ticks: bigint): string {
  const neg = ticks < 0n;
  let t = neg ? -ticks : ticks;
  const frac = t % 10_000_000n;
  t /= 10_000_000n;
  const s = Number(t % 60n);
  const m = Number((t / 60n) % 60n);
  const h = Number((t / 3600n) % 24n);
  const days = t / 86_400n;
  return `${neg ? '-' : ''}${days ? `${days}.` : ''}${two(h)}:${two(m)}:${two(s)}${frac ? `.${String(frac).padStart(7, '0')}` : ''}`;
}

/** A double as .NET Core prints it: shortest round-trip digits, `E+15`/`E-05` outside 1e-5…1e15. */
export function doubleText(x: number, single = false): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const digits = shortestExponential(x, single);
  const [mant, expText] = digits.split('e') as [string, string];
  const exp = Number(expText);
  if (exp >= 15 || exp < -4) return `${mant.replace(/\.?0+$/, (z) => (mant.includes('.') ? '' : z))}E${exp < 0 ? '-' : '+'}${two(Math.abs(exp))}`;
  return String(Number(digits));
}

/** A CLIXML primitive as PowerShell prints it. */
export function primitiveText(p: PSPrimitive): string {
  switch (p.tag) {
    case 'C': return String.fromCharCode(p.value as number);
    case 'Db': return doubleText(p.value as number);
    case 'Sg': return doubleText(p.value as number, true);
    case 'DT': return dateTimeText(p.value as PSDateTime);
    case 'TS': return timeSpanText(p.value as bigint);
    default: return String(p.value);
  }
}

/** A value as one line of text, as PowerShell shows it in a table cell or list (its ToString; `{a, b}` for a collection). */
export function valueText(v: PSValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof Uint8Array) return `{${[...v].join(', ')}}`;
  if (v instanceof PSObject) {
    if (v.list && v.toStringText === undefined) return `{${v.list.map(valueText).join(', ')}}`;
    if (v.toStringText === undefined && v.value !== undefined && v.value !== null) return valueText(v.value);
    return v.toString();
  }
  if (v instanceof PSPrimitive) return primitiveText(v);
  return String(v);
}
