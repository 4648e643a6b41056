/**
 * pywinrm's `run_ps` and Ansible-style `PowerShell.EXE -EncodedCommand/-Command …` calls in the cmd
 * shell run `pwsh -NoProfile` with the same arguments (backends/powershell-alias.ts), as the
 * listener's own account and, as root, as the account a user is mapped to. Skips, saying why,
 * without pywinrm or a pwsh every account may run.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findPwsh } from '../../src/server/pwsh-find.js';
import { createAccount, removeAccount, listenerWith, isRoot, ROOT_ONLY, PASSWORD, type TestAccount } from '../security/helpers.js';

const PY = '/usr/bin/python3';
const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'py', 'listener_run_ps.py');

function havePywinrm(): boolean {
  try {
    execFileSync(PY, ['-c', 'import winrm'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The listener's own pick (PATH, /opt/powershell, ~/.dotnet/tools), when other accounts may run it too. */
function sharedPwsh(): string | undefined {
  const p = findPwsh();
  if (!p) return undefined;
  try {
    accessSync(p, constants.X_OK);
    let ok = (statSync(p).mode & 0o001) !== 0;
    for (let d = dirname(p); ok && d !== '/'; d = dirname(d)) ok = (statSync(d).mode & 0o001) !== 0;
    return ok ? p : undefined;
  } catch {
    return undefined;
  }
}

const PWSH = sharedPwsh();
const SKIP = !havePywinrm() ? 'pywinrm cannot be imported (apt install python3-winrm)' : !PWSH ? 'no pwsh that every account may run (install PowerShell 7 under /opt/powershell)' : undefined;

interface Result { stdout: string; stderr: string; code: number }
const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

async function drive(url: string, user: string): Promise<Record<string, Result>> {
  const { stdout } = await promisify(execFile)(PY, [DRIVER, url, user, PASSWORD], { timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Result>;
}

function expectMapped(r: Record<string, Result>, account: string): void {
  const run = r.run_ps!;
  expect(text(run.stdout).split(/\r?\n/).filter(Boolean)).toEqual(['sum 3', account]);
  expect(run.code).toBe(3);
  expect(text(run.stderr)).toBe('');
  // The error record as Windows PowerShell writes it for a redirected stderr: CLIXML, no colours.
  const err = text(r.error!.stderr);
  expect(err).toMatch(/^#< CLIXML\r?\n<Objs /);
  expect(err).toContain('boom é');
  expect(err).not.toContain('_x001B_[');
  expect(r.error!.code).toBe(4);
  expect(text(r.ansible!.stdout).trim()).toBe('a b c');
  expect(r.ansible!.code).toBe(0);
}

describe.skipIf(SKIP !== undefined)(`pywinrm run_ps through the cmd shell${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('runs powershell -EncodedCommand and PowerShell.EXE by its Windows path with pwsh, as the listener\'s account', async () => {
    const l = await listenerWith([{ name: 'ops', runAs: userInfo().username }], { pwsh: PWSH! });
    try {
      expectMapped(await drive(l.url, 'ops'), userInfo().username);
    } finally {
      await l.stop();
    }
  }, 120_000);

  describe.skipIf(!isRoot)(`as the mapped account${isRoot ? '' : ` (skipped: ${ROOT_ONLY})`}`, () => {
    let acct: TestAccount;
    beforeAll(() => {
      acct = createAccount();
    });
    afterAll(() => {
      if (acct) removeAccount(acct);
    });
    it('runs pwsh as the account the user is mapped to', async () => {
      const l = await listenerWith([{ name: 'mapped', runAs: acct.name }], { pwsh: PWSH! });
      try {
        expectMapped(await drive(l.url, 'mapped'), acct.name);
      } finally {
        await l.stop();
      }
    }, 120_000);
  });
});
