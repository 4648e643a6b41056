/**
 * Text forms of CLIXML primitives (MS-PSRP 2.2.5.1) and the string escaping of 2.2.5.3.2, written
 * the way .NET's XmlConvert writes them so that a value PowerShell sent is sent back unchanged.
 * Parsers throw a plain Error with a reason; the deserializer turns it into a PsrpProtocolError.
 */
import { PSDateTime, setDateTimeFormatter, UNIX_EPOCH_TICKS, type DateTimeKind } from './model.js';

// ---- 2.2.5.3.2 string encoding ------------------------------------------------------------------

/**
 * Characters PowerShell writes as `_xHHHH_`: C0 and C1 controls, each half of a surrogate pair,
 * and the two non-characters XML cannot carry; a literal `_x` (or `_X`) becomes `_x005F_x`.
 *   "a\tb_x" -> `a_x0009_b_x005F_x`;   U+1F600 -> `_xD83D__xDE00_`
 */
// eslint-disable-next-line no-control-regex -- MS-PSRP 2.2.5.3.2 escapes exactly these control characters
const TO_ESCAPE = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]|_(?=[xX])/g;
const ESCAPED = /_[xX]([0-9A-Fa-f]{4})_/g;

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

/** A JS string as CLIXML string content (before XML escaping). */
export function encodeString(s: string): string {
  TO_ESCAPE.lastIndex = 0;
  return TO_ESCAPE.test(s) ? s.replace(TO_ESCAPE, (c) => `_x${hex4(c.charCodeAt(0))}_`) : s;
}

