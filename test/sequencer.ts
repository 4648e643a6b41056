/**
 * The order test files start in. Vitest runs unknown files largest first, and on a fresh clone
 * (CI) every file is unknown, so a long file that starts last keeps one worker busy while the
 * others idle. The files listed in `test/slow-files.txt` (the slowest of a full run, slowest
 * first) start first; every other file follows in Vitest's own order. A file missing from the
 * list costs nothing but its place.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Relative paths of the slow files, slowest first; comments (#) and blank lines skipped. */
export function slowFiles(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    let listed: string[] = [];
    try {
      listed = slowFiles(readFileSync(path.join(root, 'test', 'slow-files.txt'), 'utf8'));
    } catch {
      return base;
    }
    const rank = new Map(listed.map((f, i) => [f, i]));
    const rankOf = (s: TestSpecification): number => rank.get(path.relative(root, s.moduleId).split(path.sep).join('/')) ?? listed.length;
    // Array.prototype.sort is stable: unlisted files keep Vitest's order behind the listed ones.
    return [...base].sort((a, b) => rankOf(a) - rankOf(b));
  }
}
