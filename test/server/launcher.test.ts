/**
 * The process pool (src/server/launcher.ts): a pooled shell must be indistinguishable from a
 * direct spawn for the command it runs (environment, working directory, exit status, signals,
 * pipes, process group), and every case the pool cannot express, or a lost spawn host, must
 * fall back to a direct spawn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { directLauncher, MAX_POOLED_SCRIPT, pooledScript, ProcessPool, type LaunchedProcess, type SpawnSpec } from '../../src/server/launcher.js';

const pools: ProcessPool[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pool(size = 2): ProcessPool {
  const p = new ProcessPool(size);
  pools.push(p);
  return p;
}

interface Outcome { stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }

/** Run to the end: feed stdin, collect both outputs and the exit status. */
function finish(p: LaunchedProcess, stdin = ''): Promise<Outcome> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let open = 2;
    let status: [number | null, NodeJS.Signals | null] | undefined;
    const maybe = (): void => {
      if (open === 0 && status) resolve({ stdout, stderr, code: status[0], signal: status[1] });
    };
    p.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.stdout?.on('end', () => { open--; maybe(); });
    p.stderr?.on('end', () => { open--; maybe(); });
    p.once('exit', (code, signal) => { status = [code, signal]; maybe(); });
    p.stdin?.on('error', () => undefined); // EPIPE when the process has already exited
    p.stdin?.end(stdin);
  });
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

function sh(line: string, extra: Partial<SpawnSpec> = {}): SpawnSpec {
  return { argv: ['/bin/sh', '-c', line], cwd: '/', env: baseEnv(), ...extra };
}

describe('pooledScript', () => {
  it('declines what only a direct spawn does exactly', () => {
    const env = baseEnv();
    expect(pooledScript(sh('true', { uid: 1000 }), env)).toBeUndefined();
    expect(pooledScript(sh('true', { gid: 1000 }), env)).toBeUndefined();
    expect(pooledScript({ argv: ['/bin/echo', 'x'], cwd: '/', env }, env)).toBeUndefined();
    expect(pooledScript(sh('true', { env: { ...env, 'BAD-NAME': 'x' } }), env)).toBeUndefined();
    expect(pooledScript(sh('true'), { ...env, 'ODD.NAME': 'x' })).toBeUndefined(); // would have to unset it
    expect(pooledScript(sh('a\0b'), env)).toBeUndefined();
    expect(pooledScript(sh(`echo ${'x'.repeat(MAX_POOLED_SCRIPT)}`), env)).toBeUndefined(); // read a byte at a time: argv is cheaper
    expect(pooledScript(sh('true'), env)).toMatch(/^cd -- '\/' \|\| exit 127\n[^]*exec \/bin\/sh -c 'true'\n$/);
  });
});

