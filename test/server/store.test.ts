/**
 * The shell store's per-user view (Get-PSSession's listing, the MaxShellsPerUser count): kept by
 * owner as shells come and go (Delete, IdleTimeOut expiry, a ShellId taken again), owner names
 * matched without case, in creation order.
 */
import { describe, expect, it } from 'vitest';
import { ShellStore } from '../../src/server/store.js';
import { ServerShell } from '../../src/server/shell.js';
import { defaultConfig } from '../../src/server/config.js';
import type { ShellBackend } from '../../src/server/backends/backend.js';
import type { ListenerUser } from '../../src/server/users.js';

const config = defaultConfig().configurations[0]!;
const other = { ...config, name: 'other' };
const backend = { kind: 'process', close: () => undefined } as unknown as ShellBackend;

function shell(id: string, owner: ListenerUser, idleTimeoutMs = 60_000, cfg = config): ServerShell {
  return new ServerShell({
    id, backend, config: cfg, owner, clientIp: '127.0.0.1', clientId: '', environment: {}, idleTimeoutMs,
    inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'], locale: 'en-US', dataLocale: 'en-US', noProfile: false, bufferMode: 'Block', now: 0,
  });
}

describe('ShellStore by owner', () => {
  it('lists and counts each user\'s shells as they are added, deleted, expire or are replaced', () => {
    const alice: ListenerUser = { name: 'Alice', hash: '' };
    const bob: ListenerUser = { name: 'bob', hash: '' };
    const store = new ShellStore();
    const a1 = shell('A1', alice);
    const a2 = shell('A2', { ...alice, name: 'ALICE' }, 1_000);
    const a3 = shell('A3', alice, 60_000, other);
    const b1 = shell('B1', bob);
    for (const s of [a1, b1, a2, a3]) store.add(s);
    expect(store.ownedBy('alice')).toEqual([a1, a2, a3]);
    expect(store.ownedBy('BOB')).toEqual([b1]);
    expect(store.countFor('alice', config)).toBe(2);
    expect(store.countFor('alice', other)).toBe(1);
    store.delete('a1');
    expect(store.ownedBy('alice')).toEqual([a2, a3]);
    // a2's IdleTimeOut (1 s) passes; the others stay.
    expect(store.sweep(5_000, 0).expired).toEqual([a2]);
    expect(store.ownedBy('alice')).toEqual([a3]);
    // The same ShellId added again for another user: the first one is no longer alice's.
    const again = shell('a3', bob);
    store.add(again);
    expect(store.ownedBy('alice')).toEqual([]);
    expect(store.ownedBy('bob')).toEqual([b1, again]);
    expect(store.countFor('alice', other)).toBe(0);
    store.clear();
    expect(store.ownedBy('bob')).toEqual([]);
    expect(store.size).toBe(0);
  });
});
