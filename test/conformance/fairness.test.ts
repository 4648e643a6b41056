/**
 * The runner is fair to any WS-Management server: the user's own setup stops the run instead of
 * failing checks, a non-Windows endpoint is judged by DSP0226 (not MS-WSMV), a resource it does not
 * serve skips checks instead of failing them, SOAP 1.2's HTTP binding is honoured, and a check
 * passes only for the right reason.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runConformance, type Report } from '../../src/conformance/index.js';
import { WsmanError, ResourceURI, WsmanCode, faultFromCode, faultAction, encodeEnvelope, responseHeaders, encodeBody } from '../../src/core/index.js';
import { startListener, type TestListener } from '../server/helpers.js';
import { brokenServer, type Defect } from './helpers.js';
import { CLI } from '../helpers/cli.js';

let listener: TestListener;
/** Basic over plain HTTP, asked for explicitly (the test listener allows unencrypted traffic on purpose). */
const alice = { connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'basic' as const, allowUnencrypted: true } };

beforeAll(async () => {
  listener = await startListener();
});

afterAll(async () => {
  await listener.stop();
});

function status(r: Report, id: string): { status: string; reason: string } {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return { status: c.status, reason: c.reason };
}

async function withProxy<T>(defect: Defect, fn: (url: string) => Promise<T>, reset?: (body: string) => boolean): Promise<T> {
  const proxy = await brokenServer(listener.url, defect, reset);
  try {
    return await fn(proxy.url);
  } finally {
    await proxy.close();
  }
}

describe('the user\'s setup stops the run before any check', () => {
  it('a refused connection is a typed error, not failed checks', async () => {
    const err = await runConformance({ url: 'http://127.0.0.1:1/wsman', ...alice }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanError);
    expect((err as WsmanError).message).toMatch(/127\.0\.0\.1:1/);
  });

  it('missing credentials: ERR_AUTH_REQUIRED naming what the endpoint offers', async () => {
    const err = await runConformance({ url: listener.url }).catch((e: unknown) => e);
    expect((err as WsmanError).code).toBe('ERR_AUTH_REQUIRED');
    expect((err as WsmanError).message).toMatch(/offers .*Basic/i);
  });

  it('a wrong password: the logon is refused', async () => {
    const err = await runConformance({ url: listener.url, connection: { ...alice.connection, credential: { username: 'alice', password: 'nope' } } }).catch((e: unknown) => e);
    expect((err as WsmanError).code).toBe('ERR_AUTH_REJECTED');
  });

  it('a self-signed certificate is a TLS error unless it is trusted (--skip-ca-check)', async () => {
    const tls = await startListener({ httpPort: null, httpsPort: 0, stateDir: mkdtempSync(join(tmpdir(), 'wsman-conf-tls-')) });
    try {
      const err = await runConformance({ url: tls.url, ...alice, only: ['identify'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanError);
      expect((err as WsmanError).message).toMatch(/certificate/i);
      const r = await runConformance({ url: tls.url, connection: { ...alice.connection, skipCACheck: true }, only: ['identify'] });
      expect(status(r, 'ID-001').status).toBe('pass');
    } finally {
      await tls.stop();
    }
  }, 30_000);

  it('the CLI prints one line and exits 255, as wsman run does', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'conformance', 'http://127.0.0.1:1/wsman', '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted'], {
        cwd: join(import.meta.dirname, '../..'), env: { ...process.env, WSMAN_PASSWORD: 'secret' },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(255);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^wsman conformance: /);
    expect(r.stdout).not.toMatch(/FAIL/);
  }, 30_000);
});