describe('ProcessPool', () => {
  it('runs a command exactly as a direct spawn does: environment, working directory, $0 and arguments', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wsman it's here "));
    dirs.push(dir);
    const env = baseEnv();
    delete env.HOME; // a hidden variable: present in the pool's base, absent here
    delete env.OLDPWD; // the pooled shell's own cd must not leave one behind
    Object.assign(env, { WSMAN_Q: `it's "quoted" $HOME \\ \`x\`\nsecond line`, WSMAN_EMPTY: '', PATH: `/nonexistent:${env.PATH ?? ''}` });
    const spec = sh('pwd; echo "$0 $#"; export -p | grep -v "^export _=" ; printf %s "$WSMAN_Q"', { cwd: dir, env });
    const p = pool();
    const pooled = await finish(await p.launch(spec));
    const direct = await finish(await directLauncher.launch(spec));
    expect(pooled.code).toBe(0);
    expect(pooled.stdout).toContain(dir);
    expect(pooled.stdout).toContain('second line');
    expect(pooled.stdout).not.toMatch(/export HOME=/);
    expect(pooled.stdout).not.toMatch(/OLDPWD/);
    expect(pooled).toEqual(direct);
  });

  it('passes stdin, both outputs, exit codes and signals through', async () => {
    const p = pool();
    expect(await finish(await p.launch(sh('cat; echo err >&2; exit 7')), 'in\n')).toEqual({ stdout: 'in\n', stderr: 'err\n', code: 7, signal: null });
    expect(await finish(await p.launch(sh('kill -TERM $$')))).toMatchObject({ code: null, signal: 'SIGTERM' });
    const slow = await p.launch(sh('sleep 30 & sleep 30; echo never'));
    const done = finish(slow);
    // Its own process group: the whole tree goes, as for a direct spawn.
    await new Promise((r) => setTimeout(r, 100));
    process.kill(-slow.pid!, 'SIGKILL');
    expect(await done).toMatchObject({ stdout: '', code: null, signal: 'SIGKILL' });
  });

  it('runs a long command line (spawned directly) with the same result', async () => {
    const p = pool();
    const long = 'y'.repeat(MAX_POOLED_SCRIPT + 10);
    expect(await finish(await p.launch(sh(`printf %s ${long} | wc -c`)))).toMatchObject({ stdout: `${long.length}\n`, code: 0 });
    // The host runs only as the watchdog of the direct spawn: it handed out no pooled shell.
    expect(p.hostPid).toBeGreaterThan(0);
    expect((p as unknown as { ready: unknown[]; live: Map<number, unknown> }).live.size).toBe(0);
  });

  it('serves many commands at once, more than it keeps ready', async () => {
    const p = pool(2);
    const outs = await Promise.all(Array.from({ length: 20 }, async (_, i) => finish(await p.launch(sh(`echo ${i}`)))));
    expect(outs.map((o) => o.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(outs.every((o) => o.code === 0)).toBe(true);
  });

  it('replaces a used shell once its command has ended, without waiting for a child left holding the output', async () => {
    const p = pool(2);
    const ready = (): number => (p as unknown as { ready: unknown[] }).ready.length;
    const until = async (ok: () => boolean, ms: number): Promise<number> => {
      const t0 = Date.now();
      while (!ok() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10));
      return Date.now() - t0;
    };
    expect((await finish(await p.launch(sh('echo one')))).stdout).toBe('one\n');
    await until(() => ready() === 2, 5000);
    expect(ready()).toBe(2);
    // `sleep` inherits stdout and keeps it open for 3 s after its shell exits.
    const proc = await p.launch(sh('sleep 3 & echo two'));
    proc.stdin?.end();
    proc.stdout?.resume();
    proc.stderr?.resume();
    expect(ready()).toBe(1);
    await new Promise((r) => proc.once('exit', r));
    const waited = await until(() => ready() === 2, 5000);
    try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    expect(ready()).toBe(2);
    expect(waited).toBeLessThan(2000);
  });

  it('falls back to a direct spawn for what it cannot express, once closed, and when its host dies', async () => {
    const p = pool();
    // A program started without the shell: a direct spawn, which reports ENOENT itself.
    await expect(p.launch({ argv: ['/nonexistent/program'], cwd: '/', env: baseEnv() })).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await finish(await p.launch(sh('echo one')))).stdout).toBe('one\n');
    const host = p.hostPid;
    expect(host).toBeTypeOf('number');
    process.kill(host!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(p.hostPid).toBeUndefined();
    expect(await finish(await p.launch(sh('echo two; exit 3')))).toEqual({ stdout: 'two\n', stderr: '', code: 3, signal: null });
    expect(p.hostPid).toBeUndefined(); // not restarted: that was a direct spawn
    p.close();
    expect((await finish(await p.launch(sh('echo three')))).stdout).toBe('three\n');
  });
});

describe('the spawn host', () => {
  it('does not outlive a listener that dies abruptly', { timeout: 20_000 }, async () => {
    const { spawn } = await import('node:child_process');
    const launcher = new URL('../../src/server/launcher.ts', import.meta.url).href;
    // A listener-like process: takes a shell from a pool (so the host runs and refills), reports
    // the host's pid, then waits to be killed.
    const code = `const { ProcessPool } = await import(${JSON.stringify(launcher)});
      const env = {}; for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
      const p = new ProcessPool(4);
      const c = await p.launch({ argv: ['/bin/sh', '-c', 'true'], cwd: '/', env });
      await new Promise((r) => c.once('exit', r));
      console.log(p.hostPid);
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const hostPid = Number(await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
    }));
    expect(hostPid).toBeGreaterThan(0);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(hostPid)).toBe(true);
    child.kill('SIGKILL');
    const until = Date.now() + 5000;
    while (alive(hostPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(alive(hostPid)).toBe(false);
  });
});
