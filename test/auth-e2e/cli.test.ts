/**
 * The "done when", as a user types it: `wsman run --authentication negotiate` against
 * `wsman listen` on plain HTTP (sealed; the users file holds the NT hash written by `wsman user add`),
 * and certificate authentication by thumbprint with `wsman cert new` / `wsman cert thumbprint`,
 * the store found through WSMAN_CERT_STORE or the user's config directory, or `--certificate FILE`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, copyFileSync, writeFileSync } from 'node:fs';
import forge from 'node-forge';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = CLI;

interface Run { code: number | null; stdout: string; stderr: string }

function wsman(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start `wsman listen`; resolves with its endpoint lines once it prints `count` of them. */
function listen(args: string[], count: number): Promise<{ child: ChildProcess; urls: string[]; thumbprint?: string; log: () => string }> {
  const child = spawn(process.execPath, [MAIN, 'listen', ...args, '--log-level', 'info'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n').filter((l) => l.startsWith('listening on '));
      if (lines.length >= count) {
        const urls = lines.map((l) => l.split(' ')[2]!);
        const thumbprint = /thumbprint ([0-9A-F]{40})/.exec(out)?.[1];
        resolve({ child, urls, ...(thumbprint ? { thumbprint } : {}), log: () => err });
      }
    });
    child.once('exit', () => reject(new Error(`wsman listen exited: ${err}`)));
  });
}

const stop = (c: ChildProcess | undefined): Promise<void> => new Promise((resolve) => {
  if (!c || c.exitCode !== null) return resolve();
  c.once('exit', () => resolve());
  c.kill('SIGTERM');
});

describe('wsman run --authentication negotiate against wsman listen on plain HTTP', () => {
  let L: Awaited<ReturnType<typeof listen>> | undefined;
  beforeAll(async () => {
    const users = join(mkdtempSync(join(tmpdir(), 'wsman-e2e-')), 'users');
    const add = await wsman(['user', 'add', 'alice', '--users-file', users, '--password-env', 'PW'], { PW: 's3cret!' });
    expect(add.code).toBe(0);
    // The users file keeps an scrypt hash and the NT hash, never the password.
    const text = readFileSync(users, 'utf8');
    expect(text).toMatch(/^alice:scrypt\$[^:]+::[0-9a-f]{32}\n$/);
    expect(text).not.toContain('s3cret!');
    L = await listen(['--users-file', users, '--run-as', `alice=${userInfo().username}`, '--port', '0', '--no-https'], 1);
  });
  afterAll(async () => { await stop(L?.child); });

  it('runs a command sealed over HTTP with the NT hash from the users file', async () => {
    const r = await wsman(['run', '--connection-uri', L!.urls[0]!, '--credential', 'alice', '--authentication', 'negotiate', '--', 'echo sealed; echo oops >&2; exit 3'],
      { WSMAN_PASSWORD: 's3cret!' });
    expect(r.stdout).toBe('sealed\n');
    expect(r.stderr).toContain('oops');
    expect(r.code).toBe(3);
  });

  it('is refused with a wrong password, and with --no-encryption (AllowUnencrypted is off)', async () => {
    const wrong = await wsman(['run', '--connection-uri', L!.urls[0]!, '--credential', 'alice', '--authentication', 'negotiate', '--', 'true'], { WSMAN_PASSWORD: 'nope' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/401/);
    const plain = await wsman(['run', '--connection-uri', L!.urls[0]!, '--credential', 'alice', '--authentication', 'negotiate', '--no-encryption', '--', 'true'],
      { WSMAN_PASSWORD: 's3cret!' });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/unencrypted/i);
    expect(L!.log()).not.toContain('s3cret!');
  });
});

