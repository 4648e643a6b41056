/**
 * Once per `vitest run`: bundle the command line from the sources (scripts/build-cli.mjs, under a
 * second), so that the tests that start `wsman` as a process run what users install, and each
 * start costs Node's start-up rather than a TypeScript compilation (test/helpers/cli.ts).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs')], { cwd: root, stdio: 'inherit', timeout: 120_000 });
}
