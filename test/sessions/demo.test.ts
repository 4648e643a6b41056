/** `wsman demo`, the README's first command: exits 0 and shows each step's table. */
import { describe, it, expect } from 'vitest';
import { wsman, stateDir } from './helpers.js';

describe('wsman demo', () => {
  it('plays the disconnected-session example end to end and exits 0', async () => {
    const r = await wsman(['demo'], { WSMAN_STATE_DIR: stateDir() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = [...r.stdout.matchAll(/^\s+1\s+ITTask\s+127\.0\.0\.1\s+(\w+)\s+cmd\s+(\w+)$/gm)].map((m) => `${m[1]}/${m[2]}`);
    expect(rows).toEqual(['Opened/Available', 'Opened/Busy', 'Disconnected/None', 'Disconnected/None', 'Disconnected/Busy', 'Opened/Available']);
    expect([...r.stdout.matchAll(/\| \[[\d:]+\] step (\d) of 6/g)].map((m) => m[1])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(r.stdout).toMatch(/Job ITTask: Completed, exit code 0\./);
    expect(r.stdout).toMatch(/\(no sessions\)/);
  }, 30_000);
});