/** CLIXML string content back to the JS string. */
export function decodeString(s: string): string {
  return s.indexOf('_') === -1 ? s : s.replace(ESCAPED, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** XML escaping of text content and of attribute values. */
export function xmlText(s: string): string {
  return /[&<>]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
}
export function xmlAttr(s: string): string {
  return /[&<>"]/.test(s) ? xmlText(s).replace(/"/g, '&quot;') : s;
}

// ---- integers ------------------------------------------------------------------------------------

const INT_RE = /^\s*[+-]?\d+\s*$/;

/** An integer in [min, max] (XmlConvert.ToInt32 and friends). */
export function parseInteger(text: string, min: number, max: number): number {
  if (!INT_RE.test(text) || text.trim().replace(/^[+-]/, '').length > 16) throw new Error(`'${text.slice(0, 40)}' is not an integer`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new Error(`${n} is outside [${min}, ${max}]`);
  return Object.is(n, -0) ? 0 : n;
}

export function parseBigInteger(text: string, min: bigint, max: bigint): bigint {
  if (!INT_RE.test(text) || text.length > 64) throw new Error(`'${text.slice(0, 40)}' is not an integer`);
  const n = BigInt(text.trim());
  if (n < min || n > max) throw new Error(`${n} is outside [${min}, ${max}]`);
  return n;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

// ---- floating point ------------------------------------------------------------------------------

const FLOAT_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Db and Sg text: decimal or exponent form, `INF`, `-INF`, `NaN`. */
export function parseFloatText(text: string, single: boolean): number {
  const t = text.trim();
  let n: number;
  if (t === 'INF' || t === '+INF') n = Infinity;
  else if (t === '-INF') n = -Infinity;
  else if (t === 'NaN') n = NaN;
  else if (FLOAT_RE.test(t) && t.length < 400) n = Number(t);
  else throw new Error(`'${text.slice(0, 40)}' is not a floating-point number`);
  return single ? Math.fround(n) : n;
}

/** The shortest `toExponential` digits that read back to `n` (as a single: through Math.fround). */
export function shortestExponential(n: number, single: boolean): string {
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const s = n.toExponential(p - 1);
      if (Math.fround(Number(s)) === n) return s;
    }
  }
  return n.toExponential();
}

/**
 * As .NET Core's round-trip format (XmlConvert.ToString(double|float)): the shortest digits that
 * read back to the same value, fixed notation for exponents in (-5, P), else `1.5E-07`/`1E+300`;
 * P is 17 for double and 9 for single.  0.1 -> `0.1`, 1e16 -> `10000000000000000`, 1e17 -> `1E+17`.
 */
export function formatFloat(n: number, single: boolean): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'INF';
  if (n === -Infinity) return '-INF';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const sci = shortestExponential(n, single);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(sci)!;
  const sign = m[1]!;
  const digits = (m[2]! + (m[3] ?? '')).replace(/0+$/, '') || '0';
  const e = Number(m[4]);
  if (e > -5 && e < (single ? 9 : 17)) {
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
    const int = digits.slice(0, e + 1).padEnd(e + 1, '0');
    const frac = digits.slice(e + 1);
    return sign + int + (frac ? `.${frac}` : '');
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = Math.abs(e).toString().padStart(2, '0');
  return `${sign}${mant}E${e < 0 ? '-' : '+'}${exp}`;
}

const DECIMAL_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;

/** D text: a decimal number (System.Decimal has no exponent form), kept as written. */
export function parseDecimal(text: string): string {
  if (!DECIMAL_RE.test(text) || text.length > 64) throw new Error(`'${text.slice(0, 40)}' is not a decimal`);
  return text.trim();
}

// ---- DateTime (xs:dateTime, round-trip kind) -----------------------------------------------------

const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_DAY = 86_400n * TICKS_PER_SECOND;
const DAYS_0001_TO_1970 = 719_162;

/** Days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const DT_RE = /^\s*(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?\s*$/;
const MAX_TICKS = 3_155_378_975_999_999_999n;

/** DT text: `2020-01-02T03:04:05.1234567Z` (Utc), `…+01:00` (Local), `…` (Unspecified). */
export function parseDateTime(text: string): PSDateTime {
  const m = DT_RE.exec(text);
  if (!m) throw new Error(`'${text.slice(0, 40)}' is not an xs:dateTime`);
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (y! < 1 || mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || s! > 59) throw new Error(`'${text}' is out of range`);
  const days = daysFromCivil(y!, mo!, d!);
  if (civilFromDays(days)[2] !== d) throw new Error(`'${text}' is not a calendar date`);
  const frac = BigInt((m[7] ?? '').padEnd(9, '0').slice(0, 7));
  const ticks = BigInt(days + DAYS_0001_TO_1970) * TICKS_PER_DAY + BigInt(h! * 3600 + mi! * 60 + s!) * TICKS_PER_SECOND + frac;
  const zone = m[8];
  let kind: DateTimeKind = 'Unspecified';
  let offset = 0;
  if (zone === 'Z') kind = 'Utc';
  else if (zone) {
    kind = 'Local';
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) throw new Error(`'${zone}' is not a UTC offset`);
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return new PSDateTime(ticks, kind, offset);
}

const pad = (n: number | bigint, w = 2): string => n.toString().padStart(w, '0');

/** A PSDateTime as .NET writes it (fraction to 7 digits, trailing zeros dropped). */
export function formatDateTime(dt: PSDateTime): string {
  if (dt.ticks < 0n || dt.ticks > MAX_TICKS) throw new RangeError(`DateTime ticks ${dt.ticks} out of range`);
  const days = Number(dt.ticks / TICKS_PER_DAY) - DAYS_0001_TO_1970;
  const rest = dt.ticks % TICKS_PER_DAY;
  const secs = Number(rest / TICKS_PER_SECOND);
  const frac = pad(rest % TICKS_PER_SECOND, 7).replace(/0+$/, '');
  const [y, mo, d] = civilFromDays(days);
  let zone = '';
  if (dt.kind === 'Utc') zone = 'Z';
  else if (dt.kind === 'Local') {
    const a = Math.abs(dt.offsetMinutes);
    zone = `${dt.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}${frac ? `.${frac}` : ''}${zone}`;
}
setDateTimeFormatter(formatDateTime);

/** Milliseconds since 1970 of a Utc PSDateTime (for tests and display). */
export function unixMillis(dt: PSDateTime): bigint {
  return (dt.ticks - UNIX_EPOCH_TICKS) / 10_000n;
}

// ---- TimeSpan (xs:duration) ----------------------------------------------------------------------

const TS_RE = /^\s*(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?\s*$/;

/** TS text to ticks: `PT1.5S`, `P1DT2H3M4.0050006S`, `-PT1.5S`, `PT0S`. Y and M count 365 and 30 days, as .NET does. */
export function parseTimeSpan(text: string): bigint {
  const m = TS_RE.exec(text);
  if (!m || text.trim().endsWith('P') || text.trim().endsWith('T') || text.length > 100) throw new Error(`'${text.slice(0, 40)}' is not an xs:duration`);
  const n = (i: number): bigint => BigInt(m[i] ?? '0');
  const days = n(2) * 365n + n(3) * 30n + n(4);
  const seconds = ((days * 24n + n(5)) * 60n + n(6)) * 60n + n(7);
  const ticks = seconds * TICKS_PER_SECOND + BigInt((m[8] ?? '').padEnd(7, '0').slice(0, 7));
  if (ticks > INT64_MAX) throw new Error(`'${text}' is out of range for a TimeSpan`);
  return m[1] ? -ticks : ticks;
}

/** Ticks as .NET's XmlConvert.ToString(TimeSpan) writes them. */
export function formatTimeSpan(ticks: bigint): string {
  const neg = ticks < 0n;
  let t = neg ? -ticks : ticks;
  const days = t / TICKS_PER_DAY;
  t %= TICKS_PER_DAY;
  const secsTotal = t / TICKS_PER_SECOND;
  const frac = pad(t % TICKS_PER_SECOND, 7).replace(/0+$/, '');
  const h = secsTotal / 3600n;
  const mi = (secsTotal / 60n) % 60n;
  const s = secsTotal % 60n;
  let out = neg ? '-P' : 'P';
  if (days) out += `${days}D`;
  if (h || mi || s || frac) {
    out += 'T';
    if (h) out += `${h}H`;
    if (mi) out += `${mi}M`;
    if (s || frac) out += `${s}${frac ? `.${frac}` : ''}S`;
  }
  return out.endsWith('P') ? `${out}T0S` : out;
}

// ---- Guid, base64, Version -----------------------------------------------------------------------

const GUID_RE = /^\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\s*$/;

export function parseGuid(text: string): string {
  const m = GUID_RE.exec(text);
  if (!m) throw new Error(`'${text.slice(0, 40)}' is not a GUID`);
  return m[1]!.toLowerCase();
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseBase64(text: string): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (t.length % 4 !== 0 || !B64_RE.test(t)) throw new Error('not valid base64');
  return new Uint8Array(Buffer.from(t, 'base64'));
}

export function formatBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

const VERSION_RE = /^\s*(\d{1,10})\.(\d{1,10})(?:\.(\d{1,10})(?:\.(\d{1,10}))?)?\s*$/;

export function parseVersion(text: string): string {
  if (!VERSION_RE.test(text)) throw new Error(`'${text.slice(0, 40)}' is not a version`);
  return text.trim();
}
