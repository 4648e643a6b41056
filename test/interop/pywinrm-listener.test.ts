/**
 * pywinrm (Debian's python3-winrm) against our listener over HTTP Basic (--allow-unencrypted) and
 * HTTPS: stdout, stderr, exit codes, unicode, a command needing several Receives, output larger
 * than one envelope, stdin through Send. Skipped only when pywinrm cannot be imported.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startListener, type TestListener } from '../server/helpers.js';
import { createLogger } from '../../src/server/log.js';

const PY = '/usr/bin/python3';
const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'py', 'listener_pywinrm.py');

function havePywinrm(): boolean {
  try {
    execFileSync(PY, ['-c', 'import winrm'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Result { stdout: string; stderr?: string; code: number; stdout_sha256?: string; stdout_len?: number }

async function drive(url: string, transport: 'basic' | 'ntlm' = 'basic'): Promise<Record<string, Result>> {
  const env = { ...process.env };
  delete env.REQUESTS_CA_BUNDLE;
  delete env.CURL_CA_BUNDLE;
  const { stdout } = await promisify(execFile)(PY, [DRIVER, url, 'alice', 'secret', transport], { env, timeout: 60_000, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Result>;
}

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

describe.skipIf(!havePywinrm())('pywinrm against the listener', () => {
  let t: TestListener;
  let strict: TestListener;
  const lines: string[] = [];
  let httpsUrl = '';
  beforeAll(async () => {
    t = await startListener({
      httpsPort: 0, ntlm: true, stateDir: mkdtempSync(join(tmpdir(), 'wsman-state-')),
      logger: createLogger('info', (l) => lines.push(l)),
    });
    httpsUrl = t.listener.endpoints.find((e) => e.secure)!.url;
    // AllowUnencrypted=false: only sealed (NTLM-encrypted) traffic is accepted on plain HTTP.
    strict = await startListener({ ntlm: true, allowUnencrypted: false });
  });
  afterAll(async () => {
    await t?.stop();
    await strict?.stop();
  });

  const cases = [['http', 'basic'], ['https', 'basic'], ['http', 'ntlm'], ['https', 'ntlm']] as const;
  for (const [transport, auth] of cases) {
    it(`runs commands over ${transport} with ${auth}${transport === 'http' && auth === 'ntlm' ? ' (message encryption)' : ''}`, async () => {
      const url = transport === 'https' ? httpsUrl : auth === 'ntlm' ? strict.url : t.url;
      const from = lines.length;
      // When pywinrm fails, the listener's warnings of that run say what it refused and why.
      const r = await drive(url, auth).catch((err: Error) => {
        throw new Error(`${err.message}\nlistener warnings:\n${lines.slice(from).filter((l) => /"level":"(warn|error)"/.test(l)).join('\n') || '(none)'}`);
      });
      expect(b64(r.hello!.stdout)).toBe('hello world\n');
      expect(r.hello!.code).toBe(0);
      expect(b64(r.stderr_exit!.stdout)).toBe('out\n');
      expect(b64(r.stderr_exit!.stderr!)).toBe('err\n');
      expect(r.stderr_exit!.code).toBe(7);
      expect(b64(r.unicode!.stdout)).toBe('héllo wörld ✓ 日本');
      expect(b64(r.slow!.stdout)).toBe('tick 1\ntick 2\ntick 3\n');
      expect(r.big!.stdout_len).toBe(1_500_000);
      expect(r.big!.stdout_sha256).toBe(createHash('sha256').update(Buffer.alloc(1_500_000, 'x')).digest('hex'));
      expect(b64(r.stdin!.stdout)).toBe('piped input\n');
      expect(r.stdin!.code).toBe(0);
    });
  }

  it('answered the slow command with several Receives and logged no credentials', () => {
    const receives = lines.filter((l) => l.includes('"action":"Receive"') && l.includes('"status":200')).length;
    expect(receives).toBeGreaterThan(8);
    expect(lines.join('')).not.toMatch(/secret|YWxpY2U6c2VjcmV0/);
  });
});
