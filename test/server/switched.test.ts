/**
 * Starting a command as another account (src/server/switched.ts): the switched shell gets its
 * directory, environment and command line over fd 3 and must then be exactly the command a
 * direct spawn would have been, for short scripts (read builtin) and long ones (cat).
 */
import { describe, expect, it } from 'vitest';
import { directLauncher, type LaunchedProcess, type SpawnSpec } from '../../src/server/launcher.js';
import { switchScript } from '../../src/server/switched.js';

const isRoot = process.getuid?.() === 0;

function finish(p: LaunchedProcess): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.stdin!.end();
    let open = 2;
    let code: number | null = null;
    let exited = false;
    const done = (): void => { if (open === 0 && exited) resolve({ stdout, stderr, code }); };
    p.stdout!.once('close', () => { open--; done(); });
    p.stderr!.once('close', () => { open--; done(); });
    p.once('exit', (c) => { code = c; exited = true; done(); });
  });
}

const NOBODY = { uid: 65534, gid: 65534, home: '/' };
const DUMP = 'cat /proc/$$/environ; echo "--- $(id -u) $(pwd) $0 $#:$*"';

describe('switchScript', () => {
  it('refuses a NUL byte anywhere', () => {
    const base: SpawnSpec = { argv: ['/bin/sh', '-c', 'true'], cwd: '/', env: {}, ...NOBODY };
    expect(() => switchScript({ ...base, argv: ['/bin/sh', '-c', 'a\0b'] })).toThrow(/NUL/);
    expect(() => switchScript({ ...base, env: { A: 'x\0' } })).toThrow(/NUL/);
    expect(() => switchScript({ ...base, cwd: '/tmp\0x' })).toThrow(/NUL/);
  });
});

describe.skipIf(!isRoot)('a command as another account (needs root to switch users)', () => {
  const env = { PATH: '/usr/bin:/bin', A: 'two\nlines', Q: `it's "$x" \`y\` \\n`, 'ODD(x)': 'o' };
  /** The environment block and the summary line a DUMP printed. */
  const parse = (out: string): { env: string[]; rest: string } => {
    const at = out.lastIndexOf('--- ');
    return { env: out.slice(0, at).split('\0').filter(Boolean).sort(), rest: out.slice(at) };
  };

  for (const pad of [0, 20_000]) {
    it(`has exactly its environment, directory and arguments (${pad ? 'a long script, read with cat' : 'a short script, read with read'})`, async () => {
      const line = `${pad ? `: ${'z'.repeat(pad)}; ` : ''}${DUMP}`;
      const r = await finish(await directLauncher.launch({ argv: ['/bin/sh', '-c', line], cwd: '/tmp', env, ...NOBODY }));
      expect(parse(r.stdout)).toEqual({ env: Object.entries(env).map(([k, v]) => `${k}=${v}`).sort(), rest: '--- 65534 /tmp /bin/sh 0:\n' });
      expect(r.code).toBe(0);
    });
  }

  it('runs a program without the shell with its arguments as given', async () => {
    const r = await finish(await directLauncher.launch({ argv: ['/usr/bin/printf', '%s|', 'a b', "c'd", '$HOME', '-x'], cwd: '/', env, ...NOBODY }));
    expect(r.stdout).toBe("a b|c'd|$HOME|-x|");
  });

  it('starts in its home when the account cannot enter the directory', async () => {
    const r = await finish(await directLauncher.launch({ argv: ['/bin/sh', '-c', 'pwd'], cwd: '/root', env, uid: 65534, gid: 65534, home: '/tmp' }));
    expect(r.stdout).toBe('/tmp\n');
  });
});
