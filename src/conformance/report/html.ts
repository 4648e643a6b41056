/**
 * One self-contained HTML page: a coloured summary, a row per check (failures first: must, then
 * should; then passes and skips), buttons that show only one status, and under each check the
 * envelopes it exchanged (request and response, pretty-printed), for people who would rather look
 * than read.
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

/** Failed must-checks, failed should-checks, passes, skips; catalogue order within each. */
function rank(c: CheckResult): number {
  if (c.status === 'fail') return c.severity === 'must' ? 0 : 1;
  return c.status === 'pass' ? 2 : 3;
}

function checkHtml(c: CheckResult): string {
  return `<tr class="${c.status}" data-status="${c.status}"><td class="status">${c.status.toUpperCase()}</td><td>${esc(c.id)}</td><td>${esc(c.category)}</td>` +
    `<td>${c.severity}</td><td>${esc(c.title)}<details><summary>${c.exchanges.length} exchange(s) · ${esc(c.spec)}</summary>` +
    `${c.exchanges.map(exchangeHtml).join('')}</details></td><td>${esc(c.reason)}</td><td class="time">${(c.durationMs / 1000).toFixed(2)} s</td></tr>`;
}

export function reportHtml(report: Report): string {
  const s = report.summary;
  const ordered = report.checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WS-Management conformance: ${esc(report.target)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
tr.pass td.status{color:#176f2c;font-weight:bold}tr.fail td.status{color:#b00020;font-weight:bold}tr.skip td.status{color:#777}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12px;max-height:30em}
.summary span{margin-right:1em;font-size:1.2em;padding:.2em .6em;border-radius:.3em}
#passed{background:#e3f4e7;color:#176f2c}#failed{background:#fde7ea;color:#b00020}#skipped{background:#eee;color:#555}
#verdict.bad{background:#b00020;color:#fff}#verdict.good{background:#176f2c;color:#fff}
.filter button{margin-right:.4em}.filter button.on{font-weight:bold}td.time{white-space:nowrap;color:#777}
</style></head><body>
<h1>WS-Management conformance</h1>
<p>Target <code>${esc(report.target)}</code>${report.vendor ? ` (${esc(report.vendor)})` : ''}, judged by <b>${esc(report.profile)}</b>${report.resourceUri ? `, resource <code>${esc(report.resourceUri)}</code>` : ''}; started ${esc(report.started)}, ${(report.durationMs / 1000).toFixed(1)} s.</p>
<p class="summary"><span id="passed">${s.pass} passed</span><span id="failed">${s.fail} failed</span><span id="skipped">${s.skip} skipped</span>
<span id="verdict" class="${s.mustFailed ? 'bad' : 'good'}">${s.mustFailed ? `${s.mustFailed} must-check(s) failed` : 'every must-check passed'}</span></p>
<p class="filter">Show: <button class="on" data-show="all">all</button><button data-show="fail">failed</button><button data-show="pass">passed</button><button data-show="skip">skipped</button></p>
<table><thead><tr><th>Result</th><th>Id</th><th>Category</th><th>Severity</th><th>Check</th><th>Reason</th><th>Time</th></tr></thead>
<tbody>
${ordered.map(checkHtml).join('\n')}
</tbody></table>
<script>
for (const b of document.querySelectorAll('.filter button')) b.addEventListener('click', () => {
  for (const o of document.querySelectorAll('.filter button')) o.classList.toggle('on', o === b);
  for (const r of document.querySelectorAll('tbody tr')) r.hidden = b.dataset.show !== 'all' && r.dataset.status !== b.dataset.show;
});
</script></body></html>
`;
}
