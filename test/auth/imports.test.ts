/** src/auth is sans-IO: no sockets, HTTP, TLS, file system, processes or timers. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

const FORBIDDEN = /from\s+['"](node:)?(net|http|https|tls|fs|fs\/promises|child_process|dgram|dns|timers|worker_threads|undici)['"]/;
const TIMERS = /\b(setTimeout|setInterval|setImmediate)\s*\(/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('src/auth does no I/O', () => {
  const all = files(path.join(REPO_ROOT, 'src', 'auth'));
  it('has files to check', () => expect(all.length).toBeGreaterThan(10));
  for (const f of all) {
    it(path.relative(REPO_ROOT, f), () => {
      const src = readFileSync(f, 'utf8');
      expect(src).not.toMatch(FORBIDDEN);
      expect(src).not.toMatch(TIMERS);
    });
  }
});
