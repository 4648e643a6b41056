/**
 * xs:duration, booleans and MessageIDs as WS-Management writes them (protocol.md §1.5).
 * Durations are carried as milliseconds.
 */

const DURATION_RE = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

function num(v: string | undefined): number {
  return v === undefined ? 0 : Number(v);
}

/**
 * Parse any xs:duration (`PT20S`, `PT1M`, `PT60.000S`, `P0DT0H0M9S`, `P1D`) to milliseconds.
 * Years count 365 days and months 30, as no calendar anchors them. Returns undefined when the
 * text is not a duration. Negative durations parse to negative numbers; callers decide.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  const m = DURATION_RE.exec(s);
  if (!m || s === 'P' || s === '-P' || s.endsWith('T')) return undefined;
  const [, neg, y, mo, w, d, h, mi, sec] = m;
  const ms =
    num(y) * 365 * 86_400_000 +
    num(mo) * 30 * 86_400_000 +
    num(w) * 7 * 86_400_000 +
    num(d) * 86_400_000 +
    num(h) * 3_600_000 +
    num(mi) * 60_000 +
    num(sec) * 1000;
  if (!Number.isFinite(ms)) return undefined;
  const rounded = Math.round(ms);
  return neg ? -rounded : rounded;
}

/** Windows' timeout form: `PT7200.000S` (PowerShell's client reads exactly 3 digits after the dot). */
export function formatTimeout(ms: number): string {
  // Round to whole milliseconds first (999.6 must not become `PT0.1000S`); the sign goes before P.
  const t = Math.round(ms);
  const a = Math.abs(t);
  return `${t < 0 ? '-' : ''}PT${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}S`;
}

/** Windows' run-time form: `P0DT0H1M2S` (ShellRunTime, ShellInactivity). */
export function formatRunTime(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `P${d}DT${h}H${m}M${s}S`;
}

/** Short client form, as pywinrm and pypsrp write OperationTimeout: `PT20S`, `PT1.5S`. */
export function formatDurationShort(ms: number): string {
  const t = Math.round(ms);
  const secs = Math.abs(t) / 1000;
  return `${t < 0 ? '-' : ''}PT${Number.isInteger(secs) ? secs : secs.toFixed(3)}S`;
}

/** xs:boolean in any case (`true`, `TRUE`, `True`, `1`). Undefined when it is not a boolean. */
export function parseBoolean(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  switch (text.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      return undefined;
  }
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(text: string): boolean {
  return GUID_RE.test(text);
}

/** A MessageID with or without `uuid:`, normalised to `uuid:` + uppercase GUID when it is one. */
export function normalizeMessageId(text: string): string {
  const t = text.trim();
  const bare = t.toLowerCase().startsWith('uuid:') ? t.slice(5) : t;
  return isGuid(bare) ? `uuid:${bare.toUpperCase()}` : t;
}

/** Two MessageIDs name the same message (case and `uuid:` aside). */
export function sameMessageId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return normalizeMessageId(a) === normalizeMessageId(b);
}
