/**
 * Loader variables never reach a privileged process (issue 15, "A mapped user reaches root
 * through the loader"). A root listener runs a user as another account; the user's shell Create
 * carries loader variables (LD_*, GCONV_PATH, LOCPATH, NODE_OPTIONS) that point at code the user
 * wrote. The injected code must never run as root (a payload that writes a marker file named
 * after its euid), and, where no root process would run the payload anyway, no process running
 * as root may even see the variable, the working directory or the command line: the listener
 * runs under strace, and every execve/chdir made before the uid switch is checked. The command
 * itself still sees every variable (Windows semantics).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestShell } from '../server/helpers.js';
import { createAccount, removeAccount, startCliListener, basic, PASSWORD, isRoot, ROOT_ONLY, type TestAccount } from './helpers.js';
import { STRACE_ARGS, haveStrace, privilegedCalls } from './strace.js';

const haveGcc = ((): boolean => {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const skip = !isRoot || !haveStrace || !haveGcc;
const why = !isRoot ? ROOT_ONLY : !haveStrace ? 'needs strace (to see what root processes were given)' : 'needs gcc (to build the payloads)';

describe.skipIf(skip)(`client environment and a root listener (${why})`, () => {
  // Every value the client sends carries TOKEN, so that the strace log shows where it went.
  const TOKEN = `wsmtok${randomBytes(6).toString('hex')}`;
  let acct: TestAccount;
  let dir: string;
  let markers: string;
  let log: string;
  let l: Awaited<ReturnType<typeof startCliListener>>;

  beforeAll(async () => {
    acct = createAccount();
    dir = mkdtempSync(path.join(tmpdir(), `wsmt-env-`));
    chmodSync(dir, 0o755);
    markers = path.join(dir, 'markers');
    mkdirSync(markers);
    chmodSync(markers, 0o1777);
    // The payload: a constructor that records the euid it ran with, in a file it creates.
    const src = path.join(dir, 'probe.c');
    writeFileSync(src, `#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void probe(void) {
  char p[4096];
  snprintf(p, sizeof p, "%s/marker.%d", ${JSON.stringify(markers)}, (int)geteuid());
  int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) { dprintf(fd, "%d\\n", (int)getpid()); close(fd); }
}
`);
    for (const d of [`lib-${TOKEN}`, `gconv-${TOKEN}`, `locale-${TOKEN}`, `cwd-${TOKEN}`]) {
      mkdirSync(path.join(dir, d));
      chmodSync(path.join(dir, d), 0o755);
    }
    execFileSync('gcc', ['-shared', '-fPIC', '-o', path.join(dir, `lib-${TOKEN}`, 'probe.so'), src]);
    // A gconv module set: converting from WSMTEVIL loads probe.so from GCONV_PATH.
    execFileSync('gcc', ['-shared', '-fPIC', '-o', path.join(dir, `gconv-${TOKEN}`, 'probe.so'), src]);
    writeFileSync(path.join(dir, `gconv-${TOKEN}`, 'gconv-modules'), 'module WSMTEVIL// INTERNAL probe 1\nmodule INTERNAL WSMTEVIL// probe 1\n');
    writeFileSync(path.join(dir, `probe-${TOKEN}.cjs`), `require('node:fs').appendFileSync(${JSON.stringify(markers)} + '/marker.' + process.geteuid(), process.pid + '\\n');\n`);
    for (const f of ['probe.c', `probe-${TOKEN}.cjs`]) chmodSync(path.join(dir, f), 0o644);
    log = path.join(dir, 'strace.log');
    l = await startCliListener(['--user', `mapped:${PASSWORD}`, '--run-as', `mapped=${acct.name}`, '--log-level', 'warn'], { wrap: ['strace', ...STRACE_ARGS, '-o', log] });
  }, 60_000);

  afterAll(async () => {
    if (l && l.child.exitCode === null) {
      const exited = new Promise((r) => l.child.once('exit', r));
      // The traced listener (the log's first process) stops on SIGTERM; strace follows it out.
      const first = /^(\d+)/.exec(readFileSync(log, 'utf8'));
      if (first) process.kill(Number(first[1]), 'SIGTERM');
      else l.child.kill('SIGKILL');
      await exited;
    }
    if (acct) removeAccount(acct);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Run LINE in a shell created with `environment`; stdout. */
  async function run(environment: Record<string, string>, line: string): Promise<string> {
    const sh = await TestShell.create(l.url, { environment, workingDirectory: path.join(dir, `cwd-${TOKEN}`) }, {}, basic('mapped'));
    const id = await sh.start(`${line} # ${TOKEN}`);
    const r = await sh.collect(id);
    await sh.delete();
    return r.stdout.toString();
  }

  function markerOwners(): Map<number, number> {
    const owners = new Map<number, number>();
    for (const f of readdirSync(markers)) owners.set(statSync(path.join(markers, f)).uid, (owners.get(statSync(path.join(markers, f)).uid) ?? 0) + 1);
    return owners;
  }

  /** Nothing root ran (execve, chdir) held TOKEN: no variable, no directory, no command line. */
  function expectNoPrivilegedTrace(): void {
    const seen = privilegedCalls(readFileSync(log, 'utf8')).filter((c) => c.includes(TOKEN));
    expect(seen.map((c) => c.slice(0, 300))).toEqual([]);
  }

  function cleanMarkers(): void {
    for (const f of readdirSync(markers)) rmSync(path.join(markers, f), { force: true });
  }

  it('LD_PRELOAD / LD_LIBRARY_PATH / LD_DEBUG_OUTPUT: the library runs as the user only, never as root', async () => {
    cleanMarkers();
    const env = {
      LD_PRELOAD: path.join(dir, `lib-${TOKEN}`, 'probe.so'),
      LD_LIBRARY_PATH: path.join(dir, `lib-${TOKEN}`),
      LD_DEBUG: 'files',
      LD_DEBUG_OUTPUT: path.join(markers, `lddebug-${TOKEN}`),
    };
    const out = await run(env, 'printf "%s|%s|%s\\n" "$LD_PRELOAD" "$LD_LIBRARY_PATH" "$(id -u)"');
    const owners = markerOwners();
    expect(readdirSync(markers)).not.toContain('marker.0');
    expect(owners.get(0)).toBeUndefined(); // no marker.0, no root-owned loader debug file
    expect(owners.get(acct.uid)).toBeGreaterThan(0); // the command did load it
    expect(out).toBe(`${env.LD_PRELOAD}|${env.LD_LIBRARY_PATH}|${acct.uid}\n`);
    expectNoPrivilegedTrace();
  }, 30_000);

  it('GCONV_PATH: the gconv module runs as the user only; root never sees the variable', async () => {
    cleanMarkers();
    const env = { GCONV_PATH: path.join(dir, `gconv-${TOKEN}`) };
    const out = await run(env, 'printf "%s\\n" "$GCONV_PATH"; printf x | iconv -f WSMTEVIL -t UTF-8 >/dev/null 2>&1; true');
    expect(out).toBe(`${env.GCONV_PATH}\n`);
    expect(readdirSync(markers)).not.toContain('marker.0');
    expect(markerOwners().get(acct.uid)).toBeGreaterThan(0);
    expectNoPrivilegedTrace();
  }, 30_000);

  it('LOCPATH: root never sees the variable; the command does', async () => {
    const env = { LOCPATH: path.join(dir, `locale-${TOKEN}`), LC_ALL: `xx_${TOKEN}` };
    const out = await run(env, 'printf "%s|%s\\n" "$LOCPATH" "$LC_ALL"');
    expect(out).toBe(`${env.LOCPATH}|${env.LC_ALL}\n`);
    expectNoPrivilegedTrace();
  }, 30_000);

  it('NODE_OPTIONS: a --require runs as the user only; root never sees the variable', async () => {
    cleanMarkers();
    const env = { NODE_OPTIONS: `--require ${path.join(dir, `probe-${TOKEN}.cjs`)}` };
    const out = await run(env, `printf "%s\\n" "$NODE_OPTIONS"; ${process.execPath} -e 0`);
    expect(out).toBe(`${env.NODE_OPTIONS}\n`);
    expect(readdirSync(markers)).not.toContain('marker.0');
    expect(markerOwners().get(acct.uid)).toBeGreaterThan(0);
    expectNoPrivilegedTrace();
  }, 30_000);

  it('the command sees exactly its environment, however long its line', async () => {
    const env = { FOO: `bar ${TOKEN}`, 'ODD(x86)': 'odd', QUOTE: `it's "$HOME" \`x\`` };
    const long = `echo ${'y'.repeat(40_000)} >/dev/null; `;
    const out = await run(env, `${long}printf "%s|%s|%s\\n" "$FOO" "$QUOTE" "$HOME"; tr '\\0' '\\n' </proc/$$/environ | grep -c '^ODD(x86)=odd$'; pwd`);
    expect(out).toBe(`bar ${TOKEN}|${env.QUOTE}|${acct.home}\n1\n${path.join(dir, `cwd-${TOKEN}`)}\n`);
    expectNoPrivilegedTrace();
  }, 30_000);
});
