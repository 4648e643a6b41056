/** TLS rules: self-signed refused by default; accepted by skip options or a pinned thumbprint; CA file; client certificates. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanTlsError, WsmanUsageError } from '../../src/core/errors.js';
import type { ClientOptions } from '../../src/client/options.js';
import { makeCert, toPfx, type TestCert } from './helpers/certs.js';
import { startFake, type Fake } from './helpers/fake-winrm.js';

let selfSigned: TestCert;
let ca: TestCert;
let signed: TestCert;
let wrongName: TestCert;
let clientCert: TestCert;
let fakeSelf: Fake;
let fakeSigned: Fake;
let fakeWrongName: Fake;
let fakeMutual: Fake;
const dir = mkdtempSync(path.join(tmpdir(), 'wsman-tls-'));

beforeAll(async () => {
  selfSigned = makeCert({ cn: 'localhost', ips: ['127.0.0.1'] });
  ca = makeCert({ cn: 'Test CA', isCa: true });
  signed = makeCert({ cn: '127.0.0.1', ips: ['127.0.0.1'], issuer: ca });
  wrongName = makeCert({ cn: 'other.example', altNames: ['other.example'], issuer: ca });
  clientCert = makeCert({ cn: 'alice', clientAuth: true, issuer: ca });
  writeFileSync(path.join(dir, 'ca.pem'), ca.cert);
  fakeSelf = await startFake({ tls: { cert: selfSigned.cert, key: selfSigned.key } });
  fakeSigned = await startFake({ tls: { cert: signed.cert, key: signed.key } });
  fakeWrongName = await startFake({ tls: { cert: wrongName.cert, key: wrongName.key } });
  fakeMutual = await startFake({ tls: { cert: signed.cert, key: signed.key, requestCert: true, ca: ca.cert } });
});

afterAll(async () => {
  await Promise.all([fakeSelf, fakeSigned, fakeWrongName, fakeMutual].map((f) => f?.close()));
});

async function run(url: string, extra: Partial<ClientOptions> = {}): Promise<string> {
  const c = new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'u', password: 'p' }, authentication: 'basic', allowUnencrypted: true, ...extra });
  try {
    return (await invokeCommand(c, { command: 'x' })).stdout.toString();
  } finally {
    await c.close();
  }
}

describe('TLS', () => {
  it('refuses a self-signed certificate by default with ERR_TLS_UNTRUSTED naming the thumbprint', async () => {
    const err = await run(fakeSelf.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanTlsError);
    expect((err as WsmanTlsError).code).toBe('ERR_TLS_UNTRUSTED');
    expect((err as Error).message).toContain(selfSigned.thumbprint);
    expect(fakeSelf.requests).toHaveLength(0);
  });

  it('an https:// URL on a plain HTTP port: ERR_TLS_HANDSHAKE in one line that says so, not OpenSSL\'s error queue', async () => {
    const plain = await startFake();
    try {
      const err = await run(plain.url.replace(/^http:/, 'https:')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanTlsError);
      expect((err as WsmanTlsError).code).toBe('ERR_TLS_HANDSHAKE');
      expect((err as Error).message).toMatch(/does not speak TLS there \(a plain HTTP port\?/);
      expect((err as Error).message).not.toMatch(/\n|SSL routines/);
    } finally {
      await plain.close();
    }
  });

  it('accepts it with skipCACheck', async () => {
    expect(await run(fakeSelf.url, { skipCACheck: true })).toBe('ok\n');
  });

  it('accepts it pinned by thumbprint (any case, with colons), and refuses a different pin', async () => {
    const colons = selfSigned.thumbprint.toLowerCase().match(/../g)?.join(':') ?? '';
    expect(await run(fakeSelf.url, { serverThumbprint: colons })).toBe('ok\n');
    const err = await run(fakeSelf.url, { serverThumbprint: signed.thumbprint }).catch((e: unknown) => e);
    expect((err as WsmanTlsError).code).toBe('ERR_TLS_THUMBPRINT');
  });

  it('trusts a CA from a file', async () => {
    expect(await run(fakeSigned.url, { caFile: path.join(dir, 'ca.pem') })).toBe('ok\n');
    const err = await run(fakeSigned.url).catch((e: unknown) => e);
    expect((err as WsmanTlsError).code).toBe('ERR_TLS_UNTRUSTED');
  });

  it('checks the name unless skipCNCheck; skipCACheck alone does not skip the name check', async () => {
    const caFile = path.join(dir, 'ca.pem');
    const err = await run(fakeWrongName.url, { caFile }).catch((e: unknown) => e);
    expect((err as WsmanTlsError).code).toBe('ERR_TLS_NAME');
    const err2 = await run(fakeWrongName.url, { skipCACheck: true }).catch((e: unknown) => e);
    expect((err2 as WsmanTlsError).code).toBe('ERR_TLS_NAME');
    expect(await run(fakeWrongName.url, { caFile, skipCNCheck: true })).toBe('ok\n');
    expect(await run(fakeWrongName.url, { skipCACheck: true, skipCNCheck: true })).toBe('ok\n');
  });

  it('presents a client certificate from PEM or PFX, with the certificate-auth header', async () => {
    const caFile = path.join(dir, 'ca.pem');
    await run(fakeMutual.url, { caFile, authentication: 'certificate', clientCertificate: { certPem: clientCert.cert, keyPem: clientCert.key } });
    const last = fakeMutual.headers.at(-1);
    expect(last?.authorization).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual');
    expect(fakeMutual.peerCNs.at(-1)).toBe('alice');
    await run(fakeMutual.url, { caFile, authentication: 'certificate', clientCertificate: { pfx: toPfx(clientCert, 'pw'), passphrase: 'pw' } });
    const badPfx = await run(fakeMutual.url, { caFile, authentication: 'certificate', clientCertificate: { pfx: toPfx(clientCert, 'pw'), passphrase: 'nope' } }).catch((e: unknown) => e);
    expect(badPfx).toBeInstanceOf(WsmanUsageError);
    expect((badPfx as Error).message).not.toContain('nope');
  });
});
