/**
 * The listener's PowerShell endpoint (issue 17, phase 1): Microsoft.PowerShell served by a real
 * `pwsh -s` per shell, driven over loopback with raw WS-Man carrying PSRP built by src/psrp's
 * client pool. Skips, saying why, when PowerShell is not installed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, accessSync, statSync, constants } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Action, ResourceURI } from '../../src/core/index.js';
import { startListener, call, isRunning, BOB, ALICE, type TestListener } from './helpers.js';
import { PS, PsShell, enumerate, pwshPids, sleep } from './pwsh-helpers.js';
import { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { createAccount, removeAccount, listenerWith, basic, isRoot, ROOT_ONLY, type TestAccount } from '../security/helpers.js';
import { CLI } from '../helpers/cli.js';


let t: TestListener;

/** The pid of the pwsh serving this shell (the listener's own record). */
function pwshPidOf(l: { listener: TestListener['listener'] }, s: PsShell): number {
  return (l.listener.core.store.get(s.id)!.session as PwshSession).pid!;
}
beforeAll(async () => {
  if (PWSH) t = await startListener({ pwsh: PWSH });
});
afterAll(async () => {
  await t?.stop();
});

describe.skipIf(!PWSH)(`Microsoft.PowerShell on the listener${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('opens a pool from creationXml, runs pipelines, reports Done after the terminal state, and Delete ends pwsh', async () => {
    const s = new PsShell(t.url);
    await s.open();
    const mine = [pwshPidOf(t, s)];
    expect(pwshPids()).toContain(mine[0]);
    const one = await s.run('1+1');
    expect(one.output).toEqual([2]);
    expect(one.state).toBe('Completed');
    const two = await s.run("'a','b'");
    expect(two.output).toEqual(['a', 'b']);
    expect(two.state).toBe('Completed');
    const failed = await s.run("throw 'boom'");
    expect(failed.state).toBe('Failed');
    const d = await s.delete();
    expect(d.msg.body.kind).toBe('Empty');
    for (let i = 0; i < 50 && mine.some(isRunning); i++) await sleep(100);
    expect(mine.filter(isRunning)).toEqual([]);
  }, 60_000);

  it('lists the PowerShell shell with its ResourceUri to its owner only; another user can neither see nor use it', async () => {
    const s = new PsShell(t.url);
    await s.open();
    const mine = (await enumerate(t.url, ALICE)).find((f) => f.shellId === s.id);
    expect(mine?.resourceUri).toBe(PS);
    expect(mine?.processId).toBe(pwshPidOf(t, s));
    expect((await enumerate(t.url, BOB)).some((f) => f.shellId === s.id)).toBe(false);
    const r = await call(t.url, Action.Receive, { kind: 'Receive', streams: ['stdout'] }, s.ex(), PS, BOB);
    expect(r.msg.body.kind).toBe('Fault');
    const c = await call(t.url, Action.Command, { kind: 'CommandLine', commandId: randomUUID(), command: 'Invoke-Expression', arguments: ['AAAA'] }, s.ex(), PS, BOB);
    expect(c.msg.body.kind).toBe('Fault');
    expect((await s.run('40+2')).output).toEqual([42]);
    await s.delete();
  }, 60_000);

  it('Disconnect and Reconnect by the same client: pwsh keeps running the pipeline, and every object arrives once, in order', async () => {
    const s = new PsShell(t.url);
    await s.open();
    const pid = await s.start('1..40 | ForEach-Object { $_; Start-Sleep -Milliseconds 25 }');
    expect((await s.op(Action.Disconnect, { kind: 'Disconnect' })).msg.headers.action).toBe(Action.DisconnectResponse);
    const listed = (await enumerate(t.url, ALICE)).find((f) => f.shellId === s.id);
    expect(listed?.state).toBe('Disconnected');
    const proc = pwshPidOf(t, s);
    await sleep(1500); // the pipeline runs on (about 1 s of work) while nobody receives
    expect(isRunning(proc)).toBe(true);
    expect((await s.op(Action.Reconnect, { kind: 'Reconnect' })).msg.headers.action).toBe(Action.ReconnectResponse);
    const r = await s.collect(pid);
    expect(r.output).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(r.state).toBe('Completed');
    expect((await s.run('7*6')).output).toEqual([42]);
    await s.delete();
  }, 60_000);

  it('a bad creationXml: Create without PSRP data is refused and leaves no shell', async () => {
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin', 'pr'], outputStreams: ['stdout'] } }, {}, PS, ALICE);
    expect(r.msg.body.kind).toBe('Fault');
    expect((await enumerate(t.url, ALICE)).filter((f) => f.resourceUri === PS)).toEqual([]);
  }, 30_000);
});

describe.skipIf(!PWSH)(`PowerShell configurations reported${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('winrm/config lists Microsoft.PowerShell with its resource URI and the pwsh serving it, and cmd', async () => {
    const r = await call(t.url, Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config, ALICE);
    if (r.msg.body.kind !== 'Config') throw new Error(r.raw);
    const sc = r.msg.body.config.SessionConfigurations as Record<string, Record<string, string>>;
    expect(sc['Microsoft.PowerShell']).toMatchObject({ Name: 'Microsoft.PowerShell', ResourceUri: PS, Backend: 'pwsh', Executable: PWSH });
    expect(sc.cmd).toMatchObject({ ResourceUri: ResourceURI.Cmd, Backend: 'cmd' });
  });
});

