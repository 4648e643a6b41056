/**
 * The conformance runner against our listener (every must-check passes) and against broken
 * servers (each defect is reported by exactly the checks that cover it).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { runConformance, type Report } from '../../src/conformance/index.js';
import { validateEnvelope } from '../../src/schema/validate.js';
import { startListener, type TestListener } from '../server/helpers.js';
import { brokenServer, noDefect, type Defect } from './helpers.js';

const validate = async (xml: string): Promise<string[]> => (await validateEnvelope(xml)).errors;

let listener: TestListener;

beforeAll(async () => {
  listener = await startListener();
});

afterAll(async () => {
  await listener.stop();
});

function failed(r: Report): string[] {
  return r.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort();
}

function run(url: string, destructive = false): Promise<Report> {
  return runConformance({ url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true }, destructive, validate });
}

describe('against our listener', () => {
  let report: Report;
  beforeAll(async () => {
    report = await run(listener.url, true);
  }, 120_000);

  it('passes every must-check, destructive ones included', () => {
    const mustFailures = report.checks.filter((c) => c.severity === 'must' && c.status === 'fail');
    expect(mustFailures.map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
    expect(report.summary.mustFailed).toBe(0);
  });

  it('runs the shell, disconnect and robustness checks rather than skipping them', () => {
    const ran = report.checks.filter((c) => c.status !== 'skip').map((c) => c.id);
    for (const id of ['SH-003', 'SH-005', 'SH-006', 'SH-009', 'DIS-001', 'DIS-003', 'DIS-004', 'DIS-007', 'ROB-001', 'ROB-003', 'SCHEMA-001']) {
      expect(ran).toContain(id);
    }
  });

  it('fails only the should-check about unencrypted HTTP, which this test listener allows on purpose', () => {
    expect(failed(report)).toEqual(['AUTH-005']);
  });

  it('records the exchanged envelopes of each check', () => {
    const sh = report.checks.find((c) => c.id === 'SH-003');
    expect(sh?.exchanges.some((x) => x.request.body.includes('/windows/shell/Command'))).toBe(true);
    expect(sh?.exchanges.every((x) => !JSON.stringify(x.request.headers).includes(Buffer.from('alice:secret').toString('base64')))).toBe(true);
  });

  it('passes the redirect check when the listener redirects shell Create', async () => {
    const redirecting = await startListener({ redirect: 'http://127.0.0.1:1/wsman' });
    try {
      const r = await runConformance({ url: redirecting.url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true }, destructive: true, only: ['redirect'] });
      expect(r.checks.find((c) => c.id === 'RED-001')?.status).toBe('pass');
    } finally {
      await redirecting.stop();
    }
  }, 60_000);

  it('skips destructive checks without --destructive', async () => {
    const r = await runConformance({ url: listener.url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true }, only: ['shell'] });
    const shell = r.checks.filter((c) => c.category === 'shell');
    expect(shell.length).toBeGreaterThan(5);
    expect(shell.every((c) => c.status === 'skip' && /--destructive/.test(c.reason))).toBe(true);
  });
});

/** Each defect and exactly the checks that must catch it (non-destructive run). */
const DEFECTS: { name: string; defect: Defect; expected: string[] }[] = [
  {
    name: 'drops RelatesTo',
    defect: (a) => ({ ...a, body: a.body.replace(/<a:RelatesTo>[^<]*<\/a:RelatesTo>/, '') }),
    expected: ['ENV-001', 'FLT-011'],
  },
  {
    name: 'reuses one MessageID',
    defect: (a) => ({ ...a, body: a.body.replace(/(<a:MessageID>)[^<]*(<\/a:MessageID>)/, '$1uuid:00000000-0000-0000-0000-000000000001$2') }),
    expected: ['ENV-004'],
  },
  {
    name: 'leaves xml:lang off the Envelope',
    defect: (a) => ({ ...a, body: a.body.replace(/(<s:Envelope[^>]*?) xml:lang="[^"]*"/, '$1') }),
    expected: ['ENV-005'],
  },
  {
    name: 'answers without a charset',
    defect: (a) => ({ ...a, headers: { ...a.headers, 'content-type': 'application/soap+xml' } }),
    expected: ['ENV-006'],
  },
  {
    name: 'sends the generic selector code for an unknown shell',
    defect: (a) => ({ ...a, body: a.body.replace(/Code="2150858843"/g, 'Code="2150858813"') }),
    expected: ['FLT-001'],
  },
  {
    name: 'answers 200 to an unknown action',
    defect: (a) => (a.body.includes('ActionNotSupported') ? { ...a, status: 200, body: '' } : a),
    expected: ['FLT-002'],
  },
  {
    name: 'sends 401 without WWW-Authenticate',
    defect: (a) => {
      if (a.status !== 401) return a;
      const headers = { ...a.headers };
      delete headers['www-authenticate'];
      return { ...a, headers };
    },
    expected: ['AUTH-001'],
  },
  {
    name: 'writes PullResponse children out of schema order',
    defect: (a) => ({ ...a, body: a.body.replace(/(<n:Items\/>|<n:Items>.*?<\/n:Items>)(<n:EndOfSequence\/>)/, '$2$1') }),
    expected: ['SCHEMA-001'],
  },
];

describe('against deliberately broken servers', () => {
  it('a faithful proxy adds no failures (the baseline the defects are measured against)', async () => {
    const proxy = await brokenServer(listener.url, noDefect);
    try {
      expect(failed(await run(proxy.url))).toEqual(['AUTH-005']);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  for (const { name, defect, expected } of DEFECTS) {
    it(`a server that ${name} is reported by exactly ${expected.join(', ')}`, async () => {
      const proxy = await brokenServer(listener.url, defect);
      try {
        const r = await run(proxy.url);
        // AUTH-005 fails against every one of these (the test listener allows unencrypted HTTP).
        expect(failed(r).filter((id) => id !== 'AUTH-005')).toEqual(expected);
        const musts = expected.filter((id) => r.checks.find((c) => c.id === id)?.severity === 'must').length;
        expect(r.summary.mustFailed).toBe(musts);
      } finally {
        await proxy.close();
      }
    }, 60_000);
  }
});
