/**
 * The package's bin (dist/cli/wsman.cjs, scripts/cli-launcher.cjs) runs the bundled command line
 * with V8's code cache. On Node 20 the cache lives in a directory of the user's own under the
 * temporary directory; one that others could write to, or a link, is never used.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT } from '../helpers/cli.js';

const nativeCache = typeof ((await import('node:module')) as Record<string, unknown>).enableCompileCache === 'function';
const uid = process.getuid?.() ?? -1;

function version(tmp: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, '--version'], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 });
}

describe('the wsman bin', () => {
  it('is what package.json names, and runs the bundle', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(path.join(ROOT, pkg.bin.wsman!)).toBe(CLI);
    expect(existsSync(path.join(ROOT, 'dist', 'cli', 'wsman-main.cjs'))).toBe(true);
    expect(version(mkdtempSync(path.join(tmpdir(), 'wsman-bin-')))).toMatchObject({ status: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it.skipIf(nativeCache)('keeps its code cache in a 0700 directory of its own and uses it the next time', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'wsman-bin-'));
    expect(version(tmp).status).toBe(0);
    const dir = path.join(tmp, `wsman-compile-cache-${uid}`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^none-${process.version.replace(/\./g, '\\.')}-${process.arch}-\\d+-\\d+\\.bin$`));
    const file = path.join(dir, files[0]!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const made = statSync(file).mtimeMs;
    // Accepted the second time, so not written again.
    expect(version(tmp)).toMatchObject({ status: 0, stdout: '0.1.0\n' });
    expect(statSync(file).mtimeMs).toBe(made);
  });

  it.skipIf(nativeCache)('does not use a cache directory others can write to, nor a link', () => {
    const open = mkdtempSync(path.join(tmpdir(), 'wsman-bin-'));
    const dir = path.join(open, `wsman-compile-cache-${uid}`);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(version(open)).toMatchObject({ status: 0, stdout: '0.1.0\n' });
    expect(readdirSync(dir)).toEqual([]);
    const linked = mkdtempSync(path.join(tmpdir(), 'wsman-bin-'));
    const target = mkdtempSync(path.join(tmpdir(), 'wsman-bin-target-'));
    chmodSync(target, 0o700);
    symlinkSync(target, path.join(linked, `wsman-compile-cache-${uid}`));
    expect(version(linked)).toMatchObject({ status: 0, stdout: '0.1.0\n' });
    expect(readdirSync(target)).toEqual([]);
  });

  it.skipIf(nativeCache)('keeps one cache per command, and drops other bundles\' caches not written for a day', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'wsman-bin-'));
    const dir = path.join(tmp, `wsman-compile-cache-${uid}`);
    mkdirSync(dir, { mode: 0o700 });
    const stale = path.join(dir, 'run-v0.0.1-x64-1-1.bin');
    const recent = path.join(dir, 'run-v0.0.2-x64-1-1.bin');
    writeFileSync(stale, 'x', { mode: 0o600 });
    writeFileSync(recent, 'x', { mode: 0o600 });
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    utimesSync(stale, twoDaysAgo, twoDaysAgo);
    expect(version(tmp).status).toBe(0);
    const help = spawnSync(process.execPath, [CLI, 'decode', '--help'], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith('none-'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('decode-'))).toHaveLength(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    // Written after the command ran, so it holds more than the bundle's top level.
    const decode = files.find((f) => f.startsWith('decode-'))!;
    const none = files.find((f) => f.startsWith('none-'))!;
    expect(statSync(path.join(dir, decode)).size).toBeGreaterThan(statSync(path.join(dir, none)).size);
  });

  it.skipIf(nativeCache)('keeps at most 64 cache files, dropping the oldest first whatever their age', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'wsman-bin-'));
    const dir = path.join(tmp, `wsman-compile-cache-${uid}`);
    mkdirSync(dir, { mode: 0o700 });
    // 100 caches of other bundles, all written within the hour (a checkout rebuilt by each test run).
    const now = Date.now() / 1000;
    for (let i = 0; i < 100; i++) {
      const f = path.join(dir, `run-v0.0.1-x64-${i}-1.bin`);
      writeFileSync(f, 'x', { mode: 0o600 });
      utimesSync(f, now - 3600 + i, now - 3600 + i);
    }
    expect(version(tmp).status).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(64);
    expect(files.filter((f) => f.startsWith('none-'))).toHaveLength(1);
    // The newest 63 of the others stay.
    expect(files.filter((f) => f.startsWith('run-')).map((f) => Number(f.split('-')[3])).sort((a, b) => a - b)[0]).toBe(37);
  });
});
