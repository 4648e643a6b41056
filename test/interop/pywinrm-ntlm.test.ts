/**
 * pywinrm (Debian's python3-winrm) with transport='ntlm' and its default message encryption
 * against our listener: over plain HTTP with AllowUnencrypted off (so every body must be sealed; a
 * recording TCP relay checks that no SOAP crosses the wire in the clear), and over HTTPS (no
 * sealing, and sealing inside TLS with message_encryption='always'). The users come from a users
 * file: NTLM verifies against the stored NT hash. Wrong password and foreign domain are refused.
 * Also pywinrm's certificate transport against the listener's certificate mapping.
 * Skipped only when pywinrm cannot be imported.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WsmanListener } from '../../src/server/listener.js';
import { UserStore, addUserToFile, loadUsersFile } from '../../src/server/users.js';
import { createLogger } from '../../src/server/log.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { generateClientCertificate } from '../../src/auth/certgen.js';
import { writeFileSync } from 'node:fs';

const PY = '/usr/bin/python3';
const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'py', 'pywinrm_ntlm.py');

function havePywinrm(): boolean {
  try {
    execFileSync(PY, ['-c', 'import winrm, xmltodict'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Result { stdout: string; stderr?: string; code: number; stdout_len?: number; stdout_sha256?: string }

async function drive(url: string, user: string, password: string, encryption = 'auto', mode = 'full'): Promise<Record<string, Result> & { error?: string }> {
  const env = { ...process.env };
  delete env.REQUESTS_CA_BUNDLE;
  delete env.CURL_CA_BUNDLE;
  const { stdout } = await promisify(execFile)(PY, [DRIVER, url, user, password, encryption, mode], { env, timeout: 90_000, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Result> & { error?: string };
}

/** A TCP relay to `port` that keeps what the client sent. */
async function relay(port: number): Promise<{ server: Server; port: number; sent: Buffer[] }> {
  const sent: Buffer[] = [];
  const server = createServer((inbound) => {
    const out = connect(port, '127.0.0.1');
    inbound.on('data', (d: Buffer) => sent.push(d));
    inbound.pipe(out).pipe(inbound);
    inbound.on('error', () => out.destroy());
    out.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sent };
}

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

describe.skipIf(!havePywinrm())('pywinrm with NTLM message encryption against the listener', () => {
  let listener: WsmanListener;
  let http = '';
  let https = '';
  let tap: Awaited<ReturnType<typeof relay>>;
  const lines: string[] = [];
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wsman-users-')), 'users');
    // As `wsman user add` writes it: scrypt hash and NT hash; the listener never sees the password.
    await addUserToFile(file, 'alice', 'N0t-in-the-listener', undefined, Buffer.from(ntHash('N0t-in-the-listener')).toString('hex'));
    const users = new UserStore();
    loadUsersFile(file, users);
    users.setRunAs('alice', userInfo().username); // a root listener refuses users without a local account
    listener = new WsmanListener({
      users, httpPort: 0, httpsPort: 0, allowUnencrypted: false, authThrottle: false,
      stateDir: mkdtempSync(join(tmpdir(), 'wsman-state-')), logger: createLogger('info', (l) => lines.push(l)),
    });
    const eps = await listener.start();
    http = eps.find((e) => !e.secure)!.url;
    https = eps.find((e) => e.secure)!.url;
    tap = await relay(Number(new URL(http).port));
  });
  afterAll(async () => {
    await listener?.stop();
    tap?.server.close();
  });

  function expectCommands(r: Record<string, Result>): void {
    expect(b64(r.hello!.stdout)).toBe('sealed hello\n');
    expect(r.hello!.code).toBe(0);
    expect(b64(r.stderr_exit!.stdout)).toBe('out\n');
    expect(b64(r.stderr_exit!.stderr!)).toBe('err\n');
    expect(r.stderr_exit!.code).toBe(42);
    expect(r.false!.code).toBe(1);
    expect(r.big!.stdout_len).toBe(800_000);
    expect(r.big!.stdout_sha256).toBe(createHash('sha256').update(Buffer.alloc(800_000, 'y')).digest('hex'));
    expect(b64(r.stdin!.stdout)).toBe('THROUGH SEND\n');
    expect(r.stdin!.code).toBe(0);
  }

  it('runs commands over HTTP with its default encryption; nothing crosses the wire in the clear', async () => {
    const url = `http://127.0.0.1:${tap.port}/wsman`;
    expectCommands(await drive(url, 'alice', 'N0t-in-the-listener'));
    const wire = Buffer.concat(tap.sent).toString('latin1');
    expect(wire).toContain('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted"');
    expect(wire).not.toMatch(/Envelope|CommandLine|sealed hello|THROUGH|through send/);
    expect(lines.join('')).not.toContain('N0t-in-the-listener');
  });

  it('runs commands over HTTPS (server_cert_validation=ignore), unsealed inside TLS and sealed with message_encryption=always', async () => {
    expectCommands(await drive(https, 'alice', 'N0t-in-the-listener'));
    const always = await drive(https, 'alice', 'N0t-in-the-listener', 'always', 'logon');
    expect(b64(always.hello!.stdout)).toBe('logon ok\n');
  });

  it('accepts WORKGROUP\\alice; refuses a wrong password and a foreign domain', async () => {
    const ok = await drive(http, 'WORKGROUP\\alice', 'N0t-in-the-listener', 'auto', 'logon');
    expect(b64(ok.hello!.stdout)).toBe('logon ok\n');
    const wrong = await drive(http, 'alice', 'wrong-password', 'auto', 'logon');
    expect(wrong.error).toBe('InvalidCredentialsError');
    const foreign = await drive(http, 'EVILCORP\\alice', 'N0t-in-the-listener', 'auto', 'logon');
    expect(foreign.error).toBe('InvalidCredentialsError');
  });
});

