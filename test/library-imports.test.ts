/**
 * The package's entry points load only what their task needs (issue 19): `wsman/core` is sans-IO
 * (no undici, no sockets, no child processes), `wsman/auth` talks to no network, and no entry
 * point loads xmllint-wasm (only the schema checks do). Checked on the static import graph of the
 * sources, module by module, from each entry named in package.json's exports.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };

/** The source file of a dist path (`./dist/core/index.js` → src/core/index.ts). */
function sourceOf(dist: string): string {
  return path.join(ROOT, dist.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

/** Every package and node: module reachable from `entry` through static imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const external = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports and re-exports (not `import type`, not dynamic import(): those load nothing up front).
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
        if (existsSync(target)) stack.push(target);
      } else {
        external.add(spec.replace(/^node:/, 'node:').split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
      }
    }
  }
  return external;
}

const entries = Object.entries(pkg.exports).filter(([k]) => k !== './package.json')
  .map(([k, v]) => [k, sourceOf((v as { import: string }).import)] as const);

describe('entry points', () => {
  it('package.json exports the top level and the core, client, server and auth subpaths', () => {
    expect(entries.map(([k]) => k)).toEqual(['.', './core', './client', './server', './auth']);
    for (const [, file] of entries) expect(existsSync(file), file).toBe(true);
  });

  it('the walk sees what the entries do load (the client uses undici, the listener child processes)', () => {
    const at = (name: string): string => entries.find(([k]) => k === name)![1];
    expect(reachable(at('./client')).has('undici')).toBe(true);
    expect(reachable(at('./server')).has('node:child_process')).toBe(true);
    expect(reachable(at('./core')).has('saxes')).toBe(true);
  });

  const forbidden: Record<string, string[]> = {
    './core': ['undici', 'node:child_process', 'node:net', 'node:http', 'node:https', 'node:tls', 'node:fs', 'xmllint-wasm'],
    './auth': ['undici', 'node:child_process', 'node:net', 'node:http', 'node:https', 'xmllint-wasm'],
    './client': ['xmllint-wasm'],
    './server': ['xmllint-wasm'],
    '.': ['xmllint-wasm'],
  };
  for (const [name, file] of entries) {
    it(`${name} does not load ${forbidden[name]!.join(', ')}`, () => {
      const got = reachable(file);
      expect([...got].filter((m) => forbidden[name]!.includes(m))).toEqual([]);
    });
  }
});
