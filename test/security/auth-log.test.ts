/**
 * What the listener logs about authentication (issue 15: an Authorization value with an unknown
 * scheme was logged with its first 20 characters) and what an authenticated Identify promises
 * (issue 18: spnego-kerberos listed without Kerberos).
 */
import { userInfo } from 'node:os';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'node:http';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../../src/server/index.js';
import { kerberosAuthenticator, negotiateAuthenticator, BasicAuthenticator } from '../../src/server/auth.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { loggableScheme } from '../../src/auth/http.js';
import { WsmanClient } from '../../src/client/client.js';

const SECRET = 'hunter2-Sup3rS3cretValue';
const lines: string[] = [];
let listener: WsmanListener;
let url = '';
let users: UserStore;

beforeAll(async () => {
  users = new UserStore();
  users.add({ name: 'alice', hash: await hashPassword('secret', 1024), ntHash: ntHash('secret'), runAs: userInfo().username });
  listener = new WsmanListener({
    users, httpPort: 0, httpsPort: null, allowUnencrypted: true, authThrottle: false,
    logger: createLogger('debug', (l) => { lines.push(l); }),
  });
  url = (await listener.start())[0]!.url;
});
afterAll(async () => { await listener?.stop(); });

function post(authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization, 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': '0' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('an Authorization value with an unknown scheme', () => {
  const cases: [string, string | undefined][] = [
    [`Bearer ${SECRET}`, 'Bearer'],
    [`Custom ${SECRET}`, 'Custom'],
    [SECRET, undefined], // a bare word may be a pasted password
    [`${SECRET}:${SECRET} x`, undefined], // not a token of sane characters
    [`${'A'.repeat(40)} ${SECRET}`, undefined], // too long to be a scheme
  ];
  for (const [value, scheme] of cases) {
    it(`is logged by scheme only (${scheme ?? 'not shown'}), never with any of the secret`, async () => {
      lines.length = 0;
      expect(await post(value)).toBe(401);
      await new Promise((r) => setTimeout(r, 20)); // the log line is written on 'finish'
      const log = lines.join('');
      expect(log).toContain('unsupported auth scheme');
      for (let i = 0; i + 6 <= SECRET.length; i++) expect(log).not.toContain(SECRET.slice(i, i + 6));
      if (scheme) expect(log).toContain(`unsupported auth scheme ${scheme}`);
      else expect(log).toContain('unsupported auth scheme (not shown)');
    });
  }

  it('a value whose scheme is not a token is refused, the secret nowhere', async () => {
    lines.length = 0;
    expect(await post(`\u00e9vil${SECRET} y`)).toBe(401);
    await new Promise((r) => setTimeout(r, 20));
    const log = lines.join('');
    expect(log).toContain('unsupported auth scheme (not shown)');
    for (let i = 0; i + 6 <= SECRET.length; i++) expect(log).not.toContain(SECRET.slice(i, i + 6));
  });

  it('loggableScheme: known words, sane tokens followed by credentials, nothing else', () => {
    expect(loggableScheme('Negotiate')).toBe('Negotiate');
    expect(loggableScheme('basic abc')).toBe('basic');
    expect(loggableScheme('X-Foo abc')).toBe('X-Foo');
    expect(loggableScheme('secretword')).toBeUndefined();
    expect(loggableScheme('a/b c')).toBeUndefined();
    expect(loggableScheme('')).toBeUndefined();
    expect(loggableScheme(undefined)).toBeUndefined();
  });
});

describe('an authenticated Identify lists the profiles really offered', () => {
  const SPNEGO = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos';
  const BASIC = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic';

  async function profiles(target: string): Promise<string[] | undefined> {
    const c = new WsmanClient({ endpoint: { connectionUri: target }, credential: { username: 'alice', password: 'secret' }, authentication: 'negotiate' });
    try {
      return (await c.identify()).securityProfiles;
    } finally {
      await c.close();
    }
  }

  it('without --kerberos: no spnego-kerberos (our Negotiate is NTLM only), Basic listed', async () => {
    const p = await profiles(url);
    expect(p).toContain(BASIC);
    expect(p).not.toContain(SPNEGO);
  });

  it('with the Kerberos scheme offered: spnego-kerberos listed', async () => {
    const k = new WsmanListener({
      users, httpPort: 0, httpsPort: null, allowUnencrypted: true, authThrottle: false, logger: createLogger('silent'),
      authenticators: [negotiateAuthenticator(users), kerberosAuthenticator(users), new BasicAuthenticator(users)],
    });
    const kurl = (await k.start())[0]!.url;
    try {
      expect(await profiles(kurl)).toContain(SPNEGO);
    } finally {
      await k.stop();
    }
  });
});
