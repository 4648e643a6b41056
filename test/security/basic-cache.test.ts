/**
 * Basic is verified once (issue 20): a successful scrypt check is remembered under a keyed hash,
 * bounded in time and count, dropped when the account's stored hash changes; never the password.
 */
import { userInfo } from 'node:os';
import { describe, it, expect, beforeAll } from 'vitest';
import { inspect } from 'node:util';
import { UserStore, hashPassword, type ListenerUser } from '../../src/server/users.js';
import { BasicAuthenticator } from '../../src/server/auth.js';
import { BasicVerifyCache } from '../../src/server/basic-cache.js';
import { startE2e, post, IDENTIFY } from '../auth-e2e/helpers.js';

const PASSWORD = 'Sup3r-Secret-Basic';

/** A store that counts the scrypt checks it does. */
class CountingStore extends UserStore {
  checks = 0;
  override async verify(name: string, password: string): Promise<ListenerUser | undefined> {
    this.checks++;
    return super.verify(name, password);
  }
}

let hash: string;
beforeAll(async () => { hash = await hashPassword(PASSWORD, 1024); });

function setup(o: { ttlMs?: number; maxEntries?: number } = {}): { store: CountingStore; basic: BasicAuthenticator; clock: { now: number } } {
  const clock = { now: 0 };
  const store = new CountingStore();
  store.add({ name: 'alice', hash });
  store.add({ name: 'bob', hash });
  return { store, basic: new BasicAuthenticator(store, new BasicVerifyCache({ ...o, now: () => clock.now })), clock };
}
const cred = (user: string, pw = PASSWORD): Uint8Array => Buffer.from(`${user}:${pw}`);

describe('Basic verification cache', () => {
  it('verifies once across connections, and the answer is the same user', async () => {
    const { store, basic } = setup();
    for (let i = 0; i < 5; i++) {
      const r = await basic.authenticate(cred('alice'), {}); // a new connection each time
      expect(r.kind === 'ok' && r.user.name).toBe('alice');
    }
    expect(store.checks).toBe(1);
    // WORKGROUP\alice names the same local account with the same password: no new check.
    expect((await basic.authenticate(cred('WORKGROUP\\alice'), {})).kind).toBe('ok');
    expect((await basic.authenticate(cred('bob'), {})).kind).toBe('ok');
    expect(store.checks).toBe(2);
  });

  it('never remembers a failure, and a wrong password is never taken for a right one', async () => {
    const { store, basic } = setup();
    expect((await basic.authenticate(cred('alice'), {})).kind).toBe('ok');
    for (let i = 0; i < 3; i++) expect((await basic.authenticate(cred('alice', 'wrong'), {})).kind).toBe('challenge');
    expect((await basic.authenticate(cred('bob', 'wrong'), {})).kind).toBe('challenge');
    expect(store.checks).toBe(5);
  });

  it('is bounded in time and in count', async () => {
    const { store, basic, clock } = setup({ ttlMs: 1000, maxEntries: 1 });
    await basic.authenticate(cred('alice'), {});
    clock.now = 1001;
    await basic.authenticate(cred('alice'), {});
    expect(store.checks).toBe(2); // expired
    await basic.authenticate(cred('bob'), {}); // evicts alice (one entry at most)
    await basic.authenticate(cred('alice'), {});
    expect(store.checks).toBe(4);
    expect(basic.cache.size).toBe(1);
  });

  it('is dropped when the users file gives the account another password', async () => {
    const { store, basic } = setup();
    expect((await basic.authenticate(cred('alice'), {})).kind).toBe('ok');
    store.add({ name: 'alice', hash: await hashPassword('new-password', 1024) });
    expect((await basic.authenticate(cred('alice'), {})).kind).toBe('challenge'); // the old password no longer works
    expect((await basic.authenticate(cred('alice', 'new-password'), {})).kind).toBe('ok');
  });

  it('keeps no password: not in its inspect or JSON form', async () => {
    const { basic } = setup();
    await basic.authenticate(cred('alice'), {});
    const shown = inspect(basic.cache, { showHidden: true, depth: 5 }) + JSON.stringify(basic.cache) + JSON.stringify(basic);
    expect(shown).not.toContain(PASSWORD);
    expect(shown).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
  });

  it('over loopback: repeated Basic requests on new connections cost one check', async () => {
    const store = new CountingStore();
    store.add({ name: 'alice', hash, runAs: userInfo().username });
    const T = await startE2e({ users: store, httpsPort: null, allowUnencrypted: true, authThrottle: false });
    try {
      const h = { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };
      for (let i = 0; i < 4; i++) expect((await post(T.http!, IDENTIFY, h)).status).toBe(200);
      expect(store.checks).toBe(1);
    } finally {
      await T.stop();
    }
  });
});
