/** `wsman listen` and `wsman user add` as users run them: start lines, thumbprint, clean stop. */
import { describe, it, expect } from 'vitest';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestShell, isRunning } from './helpers.js';
import { CLI } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = CLI;

const alive = isRunning;

describe('wsman listen', () => {
  it('prints one line per endpoint (HTTPS with its thumbprint), serves, and stops on SIGTERM killing shell processes', async () => {
    const state = mkdtempSync(join(tmpdir(), 'wsman-cli-'));
    const child = spawn(process.execPath, [MAIN, 'listen', '--port', '0', '--https-port', '0', '--user', 'alice:secret', '--run-as', `alice=${userInfo().username}`, '--allow-unencrypted', '--state-dir', state, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const lines = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const l = out.split('\n').filter(Boolean);
        if (l.length >= 2) resolve(l);
      });
      child.once('exit', () => reject(new Error(`exited early: ${err}`)));
    });
    expect(lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/wsman$/);
    expect(lines[1]).toMatch(/^listening on https:\/\/127\.0\.0\.1:\d+\/wsman thumbprint [0-9A-F]{40}$/);
    expect(readFileSync(join(state, 'listener-cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    const url = lines[0]!.slice('listening on '.length);
    const sh = await TestShell.create(url);
    const id = await sh.start('sleep 60 & echo $!; wait');
    const r = await sh.receive(id);
    const pid = Number(r.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(r.msg.body.streams.map((s) => s.data)).toString().trim() : NaN);
    expect(alive(pid)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(pid)).toBe(false);
    expect(err).not.toContain('secret');
  });
});

describe('wsman listen: small things (issue 18)', () => {
  const quick = (args: string[], env: Record<string, string> = {}) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'listen', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });

  it('--no-http --no-https is an error, not a listener on nothing', async () => {
    const r = await quick(['--no-http', '--no-https']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--no-http and --no-https leave nothing to listen on/);
    expect(r.stdout).toBe('');
  });

  it('--application-name sets the path, as the client option of that name; --app-name still works', async () => {
    for (const opt of ['--application-name', '--app-name']) {
      const child = spawn(process.execPath, [MAIN, 'listen', '--port', '0', '--no-https', opt, 'custom', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const line = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => resolve(d.toString())));
      expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/custom$/m);
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
    }
  });

  it('started by npm (npx wsman listen &), it stops once npm is killed', async () => {
    // A stand-in for npm: a parent process that starts the listener with npm's environment and is
    // then killed, as `kill $!` does after `npx wsman listen &`.
    const script = `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, [${JSON.stringify(MAIN)}, 'listen', '--port', '0', '--no-https', '--log-level', 'warn'], { cwd: ${JSON.stringify(ROOT)}, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, npm_command: 'exec' } });
c.stdout.on('data', (d) => process.stdout.write('child ' + c.pid + ' ' + d));`;
    const npm = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => npm.stdout.on('data', (d: Buffer) => resolve(Number(/child (\d+)/.exec(d.toString())?.[1]))));
    expect(alive(pid)).toBe(true);
    npm.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect(alive(pid)).toBe(false);
  }, 20_000);
});

describe('wsman user add', () => {
  it('writes a hashed user the listener accepts', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wsman-cli-')), 'users');
    const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'user', 'add', 'frank', '--users-file', file, '--password-env', 'PW', '--run-as', 'nobody'], { env: { ...process.env, PW: 'fr4nk!' } });
    expect(stdout).toContain('user frank written');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^frank:scrypt\$\d+\$8\$1\$[^:]+:nobody:[0-9a-f]{32}\n$/);
    expect(text).not.toContain('fr4nk!');
  });
});
