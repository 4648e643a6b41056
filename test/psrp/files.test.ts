/**
 * src/psrp stays in files under 400 lines (the developers' guide). Its sans-IO rules (imports,
 * timers, clock) are checked with src/core's in test/core/no-io.test.ts.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('src/psrp file sizes', () => {
  const all = [...files(path.join(REPO_ROOT, 'src', 'psrp')), ...files(path.join(REPO_ROOT, 'src', 'client', 'psrp'))];
  it('has files to check', () => expect(all.length).toBeGreaterThanOrEqual(15));
  it('every file is under 400 lines', () => {
    expect(all.filter((f) => readFileSync(f, 'utf8').split('\n').length >= 400).map((f) => path.relative(REPO_ROOT, f))).toEqual([]);
  });
});
