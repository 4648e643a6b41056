/** The conformance reports (table, JSON, JUnit, HTML rendered in jsdom) and the CLI's exit code. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { runConformance, reportTable, reportJson, reportJunit, reportHtml, type Report } from '../../src/conformance/index.js';
import { parseXml } from '../../src/core/xml.js';
import { startListener, type TestListener } from '../server/helpers.js';
import { brokenServer, type BrokenServer } from './helpers.js';
import { CLI } from '../helpers/cli.js';

let listener: TestListener;
let broken: BrokenServer;
let report: Report;

beforeAll(async () => {
  listener = await startListener();
  // Drops RelatesTo: a must-check fails, so reports have a failure to show.
  broken = await brokenServer(listener.url, (a) => ({ ...a, body: a.body.replace(/<a:RelatesTo>[^<]*<\/a:RelatesTo>/, '') }));
  report = await runConformance({ url: broken.url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true }, only: ['envelope', 'identify', 'faults'] });
}, 60_000);

afterAll(async () => {
  await broken.close();
  await listener.stop();
});

describe('reports', () => {
  it('the table has one row per check and a summary line', () => {
    const t = reportTable(report);
    for (const c of report.checks) expect(t).toMatch(new RegExp(`${c.status.toUpperCase()}\\s+${c.id}\\s`));
    expect(t).toContain(`${report.summary.pass} passed, ${report.summary.fail} failed`);
  });

  it('the JSON has the profile and a checks array with id, title, category, severity, status, reason, spec and duration', () => {
    const j = JSON.parse(reportJson(report)) as { profile: string; checks: Record<string, unknown>[] };
    expect(j.profile).toBe('winrm');
    expect(j.checks).toHaveLength(report.checks.length);
    for (const c of j.checks) {
      expect(Object.keys(c).sort()).toEqual(['category', 'durationMs', 'id', 'reason', 'severity', 'spec', 'status', 'title']);
      expect(typeof c.durationMs).toBe('number');
    }
    expect(j.checks.find((c) => c.id === 'ENV-001')?.status).toBe('fail');
  });

  it('the JUnit XML counts tests, failures and skips per suite', () => {
    const root = parseXml(reportJunit(report));
    expect(root.name).toBe('testsuites');
    const cases = root.children.flatMap((s) => s.children);
    expect(cases).toHaveLength(report.checks.length);
    const failures = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
    expect(failures.map((c) => c.attrs.find((a) => a.name === 'name')?.value.split(' ')[0]).sort()).toEqual(
      report.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort());
    expect(root.attrs.find((a) => a.name === 'failures')?.value).toBe(String(report.summary.fail));
  });

  it('the HTML page renders the results and each check\'s envelopes', () => {
    const dom = new JSDOM(reportHtml(report));
    const doc = dom.window.document;
    const rows = [...doc.querySelectorAll('tbody tr')];
    expect(rows).toHaveLength(report.checks.length);
    const env1 = rows.find((r) => r.children[1]?.textContent === 'ENV-001');
    expect(env1?.className).toBe('fail');
    expect(env1?.querySelector('td.status')?.textContent).toBe('FAIL');
    expect(env1?.querySelector('details pre')?.textContent).toContain('enumeration/Enumerate');
    expect(doc.getElementById('failed')?.textContent).toBe(`${report.summary.fail} failed`);
    expect(doc.getElementById('verdict')?.textContent).toMatch(/must-check\(s\) failed/);
    // Self-contained: no external scripts, styles or images.
    expect(doc.querySelectorAll('script[src], link[rel=stylesheet], img').length).toBe(0);
  });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, WSMAN_PASSWORD: 'secret' },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('wsman conformance', () => {
  it('exits 0 against our listener and writes the JSON, JUnit and HTML reports', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsman-conf-'));
    const r = await cli(['conformance', listener.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--only', 'envelope', 'faults', '--json',
      '--junit', path.join(dir, 'r.xml'), '--html', path.join(dir, 'r.html')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { checks: { status: string }[] };
    expect(j.checks.length).toBeGreaterThan(10);
    expect(readFileSync(path.join(dir, 'r.xml'), 'utf8')).toContain('<testsuites');
    expect(readFileSync(path.join(dir, 'r.html'), 'utf8')).toContain('<table>');
  }, 60_000);

  it('exits 1 and names the defect against a broken server', async () => {
    const r = await cli(['conformance', broken.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--only', 'envelope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+ENV-001/);
  }, 60_000);

  it('refuses an unknown category as a usage error (exit 255, one line)', async () => {
    const r = await cli(['conformance', listener.url, '--only', 'nonsense']);
    expect(r.code).toBe(255);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('unknown category');
  }, 30_000);
});

describe('reports of a run with every kind of result', () => {
  const base = { category: 'faults' as const, spec: 'DSP0226', exchanges: [] };
  const synthetic: Report = {
    target: 'http://example.invalid/wsman', profile: 'dsp0226', started: new Date(0).toISOString(), durationMs: 1500,
    checks: [
      { ...base, id: 'A-1', title: 'passes', severity: 'must', status: 'pass', reason: '', durationMs: 12 },
      { ...base, id: 'A-2', title: 'skipped', severity: 'must', status: 'skip', reason: 'not here', durationMs: 0 },
      { ...base, id: 'A-3', title: 'should fails', severity: 'should', status: 'fail', reason: 'soft', durationMs: 250 },
      { ...base, id: 'A-4', title: 'must fails', severity: 'must', status: 'fail', reason: 'hard', durationMs: 1000 },
    ],
    summary: { pass: 1, fail: 2, skip: 1, mustFailed: 1 },
  };

  it('JUnit: a failed should-check is a skip with its reason (CI fails only on must-checks, as the exit code), and every case has its time', () => {
    const root = parseXml(reportJunit(synthetic));
    const cases = root.children.flatMap((s) => s.children);
    const byId = (id: string) => cases.find((c) => c.attrs.find((a) => a.name === 'name')?.value.startsWith(`${id} `));
    expect(byId('A-3')?.children.map((c) => c.name)).toEqual(['skipped', 'system-out']);
    expect(byId('A-3')?.children[0]?.attrs.find((a) => a.name === 'message')?.value).toBe('should-check failed: soft');
    expect(byId('A-4')?.children.map((c) => c.name)).toEqual(['failure']);
    expect(byId('A-4')?.attrs.find((a) => a.name === 'time')?.value).toBe('1.000');
    expect(root.attrs.find((a) => a.name === 'failures')?.value).toBe('1');
    expect(root.attrs.find((a) => a.name === 'skipped')?.value).toBe('2');
  });

  it('HTML: failures first (must, then should), then passes and skips; the buttons show one status', () => {
    const dom = new JSDOM(reportHtml(synthetic), { runScripts: 'dangerously' });
    const doc = dom.window.document;
    const ids = (): string[] => [...doc.querySelectorAll('tbody tr')].filter((r) => !(r as HTMLElement).hidden).map((r) => r.children[1]?.textContent ?? '');
    expect(ids()).toEqual(['A-4', 'A-3', 'A-1', 'A-2']);
    (doc.querySelector('button[data-show="fail"]') as HTMLElement).click();
    expect(ids()).toEqual(['A-4', 'A-3']);
    (doc.querySelector('button[data-show="all"]') as HTMLElement).click();
    expect(ids()).toHaveLength(4);
    expect(doc.getElementById('verdict')?.className).toBe('bad');
  });

  it('the table\'s summary names the profile', () => {
    expect(reportTable(synthetic)).toMatch(/1 passed, 2 failed, 1 skipped \(1 must-check\(s\) failed\) against http:\/\/example.invalid\/wsman \(profile dsp0226\)/);
  });
});
