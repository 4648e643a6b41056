/**
 * Failed logons (issue 15): the backoff is keyed by (address, user name), one user's success never
 * resets another's counter, the real user sharing an address with a guesser is not punished, a
 * user-name sprayer is bounded per address, and a slowed request gets its 401 at once with
 * Retry-After. Driven over loopback as an attacker would, with the listener's injectable clock.
 */
import { userInfo } from 'node:os';
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Agent } from 'node:http';
import { FailureThrottle } from '../../src/server/auth-throttle.js';
import { UserStore, hashPassword } from '../../src/server/users.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { NegotiateClientContext } from '../../src/auth/negotiate.js';
import { claimedUser } from '../../src/auth/claimed.js';
import { startE2e, post, IDENTIFY, type E2eListener } from '../auth-e2e/helpers.js';

let now = 1_000_000;
let throttle: FailureThrottle;
let T: E2eListener;

const basic = (user: string, pw: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

async function identify(headers: Record<string, string>): Promise<{ status: number; retry: string | undefined }> {
  const r = await post(T.http!, IDENTIFY, headers);
  return { status: r.status, retry: r.headers['retry-after'] as string | undefined };
}

/** The NTLM handshake on one connection; returns the reply to the AUTHENTICATE leg. */
async function ntlm(user: string, pw: string): Promise<{ status: number; retry: string | undefined }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ctx = new NegotiateClientContext({ username: user, password: pw });
    const r1 = await post(T.http!, '', { Authorization: `Negotiate ${Buffer.from(ctx.step().token!).toString('base64')}` }, agent);
    expect(r1.status).toBe(401);
    const h = [r1.headers['www-authenticate']].flat().find((x) => x?.startsWith('Negotiate '));
    const leg = ctx.step(Buffer.from(h!.slice('Negotiate '.length), 'base64'));
    const r2 = await post(T.http!, '', { Authorization: `Negotiate ${Buffer.from(leg.token!).toString('base64')}` }, agent);
    return { status: r2.status, retry: r2.headers['retry-after'] as string | undefined };
  } finally {
    agent.destroy();
  }
}

beforeAll(async () => {
  const users = new UserStore();
  const hash = await hashPassword('secret', 1024);
  for (const name of ['alice', 'bob']) users.add({ name, hash, ntHash: ntHash('secret'), runAs: userInfo().username });
  T = await startE2e({ users, httpsPort: null, allowUnencrypted: true, authThrottle: false });
});
afterAll(async () => { await T?.stop(); });
beforeEach(async () => {
  // A fresh throttle per test on a fresh listener sharing the users (the clock is ours).
  await T.stop();
  now = 1_000_000;
  throttle = new FailureThrottle({ free: 3, addressFree: 10, baseMs: 2000, maxMs: 60_000, now: () => now });
  const users = T.listener.core.users;
  T = await startE2e({ users, httpsPort: null, allowUnencrypted: true, authThrottle: throttle });
});

describe('failed logons, keyed by (address, user name)', () => {
  it('a guesser blocks only the name it guesses: the other user on the same address logs on at once', async () => {
    for (let i = 0; i < 3; i++) expect((await identify(basic('alice', `guess${i}`))).status).toBe(401);
    expect(await identify(basic('alice', 'secret'))).toEqual({ status: 401, retry: '2' }); // blocked, told when
    expect(await identify(basic('bob', 'secret'))).toEqual({ status: 200, retry: undefined });
  });

  it("another user's success does not reset the guessed user's counter", async () => {
    for (let i = 0; i < 3; i++) await identify(basic('alice', `guess${i}`));
    expect((await identify(basic('bob', 'secret'))).status).toBe(200);
    expect((await identify(basic('alice', 'secret'))).retry).toBe('2');
    now += 2000;
    expect((await identify(basic('alice', 'guess3'))).retry).toBe('4'); // the counter went on: 4 s now
    now += 4000;
    expect((await identify(basic('alice', 'secret'))).status).toBe(200); // the real password, after waiting
    expect((await identify(basic('alice', 'guess4'))).retry).toBeUndefined(); // alice's own success started her over
  });

  it('every form of one name is one key (DOMAIN\\alice, alice@domain, ALICE)', async () => {
    for (const name of ['WORKGROUP\\alice', 'alice@workgroup', 'ALICE']) await identify(basic(name, 'nope'));
    expect((await identify(basic('alice', 'secret'))).retry).toBe('2');
  });

  it('NTLM is keyed by the user name in the AUTHENTICATE message', async () => {
    for (let i = 0; i < 3; i++) expect((await ntlm('alice', `guess${i}`)).status).toBe(401);
    expect(await ntlm('alice', 'secret')).toEqual({ status: 401, retry: '2' });
    expect((await ntlm('bob', 'secret')).status).toBe(200);
    expect(claimedUser('Negotiate', new NegotiateClientContext({ username: 'x', password: 'y' }).step().token!)).toBeUndefined(); // NEGOTIATE names nobody
  });

  it('a user-name sprayer is bounded per address, but a user who logged on from there is not locked out', async () => {
    expect((await identify(basic('bob', 'secret'))).status).toBe(200); // bob is known-good from this address
    for (let i = 0; i < 10; i++) await identify(basic(`user${i}`, 'Password1'));
    expect((await identify(basic('user99', 'Password1'))).retry).toBe('2'); // a new name: the address total blocks it
    expect((await identify(basic('alice', 'secret'))).retry).toBe('2'); // alice never logged on from here: blocked too
    expect((await identify(basic('bob', 'secret'))).status).toBe(200); // bob is not
  });

  it('a failure that names nobody counts under the empty name, not under a real user', async () => {
    for (let i = 0; i < 4; i++) expect((await identify({ Authorization: 'Basic bm9jb2xvbg==' })).status).toBe(401); // "nocolon"
    expect((await identify({ Authorization: 'Basic bm9jb2xvbg==' })).retry).toBeDefined();
    expect((await identify(basic('alice', 'secret'))).status).toBe(200);
  });

  it('memory stays bounded', () => {
    const t = new FailureThrottle({ maxEntries: 50, now: () => now });
    for (let i = 0; i < 1000; i++) t.failed(`10.0.${i >> 8}.${i & 255}`, `u${i}`);
    expect(t.size).toBe(50);
  });
});
