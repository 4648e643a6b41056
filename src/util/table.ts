/**
 * Tables in PowerShell's Format-Table style: a header row, a row of dashes under each header,
 * columns padded to the widest cell, the last column left ragged.
 */
export function formatTable(columns: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  const cells = rows.map((r) => columns.map((_, i) => String(r[i] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (vals: readonly string[]): string =>
    vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join(' ').trimEnd();
  return [line(columns), line(columns.map((c, i) => '-'.repeat(Math.max(c.length, Math.min(widths[i] ?? 0, c.length))))), ...cells.map(line)].join('\n');
}
