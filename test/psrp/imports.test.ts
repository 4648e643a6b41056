/**
 * src/psrp is sans-IO like src/core and src/auth: no sockets, HTTP, TLS, file system, processes,
 * timers or clock, and it imports nothing from the layers that do I/O (client, server, transport).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

const FORBIDDEN = /from\s+['"](node:)?(net|http|https|tls|fs|fs\/promises|child_process|dgram|dns|timers|timers\/promises|worker_threads|undici|os|process|perf_hooks|crypto)['"]/;
const TIMERS = /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(|\bDate\.now\s*\(|\bnew Date\s*\(\s*\)|\bperformance\.now\s*\(|\bprocess\.|\bMath\.random\s*\(|\brandomUUID\s*\(/;
const LAYERS = /from\s+['"]\.\.\/(\.\.\/)?(client|server|transport|cli|conformance)\//;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('src/psrp does no I/O', () => {
  const all = files(path.join(REPO_ROOT, 'src', 'psrp'));
  it('has files to check', () => expect(all.length).toBeGreaterThanOrEqual(5));
  for (const f of all) {
    it(path.relative(REPO_ROOT, f), () => {
      const src = readFileSync(f, 'utf8');
      expect(src).not.toMatch(FORBIDDEN);
      expect(src).not.toMatch(TIMERS);
      expect(src).not.toMatch(LAYERS);
      expect(src.split('\n').length).toBeLessThan(400);
    });
  }
});
