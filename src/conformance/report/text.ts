/** The terminal table (whole, or a row per check as it finishes) and the JSON form of a conformance report. */
import { formatTable } from '../../util/table.js';
import type { CheckResult, Report } from '../types.js';

const WIDTHS = [6, 10, 7] as const;

/** The header of the rows `formatRow` prints one at a time. */
export const ROW_HEADER = `${'Result'.padEnd(WIDTHS[0])} ${'Id'.padEnd(WIDTHS[1])} ${'Level'.padEnd(WIDTHS[2])} Check — reason`;

/** One check as a line of fixed-width columns, printable before the others are known. */
export function formatRow(c: CheckResult): string {
  const reason = c.reason ? ` — ${c.reason}` : '';
  return `${c.status.toUpperCase().padEnd(WIDTHS[0])} ${c.id.padEnd(WIDTHS[1])} ${c.severity.padEnd(WIDTHS[2])} ${c.title}${reason}`;
}

/** The closing lines: counts, the verdict, the profile and target. */
export function reportSummary(report: Report): string {
  const s = report.summary;
  return `${s.pass} passed, ${s.fail} failed, ${s.skip} skipped${s.mustFailed ? ` (${s.mustFailed} must-check(s) failed)` : ''}` +
    ` against ${report.target} (profile ${report.profile}${report.resourceUri ? `, resource ${report.resourceUri}` : ''}) in ${(report.durationMs / 1000).toFixed(1)} s\n`;
}

export function reportTable(report: Report): string {
  const rows = report.checks.map((c) => [c.status.toUpperCase(), c.id, c.severity, c.title, c.reason]);
  return `${formatTable(['Result', 'Id', 'Severity', 'Check', 'Reason'], rows)}\n\n${reportSummary(report)}`;
}

/** `{ target, profile, vendor, resourceUri, started, durationMs, summary, checks: [{id, title, category, severity, status, reason, spec, durationMs}] }` */
export function reportJson(report: Report): string {
  return `${JSON.stringify({
    target: report.target,
    profile: report.profile,
    vendor: report.vendor,
    resourceUri: report.resourceUri,
    started: report.started,
    durationMs: report.durationMs,
    summary: report.summary,
    checks: report.checks.map(({ id, title, category, severity, status, reason, spec, durationMs }) => ({ id, title, category, severity, status, reason, spec, durationMs })),
  }, null, 2)}\n`;
}
