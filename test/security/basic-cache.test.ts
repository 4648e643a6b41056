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

  it('belongs to the user store: listeners sharing a store pay one check between them', async () => {
    const clock = { now: 0 };
    const store = new CountingStore({ basicCache: { ttlMs: 1000, now: () => clock.now } });
    store.add({ name: 'alice', hash });
    // One BasicAuthenticator per listener, as defaultAuthenticators makes them.
    const listeners = Array.from({ length: 5 }, () => new BasicAuthenticator(store));
    for (const b of listeners) expect((await b.authenticate(cred('alice'), {})).kind).toBe('ok');
    expect(store.checks).toBe(1);
    expect(listeners[0]!.cache).toBe(store.basicCache);
    // The store's bounds hold for all of them.
    clock.now = 1001;
    expect((await listeners[3]!.authenticate(cred('alice'), {})).kind).toBe('ok');
    expect(store.checks).toBe(2);
    // A new hash voids the entry for every listener of the store.
    store.add({ name: 'alice', hash: await hashPassword('new-password', 1024) });
    for (const b of listeners) expect((await b.authenticate(cred('alice'), {})).kind).toBe('challenge');
    // Another store is not vouched for by this one's cache.
    const other = new CountingStore();
    other.add({ name: 'alice', hash: await hashPassword('other-password', 1024) });
    expect((await listeners[0]!.authenticate(cred('alice', 'new-password'), {})).kind).toBe('ok');
    expect((await new BasicAuthenticator(other).authenticate(cred('alice', 'new-password'), {})).kind).toBe('challenge');
    expect(other.checks).toBe(1);
  });

  it('concurrent logons with the same credentials share one check (a fan-out\'s first wave)', async () => {
    const store = new CountingStore();
    store.add({ name: 'alice', hash });
    const out = await Promise.all(Array.from({ length: 32 }, () => new BasicAuthenticator(store).authenticate(cred('alice'), {})));
    expect(out.map((r) => r.kind === 'ok' && r.user.name)).toEqual(Array(32).fill('alice'));
    expect(store.checks).toBe(1);
  });

  it('a shared check\'s failure goes to those waiting, is not kept, and other passwords are checked apart', async () => {
    const { store, basic } = setup();
    const wrong = await Promise.all([1, 2, 3].map(() => basic.authenticate(cred('alice', 'wrong'), {})));
    expect(wrong.map((r) => r.kind)).toEqual(['challenge', 'challenge', 'challenge']);
    expect(store.checks).toBe(1);
    expect((await basic.authenticate(cred('alice', 'wrong'), {})).kind).toBe('challenge');
    expect(store.checks).toBe(2); // the failure was not remembered
    const [bad, good] = await Promise.all([basic.authenticate(cred('alice', 'wrong2'), {}), basic.authenticate(cred('alice'), {})]);
    expect([bad.kind, good.kind]).toEqual(['challenge', 'ok']);
    expect(store.checks).toBe(4);
  });

  it('over loopback: two listeners sharing a users store verify a credential once', async () => {
    const store = new CountingStore();
    store.add({ name: 'alice', hash, runAs: userInfo().username });
    const A = await startE2e({ users: store, httpsPort: null, allowUnencrypted: true, authThrottle: false });
    const B = await startE2e({ users: store, httpsPort: null, allowUnencrypted: true, authThrottle: false });
    try {
      const h = { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };
      const replies = await Promise.all([A, B, A, B].map((T) => post(T.http!, IDENTIFY, h)));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(store.checks).toBe(1);
    } finally {
      await A.stop();
      await B.stop();
    }
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
