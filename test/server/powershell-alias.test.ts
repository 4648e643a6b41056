/**
 * The pieces behind `powershell …` in the cmd shell and PowerShell for other accounts: Windows
 * command-line splitting, the powershell → pwsh mapping, where pwsh is looked for, and the private
 * HOME/XDG directories of an account whose own home will not do.
 */
import { describe, it, expect } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdtempSync, statSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitWindowsArgs, powerShellArgv, isPowerShellName } from '../../src/server/backends/powershell-alias.js';
import { findPwsh, OPT_PWSH } from '../../src/server/pwsh-find.js';
import { setPwshHomeRoot, withPwshHome } from '../../src/server/backends/pwsh-home.js';
import type { SpawnSpec } from '../../src/server/launcher.js';

const isRoot = process.getuid?.() === 0;

describe('splitWindowsArgs (CommandLineToArgvW rules)', () => {
  it('splits on blanks outside quotes and applies the backslash and doubled-quote rules', () => {
    expect(splitWindowsArgs('a  "b c"\td')).toEqual(['a', 'b c', 'd']);
    expect(splitWindowsArgs('"a\\"b" c\\\\"d e" f\\g')).toEqual(['a"b', 'c\\d e', 'f\\g']);
    expect(splitWindowsArgs('"say ""hi""" ""')).toEqual(['say "hi"', '']);
    expect(splitWindowsArgs('C:\\Windows\\powershell.exe -c x')).toEqual(['C:\\Windows\\powershell.exe', '-c', 'x']);
  });
});

describe('powershell in the cmd shell runs pwsh -NoProfile', () => {
  const P = '/opt/pw/pwsh';
  it('maps the name in any case, with or without a Windows path, keeping the arguments', () => {
    expect(powerShellArgv(P, 'powershell -encodedcommand QQBCAA==', false, '', [])).toEqual([P, '-NoProfile', '-encodedcommand', 'QQBCAA==']);
    expect(powerShellArgv(P, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.EXE -NonInteractive -Command "Get-Date; 1"', false, '', []))
      .toEqual([P, '-NoProfile', '-NonInteractive', '-Command', 'Get-Date; 1']);
    expect(powerShellArgv(P, '"C:\\Program Files\\x\\POWERSHELL.exe"', false, '', [])).toEqual([P, '-NoProfile']);
    expect(isPowerShellName('powershell.exe')).toBe(true);
    expect(isPowerShellName('powershell_ise.exe')).toBe(false);
  });
  it('drops -WindowStyle and its value, which pwsh refuses on Linux', () => {
    expect(powerShellArgv(P, 'powershell -w hidden -WindowStyle Hidden -wd /tmp -c 1', false, '', [])).toEqual([P, '-NoProfile', '-wd', '/tmp', '-c', '1']);
  });
  it('with WINRS_SKIP_CMD_SHELL takes the program and arguments as sent', () => {
    expect(powerShellArgv(P, 'ignored', true, 'PowerShell', ['-Command', 'a b'])).toEqual([P, '-NoProfile', '-Command', 'a b']);
    expect(powerShellArgv(P, 'ignored', true, 'cmd.exe', ['-c'])).toBeUndefined();
  });
  it('leaves other commands, and lines with cmd.exe operators, to the shell', () => {
    expect(powerShellArgv(P, 'echo powershell', false, '', [])).toBeUndefined();
    expect(powerShellArgv(P, 'powershellx -c 1', false, '', [])).toBeUndefined();
    expect(powerShellArgv(P, 'powershell -c 1 | findstr 1', false, '', [])).toBeUndefined();
    expect(powerShellArgv(P, 'powershell -c "1 | Out-String"', false, '', [])).toEqual([P, '-NoProfile', '-c', '1 | Out-String']);
  });
});

describe('findPwsh', () => {
  it('takes PATH first, then the fixed places, which WSMAN_PWSH_CANDIDATES replaces', () => {
    const empty = mkdtempSync(join(tmpdir(), 'wsman-nopwsh-'));
    expect(findPwsh(undefined, { PATH: empty, HOME: empty, WSMAN_PWSH_CANDIDATES: '' })).toBeUndefined();
    expect(findPwsh(undefined, { PATH: empty, HOME: empty, WSMAN_PWSH_CANDIDATES: `relative/pwsh:${process.execPath}` })).toBe(process.execPath);
    expect(findPwsh('/nonexistent/pwsh', {})).toBeUndefined();
  });
  it.skipIf(!existsSync(OPT_PWSH))(`finds ${OPT_PWSH} without PATH or ~/.dotnet/tools`, () => {
    const empty = mkdtempSync(join(tmpdir(), 'wsman-nopwsh-'));
    expect(findPwsh(undefined, { PATH: empty, HOME: empty })).toBe(OPT_PWSH);
  });
});

describe.skipIf(!isRoot)(`pwsh's private home for accounts without a usable one${isRoot ? '' : ' (skipped: needs root to own directories for other uids)'}`, () => {
  const spec = (uid: number, home: string): SpawnSpec => ({ argv: ['pwsh'], cwd: '/', home, env: { HOME: home }, uid, gid: uid });

  it('gives an account whose home is missing its own 0700 HOME and XDG_* directories, and keeps a good home', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'wsman-pwshhome-')), 'homes');
    setPwshHomeRoot(root);
    const s = withPwshHome(spec(65534, '/nonexistent'));
    expect(s.env.HOME).toBe(join(root, '65534'));
    expect(s.env.XDG_CACHE_HOME).toBe(join(root, '65534', '.cache'));
    expect(s.env.XDG_DATA_HOME).toBe(join(root, '65534', '.local', 'share'));
    expect(s.home).toBe(join(root, '65534'));
    const st = statSync(s.env.HOME!);
    expect([st.uid, st.mode & 0o777]).toEqual([65534, 0o700]);
    expect(statSync(root).mode & 0o777).toBe(0o711);
    // An account's own writable home is kept; one that is someone else's is not.
    const own = mkdtempSync(join(tmpdir(), 'wsman-own-'));
    chmodSync(own, 0o700);
    chownSync(own, 4242, 4242);
    expect(withPwshHome(spec(4242, own)).env.HOME).toBe(own);
    expect(withPwshHome(spec(4243, own)).env.HOME).toBe(join(root, '4243'));
  });

  it('never uses a link or a directory someone else made in its place', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'wsman-pwshhome-')), 'homes');
    setPwshHomeRoot(root);
    mkdirSync(root, { mode: 0o711 });
    symlinkSync('/etc', join(root, '65533'));
    const s = withPwshHome(spec(65533, '/nonexistent'));
    expect(s.env.HOME).toBe('/nonexistent');
    expect(s.env.XDG_CACHE_HOME).toBeUndefined();
  });
});
