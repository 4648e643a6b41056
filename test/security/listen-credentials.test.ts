/**
 * Passwords given to `wsman listen` and its users file (issue 15, "Passwords on the command
 * line", "The users file"): NAME:PASSWORD still works but warns that ps shows it; `--user NAME`
 * takes the password from WSMAN_LISTEN_PASSWORD (which no command inherits) or from stdin; a
 * users file readable by group or others is refused as ssh refuses a private key; `wsman user
 * add` tightens an existing file's mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { addUserToFile } from '../../src/server/users.js';
import { TestShell } from '../server/helpers.js';
import { startCliListener, stopCliListener, MAIN, ROOT_DIR } from './helpers.js';

const ME = userInfo().username;
const running: Awaited<ReturnType<typeof startCliListener>>[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await stopCliListener(l);
});

async function start(args: string[], o: Parameters<typeof startCliListener>[1] = {}) {
  const l = await startCliListener([...args, '--run-as', `alice=${ME}`, '--log-level', 'warn'], o);
  running.push(l);
  return l;
}

function auth(password: string): string {
  return 'Basic ' + Buffer.from(`alice:${password}`).toString('base64');
}

/** Run `line` as alice; its stdout. */
async function run(url: string, password: string, line: string): Promise<string> {
  const sh = await TestShell.create(url, {}, {}, auth(password));
  const id = await sh.start(line);
  const out = (await sh.collect(id)).stdout.toString();
  await sh.delete();
  return out;
}

/** `wsman ARGS` to its end. */
async function wsman(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [MAIN, ...args], { cwd: ROOT_DIR, env, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('--user passwords', () => {
  it('NAME:PASSWORD still works, with a warning that the process list shows the password', async () => {
    const l = await start(['--user', 'alice:Quick-try1']);
    expect(await run(l.url, 'Quick-try1', 'echo ok')).toBe('ok\n');
    expect(l.stderr()).toMatch(/warning: --user alice:PASSWORD puts the password in the command line.*\(ps\).*--users-file/);
    expect(l.stderr()).not.toContain('Quick-try1');
  }, 30_000);

  it('NAME alone takes the password from WSMAN_LISTEN_PASSWORD: off argv, no warning, and no command inherits it', async () => {
    const l = await start(['--user', 'alice'], { env: { ...process.env, WSMAN_LISTEN_PASSWORD: 'From-env-7' } });
    expect(readFileSync(`/proc/${l.child.pid}/cmdline`, 'utf8')).not.toContain('From-env-7');
    expect(await run(l.url, 'From-env-7', 'echo "${WSMAN_LISTEN_PASSWORD-unset}"')).toBe('unset\n');
    expect(l.stderr()).not.toMatch(/warning/);
  }, 30_000);

  it('NAME alone with --password-stdin reads the first line of stdin', async () => {
    const l = await start(['--user', 'alice', '--password-stdin'], { stdin: 'From-stdin-8\n' });
    expect(await run(l.url, 'From-stdin-8', 'echo ok')).toBe('ok\n');
  }, 30_000);

  it('NAME alone without a password source is refused, saying where the password goes', async () => {
    const env = { ...process.env };
    delete env.WSMAN_LISTEN_PASSWORD;
    const r = await wsman(['listen', '--port', '0', '--no-https', '--user', 'alice'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--user alice has no password: set WSMAN_LISTEN_PASSWORD or give --password-stdin/);
  }, 30_000);
});

describe('the users file', () => {
  function usersFile(mode: number): Promise<string> {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wsman-users-')), 'users');
    return addUserToFile(file, 'alice', 'In-file-9').then(() => {
      chmodSync(file, mode);
      return file;
    });
  }

  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    it(`refuses to start when the file is accessible by group or others (mode ${mode.toString(8)}), naming the fix`, async () => {
      const file = await usersFile(mode);
      const r = await wsman(['listen', '--port', '0', '--no-https', '--users-file', file]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`users file ${file} is accessible by group or others`);
      expect(r.stderr).toContain(`chmod 600 ${file}`);
    }, 30_000);
  }

  it.skipIf(process.getuid?.() !== 0)('refuses a file that belongs to another account (needs root to chown)', async () => {
    const file = await usersFile(0o600);
    chownSync(file, 65534, 65534);
    const r = await wsman(['listen', '--port', '0', '--no-https', '--users-file', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`users file ${file} belongs to another user (uid 65534)`);
  }, 30_000);

  it('starts with a 0600 file', async () => {
    const file = await usersFile(0o600);
    const l = await start(['--users-file', file]);
    expect(await run(l.url, 'In-file-9', 'echo ok')).toBe('ok\n');
  }, 30_000);

  it('`wsman user add` tightens an existing file to 0600', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wsman-users-')), 'users');
    writeFileSync(file, '# users\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    const r = await wsman(['user', 'add', 'bob', '--users-file', file, '--password-env', 'PW'], { ...process.env, PW: 'B0b-pass' });
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^bob:scrypt\$/m);
  }, 30_000);
});
