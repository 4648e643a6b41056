/** Negotiate and NTLM with HTTP message encryption (src/auth) through the transport, against our listener with AllowUnencrypted off. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, createLogger, ContextAuthenticator, BasicAuthenticator } from '../../src/server/index.js';
import { negotiateServerContext, ntHash } from '../../src/auth/index.js';
import { tlsServerEndPoint } from '../../src/auth/certificate.js';
import { selfSigned, thumbprintOfPem } from '../../src/server/index.js';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanAuthError, WsmanFaultError } from '../../src/core/errors.js';
import type { AuthenticationMechanism } from '../../src/transport/auth.js';

let listener: WsmanListener;
let url = '';
beforeAll(async () => {
  const users = new UserStore();
  users.add({ name: 'alice', hash: await hashPassword('secret', 1024), runAs: userInfo().username });
  const lookup = (u: string): Uint8Array | undefined => (u.toLowerCase() === 'alice' ? ntHash('secret') : undefined);
  const profiles = { http: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos', https: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/spnego-kerberos' };
  listener = new WsmanListener({
    users, httpPort: 0, httpsPort: null, allowUnencrypted: false, logger: createLogger('silent'),
    authenticators: [new ContextAuthenticator('Negotiate', () => negotiateServerContext({ lookup }), users, true, profiles), new BasicAuthenticator(users)],
  });
  url = (await listener.start())[0]?.url ?? '';
});
afterAll(async () => { await listener?.stop(); });

function client(authentication: AuthenticationMechanism, password = 'secret', allowUnencrypted = false): WsmanClient {
  return new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password }, authentication, allowUnencrypted });
}

describe('sealed Negotiate/NTLM over HTTP', () => {
  for (const mech of ['negotiate', 'ntlm', 'default'] as const) {
    it(`${mech}: runs a command with 200 KB of stdin and 300 KB of output, sealed both ways`, async () => {
      const c = client(mech);
      const r = await invokeCommand(c, { command: 'wc -c; head -c 300000 /dev/zero | tr "\\0" a', stdin: 'x'.repeat(200_000) });
      const used = c.transport.mechanism;
      await c.close();
      expect(r.exitCode).toBe(0);
      expect(r.stdout.subarray(0, 7).toString()).toBe('200000\n');
      expect(r.stdout.length).toBe(7 + 300_000);
      expect(used).toBe(mech === 'default' ? 'negotiate' : mech);
    });
  }

  it('Basic over plain HTTP is refused by this client without allowUnencrypted, before sending', async () => {
    const c = client('basic');
    const err = await invokeCommand(c, { command: 'true' }).catch((e: unknown) => e);
    await c.close();
    expect(err).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
  });

  it('Basic over plain HTTP is refused by this listener (AllowUnencrypted off): sealing is what made the above work', async () => {
    const c = client('basic', 'secret', true);
    const err = await invokeCommand(c, { command: 'true' }).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).wsmanCode).toBe(5);
    expect((err as Error).message).toMatch(/unencrypted/);
  });

  it('a wrong password is WsmanAuthError without the password', async () => {
    const c = client('negotiate', 'wrong-secret');
    const err = await invokeCommand(c, { command: 'true' }).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanAuthError);
    expect((err as Error).message).not.toContain('wrong-secret');
  });
});

describe('Negotiate over HTTPS with channel binding', () => {
  it('binds to the server certificate: a listener with CbtHardeningLevel Strict accepts the client', async () => {
    const users = new UserStore();
    users.add({ name: 'alice', hash: await hashPassword('secret', 1024), runAs: userInfo().username });
    const { cert, key } = selfSigned(['localhost', '127.0.0.1']);
    const thumbprint = thumbprintOfPem(cert);
    const lookup = (u: string): Uint8Array | undefined => (u.toLowerCase() === 'alice' ? ntHash('secret') : undefined);
    const profiles = { http: 'x', https: 'y' };
    const strict = new WsmanListener({
      users, httpPort: null, httpsPort: 0, tls: { cert, key, thumbprint }, logger: createLogger('silent'),
      authenticators: [new ContextAuthenticator('Negotiate', () => negotiateServerContext({ lookup, channelBinding: tlsServerEndPoint(cert), cbtHardening: 'strict' }), users, true, profiles)],
    });
    const https = (await strict.start())[0]?.url ?? '';
    try {
      const c = new WsmanClient({ endpoint: { connectionUri: https }, credential: { username: 'alice', password: 'secret' }, authentication: 'negotiate', serverThumbprint: thumbprint });
      const r = await invokeCommand(c, { command: 'echo bound' });
      await c.close();
      expect(r.stdout.toString()).toBe('bound\n');
    } finally {
      await strict.stop();
    }
  });
});