describe('certificate authentication by thumbprint with wsman cert new', () => {
  let L: Awaited<ReturnType<typeof listen>> | undefined;
  let store = '';
  let thumb = '';
  beforeAll(async () => {
    store = mkdtempSync(join(tmpdir(), 'wsman-store-'));
    const made = await wsman(['cert', 'new', '--client', '--upn', 'alice@localhost', '--out', store]);
    expect(made.code).toBe(0);
    thumb = made.stdout.trim();
    expect(thumb).toMatch(/^[0-9A-F]{40}$/);
    L = await listen(['--no-http', '--https-port', '0', '--state-dir', mkdtempSync(join(tmpdir(), 'wsman-state-')), '--map-cert', `${thumb}=alice`, '--run-as', `alice=${userInfo().username}`], 1);
  });
  afterAll(async () => { await stop(L?.child); });

  it('wsman cert thumbprint prints the thumbprint wsman cert new printed', async () => {
    const r = await wsman(['cert', 'thumbprint', join(store, `${thumb}.pem`)]);
    expect(r.stdout.trim()).toBe(thumb);
  });

  it('wsman cert thumbprint reads a PFX with its password from WSMAN_CERT_PASSWORD, the variable the client commands read', async () => {
    const pem = readFileSync(join(store, `${thumb}.pem`), 'utf8');
    const block = (label: string): string => /-----BEGIN ([A-Z ]*)-----[\s\S]*?-----END \1-----/g.exec(pem.slice(pem.indexOf(`-----BEGIN ${label}`)))![0];
    const key = forge.pki.privateKeyFromPem(block(pem.includes('BEGIN RSA PRIVATE KEY') ? 'RSA PRIVATE KEY' : 'PRIVATE KEY'));
    const cert = forge.pki.certificateFromPem(block('CERTIFICATE'));
    const p12 = forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(key, [cert], 'pfx-secret', { algorithm: '3des' })).getBytes();
    const file = join(store, 'alice.pfx');
    writeFileSync(file, Buffer.from(p12, 'binary'));
    const r = await wsman(['cert', 'thumbprint', file], { WSMAN_CERT_PASSWORD: 'pfx-secret' });
    expect([r.stdout.trim(), r.code]).toEqual([thumb, 0]);
    const wrong = await wsman(['cert', 'thumbprint', file], { WSMAN_CERT_PASSWORD: 'nope' });
    expect(wrong.code).not.toBe(0);
  });

  it('--certificate-thumbprint from WSMAN_CERT_STORE logs on as the mapped user', async () => {
    const r = await wsman(['run', '--connection-uri', L!.urls[0]!, '--authentication', 'certificate', '--certificate-thumbprint', thumb,
      '--server-thumbprint', L!.thumbprint!, '--', 'echo by cert'], { WSMAN_CERT_STORE: store });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('by cert\n');
    expect(r.code).toBe(0);
    expect(L!.log()).toMatch(/"user":"alice"[^\n]*"status":200/);
  });

  it('finds the certificate in the user\'s config directory when WSMAN_CERT_STORE is unset; --certificate FILE works too', async () => {
    const config = mkdtempSync(join(tmpdir(), 'wsman-config-'));
    mkdirSync(join(config, 'wsman', 'certs'), { recursive: true });
    copyFileSync(join(store, `${thumb}.pem`), join(config, 'wsman', 'certs', 'mine.pem'));
    const env: Record<string, string> = { XDG_CONFIG_HOME: config, WSMAN_CERT_STORE: '' };
    const r = await wsman(['run', '--connection-uri', L!.urls[0]!, '--certificate-thumbprint', thumb.toLowerCase(),
      '--server-thumbprint', L!.thumbprint!, '--', 'echo from config dir'], env);
    expect(r.stdout).toBe('from config dir\n');
    const f = await wsman(['run', '--connection-uri', L!.urls[0]!, '--authentication', 'certificate', '--certificate', join(store, `${thumb}.pem`),
      '--server-thumbprint', L!.thumbprint!, '--', 'echo from file'], env);
    expect(f.stdout).toBe('from file\n');
  });

  it('a thumbprint matching nothing in the store is a clear error naming it and the store', async () => {
    const other = 'AB'.repeat(20);
    const r = await wsman(['run', '--connection-uri', L!.urls[0]!, '--authentication', 'certificate', '--certificate-thumbprint', other,
      '--server-thumbprint', L!.thumbprint!, '--', 'true'], { WSMAN_CERT_STORE: store });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`no certificate with thumbprint ${other} in ${store}`);
  });

  it('a certificate that is not mapped is refused (401)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'wsman-store-'));
    const made = await wsman(['cert', 'new', '--upn', 'alice@localhost', '--out', other]);
    const r = await wsman(['run', '--connection-uri', L!.urls[0]!, '--authentication', 'certificate', '--certificate-thumbprint', made.stdout.trim(),
      '--server-thumbprint', L!.thumbprint!, '--', 'echo no'], { WSMAN_CERT_STORE: other });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/refused certificate authentication \(HTTP 401: the certificate is not mapped to a user there, or not trusted\)/);
  });
});
