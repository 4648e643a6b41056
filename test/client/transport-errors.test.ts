/** mapTransportError: what undici and Node throw becomes a typed error with a stable code and one readable line. */
import { describe, expect, it } from 'vitest';
import { mapTransportError } from '../../src/transport/errors.js';
import { WsmanNetworkError, WsmanTimeoutError, WsmanTlsError } from '../../src/core/errors.js';

const URL = 'https://win.example:5986/wsman';
const QUEUE = '80DC7A2BB27F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40\n';

function nodeError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('mapTransportError', () => {
  it('TLS failures read as OpenSSL\'s reason, in one line', () => {
    const withReason = mapTransportError(nodeError('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', QUEUE, { reason: 'sslv3 alert handshake failure' }), URL) as WsmanTlsError;
    expect(withReason).toBeInstanceOf(WsmanTlsError);
    expect(withReason.code).toBe('ERR_TLS_HANDSHAKE');
    expect(withReason.message).toBe(`TLS with ${URL} failed: sslv3 alert handshake failure`);
    const noReason = mapTransportError(nodeError('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', QUEUE), URL) as WsmanTlsError;
    expect(noReason.message).toBe(`TLS with ${URL} failed: sslv3 alert handshake failure`);
    const plain = mapTransportError(nodeError('EPROTO', 'write EPROTO something odd'), URL) as WsmanTlsError;
    expect(plain.message).toBe(`TLS with ${URL} failed: write EPROTO something odd`);
  });

  it('a server that does not speak TLS is named as such', () => {
    const e = mapTransportError(nodeError('ERR_SSL_WRONG_VERSION_NUMBER', QUEUE.replace('sslv3 alert handshake failure', 'wrong version number')), URL) as WsmanTlsError;
    expect(e.code).toBe('ERR_TLS_HANDSHAKE');
    expect(e.message).toMatch(/does not speak TLS there/);
  });

  it('network errors and timeouts keep their own classes and codes; the cause is kept', () => {
    const refused = nodeError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5986');
    const r = mapTransportError(refused, URL) as WsmanNetworkError;
    expect(r).toBeInstanceOf(WsmanNetworkError);
    expect(r.code).toBe('ERR_CONNECTION_REFUSED');
    expect(r.cause).toBe(refused);
    expect(mapTransportError(nodeError('UND_ERR_CONNECT_TIMEOUT', 'x'), URL)).toBeInstanceOf(WsmanTimeoutError);
    const wrapped = mapTransportError(Object.assign(new Error('fetch failed'), { cause: nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND') }), URL) as WsmanNetworkError;
    expect(wrapped.code).toBe('ERR_HOST_NOT_FOUND');
  });
});

describe('http:// to a port that speaks HTTPS', () => {
  it('is named as such (the reverse of "does not speak TLS"), with the fix', async () => {
    const { startListener } = await import('../server/helpers.js');
    const { WsmanClient } = await import('../../src/client/client.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const t = await startListener({ httpPort: null, httpsPort: 0, stateDir: mkdtempSync(join(tmpdir(), 'wsman-https-port-')) });
    const client = new WsmanClient({ endpoint: { connectionUri: t.url.replace('https:', 'http:') }, operationTimeout: 10_000 });
    try {
      const err = await client.identify({ unauthenticated: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanNetworkError);
      expect((err as WsmanNetworkError).code).toBe('ERR_HTTPS_PORT');
      expect((err as Error).message).toMatch(/speaks HTTPS, not HTTP: use https:\/\//);
    } finally {
      await client.close();
      await t.stop();
    }
  }, 30_000);
});
