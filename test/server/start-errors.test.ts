/** A listener that cannot start says why in words, with a stable code, and leaves nothing open. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { WsmanListener } from '../../src/server/listener.js';
import { UserStore } from '../../src/server/users.js';
import { createLogger } from '../../src/server/log.js';
import { fileCertificate, pfxCertificate } from '../../src/server/tls.js';
import { WsmanError, WsmanUsageError } from '../../src/core/errors.js';
import { startListener } from './helpers.js';

const NOT_PFX = path.resolve(import.meta.dirname, '../../package.json');

describe('starting a listener', () => {
  it('a port in use is ERR_ADDRESS_IN_USE naming the address', async () => {
    const first = await startListener();
    try {
      const second = new WsmanListener({ users: new UserStore(), httpPort: first.port, httpsPort: null, logger: createLogger('silent') });
      const err = await second.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanError);
      expect((err as WsmanError).code).toBe('ERR_ADDRESS_IN_USE');
      expect((err as Error).message).toBe(`cannot listen on 127.0.0.1:${first.port}: the port is in use (another listener?)`);
      await second.stop();
    } finally {
      await first.stop();
    }
  });

  it('an address this machine does not have is ERR_LISTEN saying so', async () => {
    const l = new WsmanListener({ users: new UserStore(), host: '192.0.2.1', httpPort: 0, httpsPort: null, logger: createLogger('silent') });
    const err = await l.start().catch((e: unknown) => e);
    await l.stop();
    expect((err as WsmanError).code).toBe('ERR_LISTEN');
    expect((err as Error).message).toMatch(/^cannot listen on 192\.0\.2\.1:0: this machine has no such address$/);
  });

  it('missing or unreadable TLS files are WsmanUsageError ERR_TLS_FILE naming the file', () => {
    for (const f of [() => fileCertificate('/nonexistent/cert.pem', '/nonexistent/key.pem'), () => pfxCertificate('/nonexistent/x.pfx')]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WsmanUsageError);
      expect((err as WsmanUsageError).code).toBe('ERR_TLS_FILE');
      expect((err as Error).message).toMatch(/^cannot read the (TLS certificate|PKCS#12 file) \/nonexistent\/\S+: no such file$/);
    }
    let bad: unknown;
    try {
      pfxCertificate(NOT_PFX);
    } catch (e) {
      bad = e;
    }
    expect((bad as Error).message).toMatch(/^cannot open the PKCS#12 file \S+package\.json \(wrong password, or not PKCS#12\)/);
  });
});
