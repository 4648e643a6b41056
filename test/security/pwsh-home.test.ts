/**
 * pwsh run for an account whose home is missing (a system account's /nonexistent) gets a private,
 * writable HOME and XDG_* directories of its own for its caches (backends/pwsh-home.ts). Root
 * only: it creates an account and a listener that switches to it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { createAccount, removeAccount, listenerWith, basic, isRoot, ROOT_ONLY, type TestAccount } from './helpers.js';
import { PsShell } from '../server/pwsh-helpers.js';
import { findPwsh } from '../../src/server/pwsh-find.js';
import { pwshHomeRoot } from '../../src/server/backends/pwsh-home.js';

/** The listener's pwsh, when every account may run it. */
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
const WHY = !isRoot ? ROOT_ONLY : !PWSH ? 'no pwsh that every account may run (install PowerShell 7 under /opt/powershell)' : '';

describe.skipIf(WHY !== '')(`pwsh for an account without a usable home${WHY ? ` (skipped: ${WHY})` : ''}`, () => {
  let acct: TestAccount;
  beforeAll(() => {
    acct = createAccount();
    rmSync(acct.home, { recursive: true, force: true }); // its home is gone
  });
  afterAll(() => {
    if (acct) removeAccount(acct);
  });

  it('gets HOME and XDG_* under the listener\'s private root, owned by the account, and PowerShell works', async () => {
    const l = await listenerWith([{ name: 'nohome', runAs: acct.name }], { pwsh: PWSH! });
    try {
      const s = new PsShell(l.url, basic('nohome'));
      await s.open();
      const own = join(pwshHomeRoot, String(acct.uid));
      expect(pwshHomeRoot.startsWith(tmpdir())).toBe(true);
      const r = await s.run('$env:HOME; $env:XDG_CACHE_HOME; $env:XDG_DATA_HOME; $env:XDG_CONFIG_HOME; [Environment]::UserName; Set-Content -Path (Join-Path $env:HOME probe.txt) -Value ok; [string](Get-Content (Join-Path $env:HOME probe.txt))');
      expect(r.output).toEqual([own, join(own, '.cache'), join(own, '.local', 'share'), join(own, '.config'), acct.name, 'ok']);
      const st = statSync(own);
      expect([st.uid, st.mode & 0o777]).toEqual([acct.uid, 0o700]);
      await s.delete();
    } finally {
      await l.stop();
      rmSync(join(pwshHomeRoot, String(acct.uid)), { recursive: true, force: true });
    }
  }, 90_000);
});
