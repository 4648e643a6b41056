/** Units of the listener: the state tables, the output buffer, the user store and the config file. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellMachine, commandMachine, WsmanStateError, SHELL_TABLE } from '../../src/core/state/index.js';
import { OutputBuffer } from '../../src/server/output.js';
import { UserStore, hashPassword, verifyPassword, addUserToFile, loadUsersFile, parseUsersFile } from '../../src/server/users.js';
import { parseConfig, configurationFor } from '../../src/server/config.js';
import { BasicAuthenticator } from '../../src/server/auth.js';
import { ResourceURI } from '../../src/core/index.js';

describe('shell and command state tables', () => {
  it('allows Reconnect and Connect only as the table says', () => {
    expect(shellMachine.next('Disconnected', 'Connect')).toBe('Connected');
    expect(shellMachine.next('Connected', 'Disconnect')).toBe('Disconnected');
    expect(shellMachine.next('Connected', 'KeepAliveLost')).toBe('Disconnected');
    expect(shellMachine.can('Disconnected', 'Receive')).toBe(false);
    expect(shellMachine.allowedStates('Connect')).toEqual(['Disconnected']);
    expect(Object.keys(SHELL_TABLE.Closed)).toEqual([]);
  });

  it('raises typed errors naming the action, the state, the allowed states and the Windows fault', () => {
    const err = (() => {
      try {
        shellMachine.next('Disconnected', 'Command');
      } catch (e) {
        return e;
      }
      return undefined;
    })() as WsmanStateError;
    expect(err).toBeInstanceOf(WsmanStateError);
    expect(err.action).toBe('Command');
    expect(err.state).toBe('Disconnected');
    expect(err.allowed).toEqual(['Connected']);
    expect(err.fault?.wsmanCode).toBe(2150859204);
    expect(err.message).toMatch(/Command is not valid for a shell in state Disconnected/);
    expect(() => shellMachine.next('Connected', 'Connect')).toThrow(expect.objectContaining({ fault: { wsmanCode: 2150859213 } }));
    expect(() => shellMachine.next('Disconnected', 'Disconnect')).toThrow(expect.objectContaining({ fault: { wsmanCode: 2150859215 } }));
  });

  it('walks a command from Running to Done to Terminated', () => {
    expect(commandMachine.next('Running', 'Exit')).toBe('Done');
    expect(commandMachine.next('Done', 'Receive')).toBe('Done');
    expect(commandMachine.next('Done', 'Terminate')).toBe('Terminated');
    expect(() => commandMachine.next('Terminated', 'Receive')).toThrow(WsmanStateError);
    expect(commandMachine.allowedEvents('Done')).not.toContain('Exit');
  });
});

describe('OutputBuffer', () => {
  it('keeps order across streams and merges consecutive chunks of one stream', () => {
    const b = new OutputBuffer('Block', 1 << 20, () => undefined, () => undefined);
    b.push('stdout', Buffer.from('a'));
    b.push('stdout', Buffer.from('b'));
    b.push('stderr', Buffer.from('c'));
    b.push('stdout', Buffer.from('d'));
    const got = b.take(10_000, 100).map((c) => [c.stream, c.data.toString()]);
    expect(got).toEqual([['stdout', 'ab'], ['stderr', 'c'], ['stdout', 'd']]);
    expect(b.size).toBe(0);
  });

  it('takes no more base64 than the room given', () => {
    const b = new OutputBuffer('Block', 1 << 20, () => undefined, () => undefined);
    b.push('stdout', Buffer.alloc(10_000, 1));
    const [c] = b.take(1000, 100);
    expect(Math.ceil(c!.data.length / 3) * 4 + 100).toBeLessThanOrEqual(1000);
    expect(b.size).toBe(10_000 - c!.data.length);
  });

  it('Block pauses above the limit and resumes below half of it; nothing is lost', () => {
    let paused = 0;
    let resumed = 0;
    const b = new OutputBuffer('Block', 100, () => paused++, () => resumed++);
    b.push('stdout', Buffer.alloc(80));
    expect(paused).toBe(0);
    b.push('stdout', Buffer.alloc(80));
    expect(paused).toBe(1);
    expect(b.size).toBe(160);
    expect(b.take(144, 100)[0]!.data.length).toBe(30);
    expect(resumed).toBe(0);
    b.take(10_000, 100);
    expect(resumed).toBe(1);
  });

  it('Drop keeps only the newest bytes', () => {
    const b = new OutputBuffer('Drop', 4, () => undefined, () => undefined);
    b.push('stdout', Buffer.from('abc'));
    b.push('stdout', Buffer.from('defg'));
    expect(b.dropped).toBe(3);
    expect(b.take(1000, 100).map((c) => c.data.toString()).join('')).toBe('defg');
  });

  it('leaves streams that were not asked for', () => {
    const b = new OutputBuffer('Block', 1 << 20, () => undefined, () => undefined);
    b.push('stderr', Buffer.from('e'));
    b.push('stdout', Buffer.from('o'));
    expect(b.take(1000, 100, new Set(['stdout'])).map((c) => c.stream)).toEqual(['stdout']);
    expect(b.has(new Set(['stderr']))).toBe(true);
  });
});

describe('users', () => {
  it('hashes with scrypt and verifies in constant time; malformed hashes never match', async () => {
    // '!' is outside base64, so the password cannot appear in the hash by chance (plain 'pw' did, ~2% of runs).
    const h = await hashPassword('pw!', 1024);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(h).not.toContain('pw!');
    expect(await verifyPassword('pw!', h)).toBe(true);
    expect(await verifyPassword('px!', h)).toBe(false);
    expect(await verifyPassword('pw!', 'scrypt$x$y$z$a$b')).toBe(false);
    expect(await verifyPassword('pw!', 'plain')).toBe(false);
  });

  it('writes a users file (mode 0600) that the listener loads, with run-as accounts', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wsman-users-')), 'users');
    await addUserToFile(file, 'carol', 'c4rol', 'nobody');
    await addUserToFile(file, 'dave', 'd4ve');
    await addUserToFile(file, 'carol', 'new-pass', 'nobody');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toMatch(/c4rol|new-pass|d4ve/);
    const store = new UserStore();
    loadUsersFile(file, store);
    expect(store.size).toBe(2);
    expect(store.get('CAROL')?.runAs).toBe('nobody');
    expect((await store.verify('carol', 'new-pass'))?.name).toBe('carol');
    expect(await store.verify('carol', 'c4rol')).toBeUndefined();
    expect(() => parseUsersFile('bad line', 'f')).toThrow(/NAME:scrypt/);
  });

  it('Basic remembers a verified header per connection only', async () => {
    const store = new UserStore();
    store.add({ name: 'erin', hash: await hashPassword('pw', 1024) });
    const basic = new BasicAuthenticator(store);
    const conn = {};
    const token = Buffer.from('erin:pw').toString('base64');
    expect((await basic.authenticate(Buffer.from('erin:pw'), conn)).kind).toBe('ok');
    expect((await basic.authenticate(Buffer.from('erin:no'), conn)).kind).toBe('challenge');
    expect(JSON.stringify(conn)).not.toContain(token);
  });
});

describe('config', () => {
  it('has Windows defaults and reads session configurations from JSON', () => {
    const c = parseConfig({ MaxEnvelopeSizekb: 150, SessionConfigurations: [{ Name: 'cmd', MaxShellsPerUser: 5 }, { Name: 'Ops', IdleTimeoutMs: 60000, OutputBufferingMode: 'drop' }] });
    expect(c.maxEnvelopeSizeKb).toBe(150);
    expect(c.maxTimeoutMs).toBe(60000);
    expect(c.configurations[0]).toMatchObject({ name: 'cmd', idleTimeoutMs: 7_200_000, maxShellsPerUser: 5, outputBufferingMode: 'Block' });
    expect(configurationFor(c, 'http://schemas.microsoft.com/powershell/ops')).toMatchObject({ name: 'Ops', outputBufferingMode: 'Drop', idleTimeoutMs: 60000 });
    expect(configurationFor(c, ResourceURI.Cmd.toUpperCase())?.name).toBe('cmd');
    expect(() => parseConfig({ SessionConfigurations: [{ Name: 'x', IdleTimeoutMs: 10, MaxIdleTimeoutMs: 5 }] })).toThrow(/exceeds/);
  });
});

describe('fast ReceiveResponse encoding', () => {
  it('writes the bytes the core string encoder writes', async () => {
    const { encodeMessage, encodeMessageBytes, responseHeaders, Action } = await import('../../src/core/index.js');
    const body = {
      kind: 'ReceiveResponse' as const, sequenceId: 3,
      streams: [{ name: 'stdout', commandId: 'C1', data: Buffer.from('héllo <&>') }, { name: 'std"err', commandId: 'C1', end: true, data: Buffer.alloc(0) }],
      commandState: { commandId: 'C1', state: 'Done', exitCode: -1 },
    };
    const h = responseHeaders({ messageId: 'uuid:1' }, Action.ReceiveResponse, 'uuid:2');
    expect(encodeMessageBytes({ headers: h, body }, 'response').toString('utf8')).toBe(encodeMessage({ headers: h, body }, 'response'));
  });
});
