/** The terminal table and the JSON form of a conformance report. */
import { formatTable } from '../../util/table.js';
import type { Report } from '../types.js';

export function reportTable(report: Report): string {
  const rows = report.checks.map((c) => [c.status.toUpperCase(), c.id, c.severity, c.title, c.reason]);
  const s = report.summary;
  return `${formatTable(['Result', 'Id', 'Severity', 'Check', 'Reason'], rows)}\n\n${s.pass} passed, ${s.fail} failed, ${s.skip} skipped` +
    `${s.mustFailed ? ` (${s.mustFailed} must-check(s) failed)` : ''} against ${report.target} in ${(report.durationMs / 1000).toFixed(1)} s\n`;
}

/** `{ target, started, durationMs, summary, checks: [{id, title, category, severity, status, reason, spec}] }` */
export function reportJson(report: Report): string {
  return `${JSON.stringify({
    target: report.target,
    started: report.started,
    durationMs: report.durationMs,
    summary: report.summary,
    checks: report.checks.map(({ id, title, category, severity, status, reason, spec }) => ({ id, title, category, severity, status, reason, spec })),
  }, null, 2)}\n`;
}