const MAIN = CLI;

/** Start `wsman listen` with these extra arguments and environment; its first two stdout lines, then stop it. */
async function startLines(extra: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ lines: string[]; code: number | null; err: string }> {
  const state = mkdtempSync(join(tmpdir(), 'wsman-pwsh-'));
  const child = spawn(process.execPath, [MAIN, 'listen', '--port', '0', '--no-https', '--user', 'alice:secret', '--run-as', `alice=${userInfo().username}`, '--allow-unencrypted', '--state-dir', state, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = await new Promise<string[]>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out.split('\n').filter(Boolean);
      if (l.length >= 2) resolve(l);
    });
    void exited.then(() => resolve(out.split('\n').filter(Boolean)));
  });
  child.kill('SIGTERM');
  return { lines, code: await exited, err };
}

describe('wsman listen start-up lines', () => {
  it.skipIf(!PWSH)('name the PowerShell configuration offered with --pwsh', async () => {
    const { lines } = await startLines(['--pwsh', PWSH!]);
    expect(lines[0]).toMatch(/^listening on http:/);
    expect(lines[1]).toBe(`PowerShell configuration Microsoft.PowerShell (${PS}) served by ${PWSH}`);
  }, 30_000);

  it('say why none is offered when no pwsh is found', async () => {
    const home = mkdtempSync(join(tmpdir(), 'wsman-nopwsh-'));
    const { lines } = await startLines([], { ...process.env, PATH: dirname(process.execPath) + ':/usr/bin:/bin', HOME: home, WSMAN_PWSH_CANDIDATES: '' });
    expect(lines[1]).toBe('no pwsh found; install PowerShell 7 or pass --pwsh');
  }, 30_000);

  it('refuse a --pwsh that is not an executable', async () => {
    const { code, err } = await startLines(['--pwsh', '/nonexistent/pwsh']);
    expect(code).not.toBe(0);
    expect(err).toContain('--pwsh /nonexistent/pwsh');
  }, 30_000);
});

/**
 * A pwsh every account may run: no directory on its path closed to others (~root's is). Issue 17:
 * install PowerShell under /opt for the listener, e.g. a copy of the .NET tool in /opt/powershell.
 */
function sharedPwsh(): string | undefined {
  for (const c of [process.env.PWSH_SHARED, PWSH, '/opt/powershell/pwsh', '/usr/bin/pwsh', '/usr/local/bin/pwsh']) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      let ok = (statSync(c).mode & 0o001) !== 0;
      for (let d = dirname(c); ok && d !== '/'; d = dirname(d)) ok = (statSync(d).mode & 0o001) !== 0;
      if (ok) return c;
    } catch {
      /* not there */
    }
  }
  return undefined;
}
const SHARED_PWSH = sharedPwsh();
const NO_SHARED_PWSH = 'no pwsh that other accounts may run (install PowerShell under /opt, or set $PWSH_SHARED)';

describe.skipIf(!isRoot || !SHARED_PWSH)(`pwsh runs as the mapped account (${!isRoot ? ROOT_ONLY : !SHARED_PWSH ? NO_SHARED_PWSH : 'root'})`, () => {
  let acct: TestAccount;
  beforeAll(() => {
    acct = createAccount();
  });
  afterAll(() => {
    removeAccount(acct);
  });

  it('a --run-as user\'s PowerShell shell is a pwsh process of that account, with its HOME', async () => {
    const l = await listenerWith([{ name: 'mapped', runAs: acct.name }], { pwsh: SHARED_PWSH! });
    try {
      const s = new PsShell(l.url, basic('mapped'));
      await s.open();
      // The shell's own pwsh (the switching helper and its shell exec into it: one pid).
      const pid = pwshPidOf(l, s);
      const mine = [pid];
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('-s');
      const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      expect([Number(uid?.[1]), Number(uid?.[2])]).toEqual([acct.uid, acct.uid]);
      expect((await s.run('[Environment]::UserName; $env:HOME')).output).toEqual([acct.name, acct.home]);
      await s.delete();
      for (let i = 0; i < 50 && mine.some(isRunning); i++) await sleep(100);
      expect(mine.filter(isRunning)).toEqual([]);
    } finally {
      await l.stop();
    }
  }, 60_000);
});
