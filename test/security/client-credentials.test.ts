/**
 * The client never gives a password away (issue 15): a hostile plain-HTTP server that answers 401
 * with only `Basic` must never receive Basic credentials unless the caller asked for Basic by name
 * AND allowed unencrypted traffic, through the library, the CLI, fan-out and redirects.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { invokeOnComputers } from '../../src/client/invoke.js';
import { WsmanUsageError, WsmanAuthError } from '../../src/core/errors.js';
import { encodeMessage } from '../../src/core/messages/index.js';
import { responseHeaders } from '../../src/core/envelope.js';
import { HttpTransport } from '../../src/transport/http.js';
import { basicAuth } from '../../src/transport/auth.js';
import type { ClientOptions } from '../../src/client/options.js';
import { startFake, type Fake } from '../client/helpers/fake-winrm.js';
import { makeCert } from '../client/helpers/certs.js';
import { CLI } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'Secr3t-pa55word!';
const CRED = { username: 'alice', password: PASSWORD };
const GOOD = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;

/** A plain-HTTP server that offers only Basic and records every Authorization header it gets. */
interface Trap { url: string; requests: number; authorizations: string[]; close(): Promise<void> }

async function basicOnlyServer(): Promise<Trap> {
  const trap: Trap = { url: '', requests: 0, authorizations: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    trap.requests++;
    if (req.headers.authorization !== undefined) trap.authorizations.push(req.headers.authorization);
    req.resume();
    req.on('end', () => {
      if (req.headers.authorization === GOOD) {
        const xml = encodeMessage({
          headers: responseHeaders({}, '', 'uuid:00000000-0000-0000-0000-000000000001'),
          body: { kind: 'IdentifyResponse', protocolVersion: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd', productVendor: 'Trap', productVersion: 'OS: 0.0.0 SP: 0.0 Stack: 3.0' },
        }, 'response');
        res.writeHead(200, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(Buffer.byteLength(xml)) }).end(xml);
        return;
      }
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="WSMAN"', 'Content-Length': '0' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  trap.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`;
  trap.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return trap;
}

/** No Authorization header the trap saw carries Basic credentials, nor the password in any form. */
function expectNoPassword(trap: Trap): void {
  for (const a of trap.authorizations) {
    expect(a.toLowerCase().startsWith('basic')).toBe(false);
    expect(Buffer.from(a.replace(/^\S+\s*/, ''), 'base64').toString('latin1')).not.toContain(PASSWORD);
    expect(a).not.toContain(PASSWORD);
  }
}

let trap: Trap;
const fakes: Fake[] = [];
beforeAll(async () => { trap = await basicOnlyServer(); });
afterAll(async () => { await trap.close(); });
afterEach(async () => {
  trap.requests = 0;
  trap.authorizations = [];
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function identify(o: Partial<ClientOptions>): Promise<unknown> {
  const c = new WsmanClient({ endpoint: { connectionUri: trap.url }, credential: CRED, ...o });
  try {
    return await c.identify();
  } catch (e) {
    return e;
  } finally {
    await c.close();
  }
}

describe('a plain-HTTP server offering only Basic', () => {
  for (const authentication of [undefined, 'default', 'negotiate', 'ntlm'] as const) {
    for (const allowUnencrypted of [false, true]) {
      it(`gets no Basic credentials with authentication ${authentication ?? '(unset)'}${allowUnencrypted ? ' even with allowUnencrypted' : ''}`, async () => {
        const err = await identify({ ...(authentication ? { authentication } : {}), ...(allowUnencrypted ? { allowUnencrypted } : {}) });
        expect(err).toBeInstanceOf(WsmanAuthError);
        expect(trap.requests).toBeGreaterThan(0); // it was asked, and said no
        expectNoPassword(trap);
        if (authentication === undefined || authentication === 'default') {
          // The error says what the server offered and how to allow Basic.
          expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
          expect((err as Error).message).toMatch(/offers basic/);
          expect((err as Error).message).toMatch(/--authentication basic --allow-unencrypted/);
          expect((err as Error).message).toMatch(/allowUnencrypted: true/);
        }
      });
    }
  }

  it('explicit basic without allowUnencrypted fails with a typed error before anything is sent', async () => {
    const err = await identify({ authentication: 'basic' });
    expect(err).toBeInstanceOf(WsmanUsageError);
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
    expect((err as Error).message).toMatch(/--allow-unencrypted/);
    expect((err as Error).message).not.toContain(PASSWORD);
    expect(trap.requests).toBe(0);
  });

  it('explicit basic with allowUnencrypted works', async () => {
    const id = await identify({ authentication: 'basic', allowUnencrypted: true });
    expect(id).toMatchObject({ productVendor: 'Trap' });
    expect(trap.authorizations).toEqual([GOOD]);
  });

  it('the transport itself refuses a Basic provider over HTTP without allowUnencrypted', async () => {
    const t = new HttpTransport({ url: trap.url, auth: basicAuth(CRED), proxy: 'none' });
    const err = await t.send({ body: '<x/>', timeoutMs: 5000 }).catch((e: unknown) => e);
    await t.close();
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
    expect(trap.requests).toBe(0);
  });

  it('through an HTTP proxy setting the same rule holds (nothing is sent)', async () => {
    const c = new WsmanClient({ endpoint: { connectionUri: trap.url }, credential: CRED, authentication: 'basic', proxy: { uri: 'http://127.0.0.1:9' } });
    const err = await c.identify().catch((e: unknown) => e);
    await c.close();
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
  });

  it('negotiate with --no-encryption over HTTP (clear traffic) needs allowUnencrypted too', async () => {
    const err = await identify({ authentication: 'negotiate', noEncryption: true });
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
    expect((err as Error).message).toMatch(/--no-encryption/);
    expect(trap.requests).toBe(0);
  });

  it('Kerberos over HTTP (it cannot seal here) needs allowUnencrypted too, refused before anything is sent', async () => {
    const err = await identify({ authentication: 'kerberos' });
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
    expect((err as Error).message).toMatch(/cannot seal/);
    expect(trap.requests).toBe(0);
  });

  it('fan-out: every computer gets the same refusal, none gets a password', async () => {
    const results = await invokeOnComputers([
      { endpoint: { connectionUri: trap.url }, credential: CRED },
      { endpoint: { connectionUri: trap.url }, credential: CRED, authentication: 'basic' },
    ], { command: 'x' }, { throttleLimit: 2 });
    expect(results.map((r) => (r.error as { code?: string } | undefined)?.code)).toEqual(['ERR_AUTH_UNENCRYPTED', 'ERR_AUTH_UNENCRYPTED']);
    expectNoPassword(trap);
  });

  it('a redirect from https:// to http:// does not carry Basic, even with allowUnencrypted', async () => {
    const cert = makeCert({ cn: '127.0.0.1', ips: ['127.0.0.1'] });
    const tls = await startFake({ tls: cert, authorization: GOOD, redirectTo: trap.url });
    fakes.push(tls);
    const c = new WsmanClient({
      endpoint: { connectionUri: tls.url }, credential: CRED, authentication: 'basic', allowUnencrypted: true,
      allowRedirection: true, serverThumbprint: cert.thumbprint,
    });
    const err = await Shell.open(c).catch((e: unknown) => e);
    await c.close();
    expect(tls.headers.some((h) => h.authorization === GOOD)).toBe(true); // HTTPS got it: fine
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
    expect(trap.requests).toBe(0);
  });
});

function wsman(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT, env: { ...process.env, WSMAN_PASSWORD: PASSWORD, WSMAN_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'wsman-cc-')) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI against the same server', () => {
  it('run with default authentication: refused, says how to allow Basic, no password sent', async () => {
    const r = await wsman(['run', '--connection-uri', trap.url, '--credential', 'alice', '--', 'echo', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/offers basic.*--authentication basic --allow-unencrypted/s);
    expectNoPassword(trap);
  });

  it('run --authentication basic without --allow-unencrypted: refused before sending', async () => {
    const r = await wsman(['run', '--connection-uri', trap.url, '--credential', 'alice', '--authentication', 'basic', '--', 'echo', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--allow-unencrypted/);
    expect(trap.requests).toBe(0);
  });

  it('identify --authentication basic --allow-unencrypted sends Basic (asked for twice)', async () => {
    const r = await wsman(['identify', trap.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ProductVendor\s+: Trap/);
    expect(trap.authorizations).toEqual([GOOD]);
  });

  it('identify with default authentication: refused, no password sent', async () => {
    const r = await wsman(['identify', trap.url, '--credential', 'alice']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/never falls back to Basic/);
    expectNoPassword(trap);
  });
});
