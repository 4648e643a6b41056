/**
 * One self-contained HTML page: the summary, a row per check, and under each check the envelopes
 * it exchanged (request and response, pretty-printed), for people who would rather look than read.
 */
import type { Report, CheckResult, Exchange } from '../types.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Line breaks between tags, so an envelope reads as a tree. */
function pretty(xml: string): string {
  if (!xml.startsWith('<')) return xml;
  let depth = 0;
  return xml.replace(/>\s*</g, '>\n<').split('\n').map((line) => {
    if (/^<\//.test(line)) depth = Math.max(0, depth - 1);
    const out = `${'  '.repeat(depth)}${line}`;
    if (/^<[^!?/][^>]*[^/]>$/.test(line) && !/<\/[^>]+>$/.test(line)) depth++;
    return out;
  }).join('\n');
}

function exchangeHtml(x: Exchange): string {
  const req = `<h4>Request: ${esc(x.label)}</h4><pre>${esc(pretty(x.request.body))}</pre>`;
  const res = x.response
    ? `<h4>Response: HTTP ${x.response.status}</h4><pre>${esc(pretty(x.response.body))}</pre>`
    : `<h4>No response</h4><pre>${esc(x.error ?? '')}</pre>`;
  return `<div class="exchange">${req}${res}</div>`;
}

function checkHtml(c: CheckResult): string {
  return `<tr class="${c.status}"><td class="status">${c.status.toUpperCase()}</td><td>${esc(c.id)}</td><td>${esc(c.category)}</td>` +
    `<td>${c.severity}</td><td>${esc(c.title)}<details><summary>${c.exchanges.length} exchange(s) · ${esc(c.spec)}</summary>` +
    `${c.exchanges.map(exchangeHtml).join('')}</details></td><td>${esc(c.reason)}</td></tr>`;
}

export function reportHtml(report: Report): string {
  const s = report.summary;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WS-Management conformance: ${esc(report.target)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
tr.pass td.status{color:#176f2c;font-weight:bold}tr.fail td.status{color:#b00020;font-weight:bold}tr.skip td.status{color:#777}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12px;max-height:30em}
.summary span{margin-right:1.5em;font-size:1.2em}
</style></head><body>
<h1>WS-Management conformance</h1>
<p>Target <code>${esc(report.target)}</code>, started ${esc(report.started)}, ${(report.durationMs / 1000).toFixed(1)} s.</p>
<p class="summary"><span id="passed">${s.pass} passed</span><span id="failed">${s.fail} failed</span><span id="skipped">${s.skip} skipped</span>
<span id="verdict">${s.mustFailed ? `${s.mustFailed} must-check(s) failed` : 'every must-check passed'}</span></p>
<table><thead><tr><th>Result</th><th>Id</th><th>Category</th><th>Severity</th><th>Check</th><th>Reason</th></tr></thead>
<tbody>
${report.checks.map(checkHtml).join('\n')}
</tbody></table></body></html>
`;
}
