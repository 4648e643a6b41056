/**
 * The README's library examples run as they are: each ```js block of its "Library" section runs in
 * a child process against an in-process listener, with `wsman` (and `wsman/…`) resolved to the
 * sources, the listener's URL in place of 127.0.0.1:5985, and WSMAN_PASSWORD set. A renamed
 * export, a changed signature or an example that throws fails here.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../../src/server/index.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { findPwsh } from '../../src/server/pwsh-find.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = README.slice(README.indexOf('\n## Library'), README.indexOf('\n## ', README.indexOf('\n## Library') + 5));
const examples = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const SUBPATHS: Record<string, string> = { wsman: 'src/index.ts', 'wsman/core': 'src/core/index.ts', 'wsman/client': 'src/client/index.ts', 'wsman/server': 'src/server/index.ts', 'wsman/auth': 'src/auth/index.ts' };
const pwsh = findPwsh();

let listener: WsmanListener;
let url = '';
beforeAll(async () => {
  const users = new UserStore();
  users.add({ name: 'alice', hash: await hashPassword('secret', 1024), ntHash: ntHash('secret'), runAs: userInfo().username });
  listener = new WsmanListener({ users, httpPort: 0, httpsPort: null, logger: createLogger('silent'), ...(pwsh ? { pwsh } : {}) });
  url = (await listener.start())[0]!.url;
});
afterAll(async () => { await listener?.stop(); });

function run(code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wsman-readme-')), 'example.mts');
  const source = code
    .replaceAll('http://127.0.0.1:5985/wsman', url)
    .replace(/from '(wsman(?:\/\w+)?)'/g, (_m, spec: string) => {
      const target = SUBPATHS[spec];
      if (!target) throw new Error(`the README imports ${spec}, which the package does not export`);
      return `from '${pathToFileURL(path.join(ROOT, target)).href}'`;
    });
  writeFileSync(file, source);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, WSMAN_PASSWORD: 'secret' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (c) => resolve({ code: c, stdout, stderr }));
  });
}

describe('README library examples', () => {
  it('there is one per task: connect, run, sessions, resources, PowerShell, listener', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const name of ['WsmanClient', 'invokeCommand', 'SessionManager', 'getResource', 'RunspacePool', 'WsmanListener']) {
      expect(examples.some((e) => e.includes(name)), name).toBe(true);
    }
  });

  for (const [i, code] of examples.entries()) {
    const first = /import \{([^}]*)\}/.exec(code)?.[1]?.trim() ?? `example ${i + 1}`;
    const needsPwsh = code.includes('RunspacePool');
    it.skipIf(needsPwsh && !pwsh)(`runs: ${first}${needsPwsh && !pwsh ? ' (skipped: no pwsh found; install PowerShell 7)' : ''}`, async () => {
      const r = await run(code);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
    }, 60_000);
  }
});