describe('profiles', () => {
  it('our listener presents as Microsoft and is judged by winrm', async () => {
    const r = await runConformance({ url: listener.url, ...alice, only: ['envelope'] });
    expect(r.profile).toBe('winrm');
    expect(r.resourceUri).toBe(ResourceURI.Shell);
    expect(status(r, 'ENV-005').status).toBe('pass');
  });

  it('another vendor is judged by DSP0226: MS-WSMV rules are skipped, saying why, and the WSManFault code is not required', async () => {
    const openwsman: Defect = (a) => ({ ...a, body: a.body.replace(/<wsmid:ProductVendor>[^<]*</, '<wsmid:ProductVendor>Openwsman Project<')
      .replace(/<w:WSManFault[\s\S]*?<\/w:WSManFault>/, '').replace(/ xml:lang="[^"]*"/, '') });
    const r = await withProxy(openwsman, (url) => runConformance({ url, ...alice, resourceUri: ResourceURI.Shell, only: ['envelope', 'faults'] }));
    expect(r.profile).toBe('dsp0226');
    expect(r.vendor).toBe('Openwsman Project');
    for (const id of ['ENV-005', 'FLT-001', 'FLT-008', 'FLT-010']) {
      expect(status(r, id)).toEqual({ status: 'skip', reason: expect.stringMatching(/MS-WSMV.*dsp0226/) });
    }
    // EncodingLimit without a WSManFault detail: right under DSP0226.
    expect(status(r, 'FLT-003').status).toBe('pass');
    expect(r.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual([]);
  });

  it('--profile winrm judges the same endpoint by MS-WSMV', async () => {
    const openwsman: Defect = (a) => ({ ...a, body: a.body.replace(/<wsmid:ProductVendor>[^<]*</, '<wsmid:ProductVendor>Openwsman Project<') });
    const r = await withProxy(openwsman, (url) => runConformance({ url, ...alice, profile: 'winrm', only: ['envelope'] }));
    expect(r.profile).toBe('winrm');
    expect(status(r, 'ENV-005').status).toBe('pass');
  });

  it('without --resource-uri, a CIM class the endpoint serves is found and its checks run', async () => {
    const r = await runConformance({ url: listener.url, ...alice, profile: 'dsp0226', only: ['envelope', 'enumeration'] });
    expect(r.resourceUri).toBe('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem');
    expect(status(r, 'ENUM-001').status).toBe('pass');
    expect(r.summary.fail).toBe(0);
  });

  it('without a resource it serves, the checks that need one are skipped, saying how to name one', async () => {
    // The listener serves a few CIM classes: a proxy answers them as an endpoint that serves none.
    const noCim: Defect = (a, req) => {
      if (!/cim-schema\/2\/|wmi\/root\/cimv2\//.test(req)) return a;
      const id = /MessageID>([^<]*)</.exec(req)?.[1] ?? '';
      const f = faultFromCode(WsmanCode.InvalidResourceURI, '127.0.0.1');
      const xml = encodeEnvelope(responseHeaders({ messageId: id }, faultAction(f), 'uuid:00000000-0000-0000-0000-000000000000'), encodeBody({ kind: 'Fault', fault: f }), 'response');
      return { ...a, status: 500, body: xml, headers: { ...a.headers, 'content-length': String(Buffer.byteLength(xml)) } };
    };
    const r = await withProxy(noCim, (url) => runConformance({ url, ...alice, profile: 'dsp0226', only: ['envelope', 'enumeration'] }));
    expect(r.resourceUri).toBeUndefined();
    expect(status(r, 'ENV-001')).toEqual({ status: 'skip', reason: expect.stringMatching(/--resource-uri/) });
    expect(status(r, 'ENUM-001').status).toBe('skip');
    expect(r.summary.fail).toBe(0);
  });

  it('a resource the endpoint does not serve (w:InvalidResourceURI or DestinationUnreachable) skips, not fails', async () => {
    const r = await runConformance({ url: listener.url, ...alice, profile: 'dsp0226', resourceUri: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Nothing', only: ['enumeration'] });
    expect(status(r, 'ENUM-001')).toEqual({ status: 'skip', reason: expect.stringMatching(/does not serve.*(InvalidResourceURI|DestinationUnreachable)/) });
    expect(r.summary.fail).toBe(0);
  });
});

describe('SOAP 1.2\'s HTTP binding', () => {
  it('a Sender fault with HTTP 400 is right', async () => {
    const to400: Defect = (a) => (a.status === 500 && /<s:Value>s:Sender</.test(a.body) ? { ...a, status: 400 } : a);
    const r = await withProxy(to400, (url) => runConformance({ url, ...alice, only: ['faults'] }));
    expect(status(r, 'FLT-002').status).toBe('pass');
    expect(status(r, 'FLT-002').reason).toMatch(/HTTP 400/);
  });

  it('a fault sent with HTTP 200 is flagged (Openwsman does that for MustUnderstand)', async () => {
    const to200: Defect = (a) => (/MustUnderstand/.test(a.body) ? { ...a, status: 200 } : a);
    const r = await withProxy(to200, (url) => runConformance({ url, ...alice, only: ['faults'] }));
    expect(status(r, 'FLT-005')).toEqual({ status: 'fail', reason: expect.stringMatching(/HTTP 200/) });
  });
});

describe('a pass needs the right reason', () => {
  it('AUTH-005 fails when Basic over HTTP gets an unrelated 503: the credentials got through', async () => {
    const unavailable: Defect = (a, body) => (/wsmid:Identify\/>/.test(body) && a.status === 200 ? { ...a, status: 503, body: '' } : a);
    const r = await withProxy(unavailable, (url) => runConformance({ url, ...alice, profile: 'winrm', only: ['auth'] }));
    expect(status(r, 'AUTH-005')).toEqual({ status: 'fail', reason: expect.stringMatching(/accepts Basic over plain HTTP.*503/) });
  });

  it('AUTH-005 is not run when it would send the password in clear without being asked to', async () => {
    const ntlm = await startListener({ ntlm: true });
    try {
      const r = await runConformance({ url: ntlm.url, connection: { credential: { username: 'alice', password: 'secret' }, authentication: 'negotiate' }, only: ['auth'] });
      expect(status(r, 'AUTH-005')).toEqual({ status: 'skip', reason: expect.stringMatching(/--authentication basic --allow-unencrypted/) });
      expect(status(r, 'AUTH-004').status).toBe('pass');
    } finally {
      await ntlm.stop();
    }
  });

  it('ROB-001 fails when the entity bomb resets the connection (what a crash looks like), though the endpoint still serves', async () => {
    const r = await withProxy((a) => a, (url) => runConformance({ url, ...alice, only: ['robustness'] }), (body) => body.includes('<!DOCTYPE'));
    expect(status(r, 'ROB-001')).toEqual({ status: 'fail', reason: expect.stringMatching(/no answer, the connection failed/) });
    expect(status(r, 'ROB-002').status).toBe('fail');
    // An oversize body may be cut off by closing the connection: that is a refusal.
    expect(status(r, 'ROB-003').status).toBe('pass');
  });
});
