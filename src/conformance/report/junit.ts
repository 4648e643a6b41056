/**
 * JUnit XML for CI systems: one testsuite per category, one testcase per check, each with its time.
 * A failed should-check is reported as `<skipped>` with its reason (and in `<system-out>`), so that
 * CI reads the report as the exit code does: only must-checks fail a run.
 */
import { el, serializeXml, type XNode } from '../../core/xml.js';
import type { CheckResult, Report } from '../types.js';

const seconds = (ms: number): string => (ms / 1000).toFixed(3);
const failing = (c: CheckResult): boolean => c.status === 'fail' && c.severity === 'must';
const skipped = (c: CheckResult): boolean => c.status === 'skip' || (c.status === 'fail' && c.severity !== 'must');

function testcase(c: CheckResult): XNode {
  return el('testcase', { classname: `wsman-conformance.${c.category}`, name: `${c.id} ${c.title} [${c.severity}]`, time: seconds(c.durationMs) },
    failing(c) && el('failure', { message: c.reason, type: c.severity }, `${c.reason}\nSpec: ${c.spec}`),
    c.status === 'skip' && el('skipped', { message: c.reason }),
    c.status === 'fail' && c.severity !== 'must' && el('skipped', { message: `should-check failed: ${c.reason}` }),
    c.status === 'fail' && c.severity !== 'must' && el('system-out', {}, `should-check failed: ${c.reason}\nSpec: ${c.spec}`));
}

export function reportJunit(report: Report): string {
  const categories = [...new Set(report.checks.map((c) => c.category))];
  const suites: XNode[] = categories.map((cat) => {
    const checks = report.checks.filter((c) => c.category === cat);
    return el('testsuite', {
      name: `wsman-conformance.${cat}`,
      tests: checks.length,
      failures: checks.filter(failing).length,
      skipped: checks.filter(skipped).length,
      time: seconds(checks.reduce((t, c) => t + c.durationMs, 0)),
    }, ...checks.map(testcase));
  });
  const root = el('testsuites', {
    name: `wsman conformance ${report.target}`,
    tests: report.checks.length,
    failures: report.checks.filter(failing).length,
    skipped: report.checks.filter(skipped).length,
    time: seconds(report.durationMs),
  }, ...suites);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeXml(root)}\n`;
}
