/** JUnit XML for CI systems: one testsuite per category, one testcase per check. */
import { el, serializeXml, type XNode } from '../../core/xml.js';
import type { Report } from '../types.js';

export function reportJunit(report: Report): string {
  const categories = [...new Set(report.checks.map((c) => c.category))];
  const suites: XNode[] = categories.map((cat) => {
    const checks = report.checks.filter((c) => c.category === cat);
    return el('testsuite', {
      name: `wsman-conformance.${cat}`,
      tests: checks.length,
      failures: checks.filter((c) => c.status === 'fail').length,
      skipped: checks.filter((c) => c.status === 'skip').length,
    }, ...checks.map((c) => el('testcase', { classname: `wsman-conformance.${cat}`, name: `${c.id} ${c.title} [${c.severity}]` },
      c.status === 'fail' && el('failure', { message: c.reason, type: c.severity }, `${c.reason}\nSpec: ${c.spec}`),
      c.status === 'skip' && el('skipped', { message: c.reason }))));
  });
  const root = el('testsuites', {
    name: `wsman conformance ${report.target}`,
    tests: report.checks.length,
    failures: report.summary.fail,
    skipped: report.summary.skip,
    time: (report.durationMs / 1000).toFixed(3),
  }, ...suites);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeXml(root)}\n`;
}
