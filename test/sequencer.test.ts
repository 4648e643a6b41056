import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { slowFiles } from './sequencer.js';

describe('the slow-first test order', () => {
  it('reads paths, skipping comments and blank lines', () => {
    expect(slowFiles('# head\n\ntest/a.test.ts  # 50 s\n  test/b.test.ts\n')).toEqual(['test/a.test.ts', 'test/b.test.ts']);
  });

  it('lists only test files that exist, each once (a renamed file would silently lose its place)', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const listed = slowFiles(readFileSync(path.join(root, 'test', 'slow-files.txt'), 'utf8'));
    expect(listed.length).toBeGreaterThan(10);
    expect(new Set(listed).size).toBe(listed.length);
    for (const f of listed) expect(existsSync(path.join(root, f)), f).toBe(true);
    for (const f of listed) expect(f).toMatch(/^test\/.+\.test\.ts$/);
  });
});
