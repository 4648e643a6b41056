/**
 * Once per `vitest run`: bundle the command line from the sources (scripts/build-cli.mjs, under a
 * second), so that the tests that start `wsman` as a process run what users install, and each
 * start costs Node's start-up rather than a TypeScript compilation (test/helpers/cli.ts). Skipped
 * when the bundle is newer than every source it is made from (a run of one test file, again).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The newest modification time under `dir` (files only), 0 when there is none. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const outputs = ['wsman-main.cjs', 'wsman.cjs'].map((f) => path.join(root, 'dist', 'cli', f));
  if (outputs.every((f) => existsSync(f))) {
    const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
    const inputs = Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'scripts')), statSync(path.join(root, 'package-lock.json')).mtimeMs);
    if (built > inputs) return;
  }
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs')], { cwd: root, stdio: 'inherit', timeout: 120_000 });
}
