/**
 * Whose account runs a command (issue 15, "Privilege and identity"): a root listener runs a user
 * as the local account of the same name, refuses a user without one (401 and a log line), runs a
 * user as root only when `--run-as NAME=root` asks for it, and never hands a switched user a
 * pooled shell of the listener's own account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Action, ResourceURI } from '../../src/core/index.js';
import { resolveRunAs } from '../../src/server/accounts.js';
import { TestShell, call } from '../server/helpers.js';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { generateClientCertificate } from '../../src/auth/certgen.js';
import { UserStore } from '../../src/server/users.js';
import { startE2e } from '../auth-e2e/helpers.js';
import { startCliListener, stopCliListener, PASSWORD } from './helpers.js';
import { createAccount, removeAccount, listenerWith, basic, memoryLogger, isRoot, ROOT_ONLY, type TestAccount } from './helpers.js';

describe('resolveRunAs (the rule, on a crafted passwd file)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsman-passwd-'));
  const passwd = path.join(dir, 'passwd');
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\ncarol:x:1201:1201::/home/carol:/bin/sh\n1202:x:1203:1203::/:/bin/sh\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs everyone as the listener\'s own account when it is not root', () => {
    expect(resolveRunAs({ name: 'carol' }, false, passwd)).toEqual({ kind: 'listener' });
    expect(resolveRunAs({ name: 'nobody-here', runAs: 'root' }, false, passwd)).toEqual({ kind: 'listener' });
  });

  it('as root: the same-name account, else refused; root only when named', () => {
    const carol = resolveRunAs({ name: 'carol' }, true, passwd);
    expect(carol.kind === 'account' && carol.account.uid).toBe(1201);
    const dave = resolveRunAs({ name: 'dave' }, true, passwd);
    expect(dave.kind === 'refused' && dave.reason).toMatch(/no local account named 'dave'.*--run-as dave=ACCOUNT/);
    // Same name as an account with uid 0: refused, whatever the name.
    expect(resolveRunAs({ name: 'root' }, true, passwd).kind).toBe('refused');
    expect(resolveRunAs({ name: 'toor' }, true, passwd).kind).toBe('refused');
    // A user named like a uid is not matched by uid.
    expect(resolveRunAs({ name: '1201' }, true, passwd).kind).toBe('refused');
    const explicit = resolveRunAs({ name: 'dave', runAs: 'carol' }, true, passwd);
    expect(explicit.kind === 'account' && explicit.account.name).toBe('carol');
    expect(resolveRunAs({ name: 'dave', runAs: 'ghost' }, true, passwd).kind).toBe('refused');
    if (isRoot) expect(resolveRunAs({ name: 'dave', runAs: 'root' }, true, passwd)).toEqual({ kind: 'listener' });
  });
});

describe.skipIf(!isRoot)(`accounts of a root listener (${ROOT_ONLY})`, () => {
  let same: TestAccount;
  let other: TestAccount;
  beforeAll(() => {
    same = createAccount();
    other = createAccount();
  });
  afterAll(() => {
    removeAccount(same);
    removeAccount(other);
  });

  async function whoami(url: string, user: string, workingDirectory?: string): Promise<string> {
    const sh = await TestShell.create(url, workingDirectory ? { workingDirectory } : {}, {}, basic(user));
    const id = await sh.start('id -un; id -u; pwd');
    const out = (await sh.collect(id)).stdout.toString();
    await sh.delete();
    return out;
  }

  for (const processPool of [true, false]) {
    it(`runs a user as the local account of the same name, and a --run-as user as the named account (processPool: ${processPool})`, async () => {
      const l = await listenerWith([{ name: same.name }, { name: 'mapped', runAs: other.name }], { processPool });
      try {
        // Several times: with a pool, the first command may be the one spawned while it fills.
        for (let i = 0; i < 3; i++) {
          expect(await whoami(l.url, same.name)).toBe(`${same.name}\n${same.uid}\n${same.home}\n`);
          expect(await whoami(l.url, 'mapped')).toBe(`${other.name}\n${other.uid}\n${other.home}\n`);
        }
      } finally {
        await l.stop();
      }
    });
  }

  it('refuses the logon of a user with no local account: 401, and a log line saying why', async () => {
    const log = memoryLogger();
    const l = await listenerWith([{ name: 'ghost-user' }, { name: 'root' }], { logger: log.logger });
    try {
      const r = await call(l.url, Action.Create, { kind: 'Shell', shell: {} }, {}, ResourceURI.Cmd, basic('ghost-user')).catch((e: Error) => e);
      expect(String(r)).toMatch(/HTTP 401/);
      expect(log.lines.some((x) => x.msg === 'logon refused' && x.user === 'ghost-user' && /no local account named 'ghost-user'/.test(String(x.reason)))).toBe(true);
      // A remote user named root is not root without --run-as root=root.
      const r2 = await call(l.url, Action.Create, { kind: 'Shell', shell: {} }, {}, ResourceURI.Cmd, basic('root')).catch((e: Error) => e);
      expect(String(r2)).toMatch(/HTTP 401/);
      // The start-up lines say it too.
      expect(log.lines.some((x) => x.msg === 'user account' && x.user === 'ghost-user' && String(x.runsAs).startsWith('refused'))).toBe(true);
    } finally {
      await l.stop();
    }
  });

  it('runs a user as root only when --run-as NAME=root asks for it', async () => {
    const l = await listenerWith([{ name: 'admin', runAs: 'root' }]);
    try {
      expect((await whoami(l.url, 'admin')).split('\n').slice(0, 2)).toEqual(['root', '0']);
    } finally {
      await l.stop();
    }
  });

  it('a switched user\'s working directory is entered as that user (root\'s home is not)', async () => {
    const l = await listenerWith([{ name: same.name }]);
    try {
      // /root is 0700: root could enter it before switching, the account cannot; it starts at home.
      expect(await whoami(l.url, same.name, '/root')).toBe(`${same.name}\n${same.uid}\n${same.home}\n`);
      expect(await whoami(l.url, same.name, '/tmp')).toBe(`${same.name}\n${same.uid}\n/tmp\n`);
    } finally {
      await l.stop();
    }
  });

  it('certificate-mapped users follow the same rule: same-name account, else refused', async () => {
    const mine = generateClientCertificate({ upn: `${same.name}@localhost` });
    const ghost = generateClientCertificate({ upn: 'ghost@localhost' });
    const users = new UserStore();
    users.add({ name: same.name, hash: '!certificate-only' });
    users.add({ name: 'ghost-cert', hash: '!certificate-only' });
    const l = await startE2e({ users, httpPort: null, authThrottle: false, certMappings: [
      { thumbprint: mine.thumbprint, user: same.name }, { thumbprint: ghost.thumbprint, user: 'ghost-cert' },
    ] });
    const client = (cert: typeof mine): WsmanClient => new WsmanClient({
      endpoint: { connectionUri: l.https! }, authentication: 'certificate', serverThumbprint: l.thumbprint,
      clientCertificate: { certPem: cert.certPem, keyPem: cert.keyPem },
    });
    try {
      const c = client(mine);
      try {
        expect((await invokeCommand(c, { command: 'id -un' })).stdout.toString()).toBe(`${same.name}\n`);
      } finally {
        await c.close();
      }
      const g = client(ghost);
      try {
        const err = await invokeCommand(g, { command: 'id -un' }).catch((e: unknown) => e);
        expect(String(err)).toMatch(/401|denied|refused|authenticat/i);
      } finally {
        await g.close();
      }
      expect(l.lines.some((x) => x.includes('"logon refused"') && x.includes('ghost-cert'))).toBe(true);
    } finally {
      await l.stop();
    }
  }, 30_000);

  it('a listener that is not root runs everyone as its own account, and says so once at start-up', async () => {
    // Started by root, dropped to nobody before node runs.
    const l = await startCliListener(['--user', `carol:${PASSWORD}`], { wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp'] });
    try {
      const sh = await TestShell.create(l.url, {}, {}, basic('carol'));
      const id = await sh.start('id -u');
      expect((await sh.collect(id)).stdout.toString()).toBe('65534\n');
      const said = l.stderr().split('\n').filter((x) => x.includes('the listener is not root: every user\'s commands run as its own account'));
      expect(said).toHaveLength(1);
    } finally {
      await stopCliListener(l);
    }
  }, 30_000);
});
