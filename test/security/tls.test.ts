/**
 * TLS (issue 15): the HTTPS endpoint offers TLS 1.3 and, on TLS 1.2, only forward-secret AEAD
 * suites (Mozilla "intermediate"): no static-RSA key exchange, no CBC/SHA-1, no TLS 1.0/1.1.
 * Each case is a real handshake over loopback offering only the suites named.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { WsmanListener } from '../../src/server/listener.js';
import { UserStore } from '../../src/server/users.js';
import { createLogger } from '../../src/server/log.js';
import { selfSigned, thumbprintOfPem } from '../../src/server/tls.js';
import { tlsConnectOptions } from '../../src/transport/tls.js';

let listener: WsmanListener;
let port: number;
beforeAll(async () => {
  const { cert, key } = selfSigned(['127.0.0.1']);
  listener = new WsmanListener({
    users: new UserStore(), httpPort: null, httpsPort: 0, logger: createLogger('silent'),
    tls: { cert, key, thumbprint: thumbprintOfPem(cert) },
  });
  const [ep] = await listener.start();
  port = ep!.port;
});
afterAll(async () => {
  await listener.stop();
});

/** Handshake offering only `ciphers` (TLS 1.2 suites) within the version range; the negotiated suite or the error. */
function handshake(opts: { ciphers?: string; min?: SecureVersion; max?: SecureVersion }): Promise<{ ok: true; cipher: string; version: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const o: ConnectionOptions = {
      host: '127.0.0.1', port, rejectUnauthorized: false,
      // SECLEVEL=0 so that our own client can offer old versions and suites: the server must refuse them.
      ciphers: `${opts.ciphers ?? 'DEFAULT'}:@SECLEVEL=0`,
      ...(opts.min ? { minVersion: opts.min } : {}), ...(opts.max ? { maxVersion: opts.max } : {}),
    };
    const s = connect(o, () => {
      const c = s.getCipher();
      resolve({ ok: true, cipher: c.standardName ?? c.name, version: String(s.getProtocol()) });
      s.destroy();
    });
    s.on('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

describe('HTTPS endpoint cipher policy', () => {
  it('refuses static-RSA key exchange on TLS 1.2 (AES128-SHA, AES256-GCM-SHA384, AES128-GCM-SHA256)', async () => {
    for (const ciphers of ['AES128-SHA', 'AES256-GCM-SHA384', 'AES128-GCM-SHA256']) {
      const r = await handshake({ ciphers, max: 'TLSv1.2' });
      expect(r, ciphers).toMatchObject({ ok: false });
    }
  });

  it('refuses CBC suites even with ECDHE (ECDHE-RSA-AES128-SHA, ECDHE-RSA-AES256-SHA384)', async () => {
    for (const ciphers of ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
      const r = await handshake({ ciphers, max: 'TLSv1.2' });
      expect(r, ciphers).toMatchObject({ ok: false });
    }
  });

  it('accepts ECDHE with AES-GCM and ChaCha20-Poly1305 on TLS 1.2', async () => {
    for (const ciphers of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
      const r = await handshake({ ciphers, max: 'TLSv1.2' });
      expect(r, ciphers).toMatchObject({ ok: true, version: 'TLSv1.2' });
    }
  });

  it('accepts TLS 1.3', async () => {
    const r = await handshake({ min: 'TLSv1.3' });
    expect(r).toMatchObject({ ok: true, version: 'TLSv1.3' });
  });

  it('refuses TLS 1.1 and TLS 1.0', async () => {
    for (const v of ['TLSv1.1', 'TLSv1'] as const) {
      const r = await handshake({ min: v, max: v });
      expect(r, v).toMatchObject({ ok: false });
    }
  });
});

describe('client TLS defaults', () => {
  it('never offers less than TLS 1.2', () => {
    expect(tlsConnectOptions(undefined).minVersion).toBe('TLSv1.2');
  });
});
