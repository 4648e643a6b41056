/**
 * Kerberos through the optional native `kerberos` package against a real MIT KDC (Debian's
 * krb5-kdc) on 127.0.0.1: a throw-away realm, a user with a password, an HTTP/localhost service key
 * in a keytab, a ticket from kinit. Our KerberosClientContext (Kerberos and SPNEGO) authenticates to
 * a GSSAPI acceptor using that keytab. Skipped, saying why, when the package or the KDC is absent:
 * neither is needed by a default install (`npm install --no-save kerberos` and
 * `apt-get install krb5-kdc krb5-admin-server libkrb5-dev` enable it).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createClientAuth, NegotiateClientContext } from '../../src/auth/index.js';
import { WsmanAuthError } from '../../src/core/errors.js';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanListener } from '../../src/server/listener.js';
import { UserStore } from '../../src/server/users.js';
import { createLogger } from '../../src/server/log.js';
import { kerberosAuthenticator } from '../../src/server/auth.js';

const TOOLS = ['/usr/sbin/krb5kdc', '/usr/sbin/kdb5_util', '/usr/sbin/kadmin.local', '/usr/bin/kinit'];
const REALM = 'WSMAN.TEST';

function packagePresent(): boolean {
  try {
    createRequire(import.meta.url).resolve('kerberos');
    return true;
  } catch {
    return false;
  }
}
const missing = [
  ...(packagePresent() ? [] : ['the optional `kerberos` npm package']),
  ...(TOOLS.every((t) => existsSync(t)) ? [] : ['an MIT KDC (apt-get install krb5-kdc krb5-admin-server)']),
];
if (missing.length) console.warn(`kerberos.test.ts skipped: needs ${missing.join(' and ')}`);

interface NativeServer { step(token: string): Promise<string>; username?: string; contextComplete: boolean }
interface NativeKerberos { initializeServer(service: string): Promise<NativeServer> }

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`the KDC did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing.length > 0)('Kerberos against a loopback MIT KDC', () => {
  let kdc: ChildProcess | undefined;
  let dir = '';
  let native: NativeKerberos;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsman-krb-'));
    const port = await freePort();
    writeFileSync(join(dir, 'krb5.conf'), [
      '[libdefaults]', ` default_realm = ${REALM}`, ' dns_lookup_realm = false', ' dns_lookup_kdc = false', ' rdns = false',
      ' udp_preference_limit = 1', ' ignore_acceptor_hostname = true',
      '[realms]', ` ${REALM} = {`, `  kdc = 127.0.0.1:${port}`, ' }',
      '[domain_realm]', ` localhost = ${REALM}`, '',
    ].join('\n'));
    writeFileSync(join(dir, 'kdc.conf'), [
      '[kdcdefaults]', ` kdc_ports = ${port}`, ` kdc_tcp_ports = ${port}`,
      '[realms]', ` ${REALM} = {`, `  database_name = ${dir}/principal`, `  key_stash_file = ${dir}/stash`,
      `  acl_file = ${dir}/kadm5.acl`, '  max_life = 1h', ' }',
      '[logging]', ` kdc = FILE:${dir}/kdc.log`, '',
    ].join('\n'));
    const env = { ...process.env, KRB5_CONFIG: join(dir, 'krb5.conf'), KRB5_KDC_PROFILE: join(dir, 'kdc.conf'), KRB5CCNAME: `FILE:${dir}/cc` };
    const run = (cmd: string, args: string[], input?: string): void => {
      const r = spawnSync(cmd, args, { env, input, encoding: 'utf8', timeout: 20_000 });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    };
    run('/usr/sbin/kdb5_util', ['create', '-s', '-r', REALM, '-P', 'master-key-pw']);
    run('/usr/sbin/kadmin.local', ['-r', REALM, '-q', 'addprinc -pw alice-pw alice']);
    run('/usr/sbin/kadmin.local', ['-r', REALM, '-q', 'addprinc -pw bob-pw bob']);
    run('/usr/sbin/kadmin.local', ['-r', REALM, '-q', 'addprinc -randkey HTTP/localhost']);
    run('/usr/sbin/kadmin.local', ['-r', REALM, '-q', `ktadd -k ${dir}/http.keytab HTTP/localhost`]);
    kdc = spawn('/usr/sbin/krb5kdc', ['-n', '-r', REALM], { env, stdio: 'ignore' });
    await waitForPort(port, 10_000);
    run('/usr/bin/kinit', ['alice'], 'alice-pw\n');
    spawnSync('/usr/bin/kinit', ['bob'], { env: { ...env, KRB5CCNAME: `FILE:${dir}/cc-bob` }, input: 'bob-pw\n', timeout: 20_000 });
    // GSSAPI reads these per call: the client uses the ticket cache, the acceptor the keytab.
    process.env.KRB5_CONFIG = env.KRB5_CONFIG;
    process.env.KRB5CCNAME = env.KRB5CCNAME;
    process.env.KRB5_KTNAME = `FILE:${dir}/http.keytab`;
    native = (await import('kerberos' as string)) as NativeKerberos;
  }, 60_000);
  afterAll(() => {
    kdc?.kill('SIGTERM');
  });

  async function exchange(mechanism: 'kerberos' | 'negotiate'): Promise<{ user: string | undefined; done: boolean }> {
    const client = await createClientAuth({ mechanism, host: 'localhost', username: 'alice', ...(mechanism === 'negotiate' ? { kerberos: 'require' } : {}) });
    expect(client.mechanism).toBe(mechanism);
    const server = await native.initializeServer('HTTP@localhost');
    let r = await client.stepAsync();
    for (let leg = 0; leg < 4; leg++) {
      const answer = await server.step(Buffer.from(r.token!).toString('base64'));
      if (server.contextComplete) {
        if (answer) await client.stepAsync(Buffer.from(answer, 'base64'));
        break;
      }
      r = await client.stepAsync(Buffer.from(answer, 'base64'));
    }
    return { user: server.username, done: client.complete };
  }

  it('authenticates alice with the Kerberos mechanism (mutual authentication completes)', async () => {
    const r = await exchange('kerberos');
    expect(r.user).toBe(`alice@${REALM}`);
    expect(r.done).toBe(true);
  });

  it('authenticates alice with Negotiate (SPNEGO) choosing Kerberos', async () => {
    const r = await exchange('negotiate');
    expect(r.user).toBe(`alice@${REALM}`);
  });

  it('wsman run --authentication kerberos against the listener\'s Kerberos scheme: the principal maps to a listener user', async () => {
    const users = new UserStore();
    users.add({ name: 'alice', hash: '!no-password', runAs: userInfo().username });
    const listener = new WsmanListener({
      users, httpPort: 0, httpsPort: null, allowUnencrypted: true, host: '127.0.0.1', logger: createLogger('silent'),
      authenticators: [kerberosAuthenticator(users)],
    });
    const port = (await listener.start())[0]!.port;
    const url = `http://localhost:${port}/wsman`; // the SPN is HTTP/localhost
    try {
      const c = new WsmanClient({ endpoint: { connectionUri: url }, authentication: 'kerberos', allowUnencrypted: true }); // the ticket cache, no password; Kerberos does not seal: clear traffic over HTTP, allowed
      const r = await invokeCommand(c, { command: 'echo kerberos' });
      await c.close();
      expect(r.stdout.toString()).toBe('kerberos\n');
      // bob has a ticket but is not a listener user.
      const saved = process.env.KRB5CCNAME;
      process.env.KRB5CCNAME = `FILE:${dir}/cc-bob`;
      try {
        const b = new WsmanClient({ endpoint: { connectionUri: url }, authentication: 'kerberos', allowUnencrypted: true, credential: { username: 'bob', password: '' } });
        const err = await invokeCommand(b, { command: 'echo no' }).catch((e: unknown) => e);
        await b.close();
        expect(err).toBeInstanceOf(WsmanAuthError);
      } finally {
        process.env.KRB5CCNAME = saved;
      }
    } finally {
      await listener.stop();
    }
  });

  it('without a ticket: WsmanAuthError before anything is sent; Negotiate falls back to NTLM', async () => {
    const saved = process.env.KRB5CCNAME;
    process.env.KRB5CCNAME = `FILE:${dir}/empty-cache`;
    try {
      const err = await createClientAuth({ mechanism: 'kerberos', host: 'localhost' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanAuthError);
      expect((err as WsmanAuthError).code).toBe('ERR_AUTH_KERBEROS');
      expect((err as Error).message).toMatch(/HTTP@localhost \(no ticket, or unknown SPN\)/);
      // By address: there is no SPN for it, which the message says.
      const byIp = await createClientAuth({ mechanism: 'kerberos', host: '127.0.0.1' }).catch((e: unknown) => e);
      expect((byIp as Error).message).toMatch(/HTTP@127\.0\.0\.1 \(an IP address has no SPN: connect by host name\)/);
      // Negotiate tries Kerberos first for a host name, then falls back to NTLM.
      const ctx = await createClientAuth({ mechanism: 'negotiate', host: 'win.example', username: 'alice', password: 'pw' });
      expect(ctx).toBeInstanceOf(NegotiateClientContext);
    } finally {
      process.env.KRB5CCNAME = saved;
    }
  });
});
