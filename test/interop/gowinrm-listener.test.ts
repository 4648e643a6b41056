/**
 * masterzen/winrm (the Go WinRM client of Packer and Terraform; Debian's
 * golang-github-masterzen-winrm-dev) against our listener: Basic over HTTP and HTTPS, NTLM over HTTP
 * (unsealed, as that client does; the listener allows it with --allow-unencrypted). Skipped when
 * the Go toolchain or that package is not installed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startListener, type TestListener } from '../server/helpers.js';

const GOPATH = '/usr/share/gocode';
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'go', 'listener_gowinrm.go');

function haveGo(): boolean {
  if (!existsSync(join(GOPATH, 'src/github.com/masterzen/winrm'))) return false;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Result { stdout: string; stderr: string; code: number; err?: string }
const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

describe.skipIf(!haveGo())('Go masterzen/winrm against the listener', () => {
  let t: TestListener;
  let driver = '';
  let httpsPort = 0;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsman-go-'));
    copyFileSync(SOURCE, join(dir, 'main.go'));
    driver = join(dir, 'drv');
    await promisify(execFile)('go', ['build', '-o', driver, 'main.go'], {
      cwd: dir, timeout: 240_000,
      env: { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(tmpdir(), 'wsman-gocache') },
    });
    t = await startListener({ httpsPort: 0, ntlm: true, stateDir: mkdtempSync(join(tmpdir(), 'wsman-state-')) });
    httpsPort = t.listener.endpoints.find((e) => e.secure)!.port;
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
  });

  const cases = [[false, 'basic'], [true, 'basic'], [false, 'ntlm']] as const;
  for (const [https, auth] of cases) {
    it(`runs commands over ${https ? 'HTTPS' : 'HTTP'} with ${auth}`, async () => {
      const args = ['127.0.0.1', String(https ? httpsPort : t.port), 'alice', 'secret', https ? 'https' : 'http', auth];
      const { stdout } = await promisify(execFile)(driver, args, { timeout: 60_000, maxBuffer: 64 << 20 });
      const r = JSON.parse(stdout.trim()) as Record<string, Result>;
      for (const [name, v] of Object.entries(r)) expect(v.err, name).toBeUndefined();
      expect(text(r.hello!.stdout)).toBe('hello world\n');
      expect(text(r.stderr_exit!.stdout)).toBe('out\n');
      expect(text(r.stderr_exit!.stderr)).toBe('err\n');
      expect(r.stderr_exit!.code).toBe(7);
      expect(text(r.unicode!.stdout)).toBe('héllo ✓');
      expect(text(r.slow!.stdout)).toBe('tick 1\ntick 2\ntick 3\n');
      expect(Buffer.from(r.big!.stdout, 'base64').length).toBe(1_500_000);
      expect(text(r.stdin!.stdout)).toBe('piped input\n');
    });
  }
});