/** Not NTLM, but the same client: pywinrm's certificate transport against our certificate mapping. */
describe.skipIf(!havePywinrm())('pywinrm with transport=certificate against the listener', () => {
  it('a mapped certificate runs a command; an unmapped one is refused (InvalidCredentialsError)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsman-pycert-'));
    const files = (name: string, upn: string): { cert: string; key: string; thumbprint: string } => {
      const g = generateClientCertificate({ upn });
      writeFileSync(join(dir, `${name}.pem`), g.certPem);
      writeFileSync(join(dir, `${name}.key`), g.keyPem, { mode: 0o600 });
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), thumbprint: g.thumbprint };
    };
    const alice = files('alice', 'alice@localhost');
    const mallory = files('mallory', 'mallory@localhost');
    const users = new UserStore();
    users.add({ name: 'alice', hash: '!certificate-only', runAs: userInfo().username });
    const listener = new WsmanListener({
      users, httpPort: null, httpsPort: 0, authThrottle: false, certMappings: [{ thumbprint: alice.thumbprint, user: 'alice' }],
      stateDir: mkdtempSync(join(tmpdir(), 'wsman-state-')), logger: createLogger('silent'),
    });
    const url = (await listener.start())[0]!.url;
    const env = { ...process.env };
    delete env.REQUESTS_CA_BUNDLE;
    delete env.CURL_CA_BUNDLE;
    const run = async (c: { cert: string; key: string }): Promise<{ stdout?: string; stderr?: string; code?: number; error?: string }> => {
      const { stdout } = await promisify(execFile)(PY, [join(dirname(DRIVER), 'pywinrm_cert.py'), url, c.cert, c.key], { env, timeout: 60_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as { stdout?: string; stderr?: string; code?: number; error?: string };
    };
    try {
      const ok = await run(alice);
      expect(b64(ok.stdout!)).toBe('by-certificate\n');
      expect(b64(ok.stderr!)).toBe('err\n');
      expect(ok.code).toBe(5);
      expect((await run(mallory)).error).toBe('InvalidCredentialsError');
    } finally {
      await listener.stop();
    }
  });
});
