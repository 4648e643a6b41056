/**
 * src/core is sans-IO: it imports only relative modules, its XML parser (saxes) and node:buffer
 * (bytes and strings, no I/O), and uses no timers, clock or randomness (IDs and time are passed in).
 * src/psrp is held to the same rules; besides itself it may import only src/core.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

const CORE = path.join(REPO_ROOT, 'src', 'core');
const ALLOWED_PACKAGES = new Set(['saxes', 'node:buffer']);
const FORBIDDEN_CALLS: [string, RegExp][] = [
  ['setTimeout', /\bsetTimeout\s*\(/],
  ['setInterval', /\bsetInterval\s*\(/],
  ['setImmediate', /\bsetImmediate\s*\(/],
  ['queueMicrotask', /\bqueueMicrotask\s*\(/],
  ['Date.now', /\bDate\s*\.\s*now\b/],
  // The clock: `new Date()` and `Date()`. A Date built from a value (`new Date(ms)`) reads no clock.
  ['new Date()', /\bnew\s+Date\s*(\(\s*\)|(?!\())/],
  ['Date()', /(^|[^.\w])Date\s*\(\s*\)/],
  ['performance.now', /\bperformance\s*\.\s*now\b/],
  ['process.hrtime', /\bprocess\s*\.\s*hrtime\b/],
  ['Math.random', /\bMath\s*\.\s*random\b/],
  ['crypto.randomUUID', /\brandomUUID\b/],
  ['crypto.getRandomValues', /\bgetRandomValues\b/],
  ['randomBytes', /\brandomBytes\b/],
  ['require()', /\brequire\s*\(/],
  ['process.env', /\bprocess\s*\.\s*env\b/],
  ['fetch()', /(^|[^.\w])fetch\s*\(/],
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Strip comments and string contents that are not import specifiers, so doc comments do not count. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every module specifier: static imports and re-exports, dynamic import(), require(). */
function importSpecifiers(src: string): string[] {
  const code = stripComments(src);
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\bimport\s*\(\s*([^'"`\s)][^)]*)\)/g, // a computed dynamic import: reported as-is (never allowed)
    /\brequire\s*\(\s*['"`]?([^'"`)]+)['"`]?\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

const ROOTS: Array<{ name: string; dir: string; mayImport: string[] }> = [
  { name: 'src/core', dir: CORE, mayImport: [CORE] },
  { name: 'src/psrp', dir: path.join(REPO_ROOT, 'src', 'psrp'), mayImport: [path.join(REPO_ROOT, 'src', 'psrp'), CORE] },
];

for (const root of ROOTS) {
  const files = tsFiles(root.dir);

  describe(`${root.name} does no I/O`, () => {
    it('has source files to check', () => {
      expect(files.length).toBeGreaterThanOrEqual(10);
      if (root.dir === CORE) expect(files.some((f) => f.endsWith('xml.ts'))).toBe(true);
    });

    it(`imports only relative modules${root.mayImport.length > 1 ? ' (itself and src/core)' : ''}, saxes and node:buffer`, () => {
      const bad: string[] = [];
      for (const f of files) {
        for (const spec of importSpecifiers(readFileSync(f, 'utf8'))) {
          if (spec.startsWith('./') || spec.startsWith('../')) {
            const target = path.resolve(path.dirname(f), spec);
            if (!root.mayImport.some((d) => target.startsWith(d + path.sep))) bad.push(`${path.relative(REPO_ROOT, f)}: ${spec} (leaves ${root.name})`);
          } else if (!ALLOWED_PACKAGES.has(spec)) {
            bad.push(`${path.relative(REPO_ROOT, f)}: ${spec}`);
          }
        }
      }
      expect(bad).toEqual([]);
    });

    it('calls no timers, clock, randomness, environment or fetch', () => {
      const bad: string[] = [];
      for (const f of files) {
        const code = stripComments(readFileSync(f, 'utf8'));
        for (const [name, re] of FORBIDDEN_CALLS) if (re.test(code)) bad.push(`${path.relative(REPO_ROOT, f)}: ${name}`);
      }
      expect(bad).toEqual([]);
    });
  });
}

describe('the no-I/O scanner', () => {
  it('the scanner finds the imports and calls it must refuse', () => {
    const sample = [
      "import { request } from 'node:http';",
      "import * as net from 'net';",
      "export { x } from '../../cli/main.js';",
      "import type { Agent } from 'undici';",
      "const cp = await import('node:child_process');",
      "const fs = require('fs');",
      "import './side-effect.js';",
      'setTimeout(() => 0, 5); const t = Date.now(); const r = Math.random(); crypto.randomUUID();',
      'const now = new Date(); const then = new Date; const str = Date();',
    ].join('\n');
    expect(importSpecifiers(sample)).toEqual(expect.arrayContaining(['node:http', 'net', '../../cli/main.js', 'undici', 'node:child_process', 'fs', './side-effect.js']));
    const hits = FORBIDDEN_CALLS.filter(([, re]) => re.test(sample)).map(([n]) => n);
    expect(hits).toEqual(expect.arrayContaining(['setTimeout', 'Date.now', 'Math.random', 'crypto.randomUUID', 'new Date()', 'Date()']));
    expect(FORBIDDEN_CALLS.filter(([, re]) => re.test('const d = new Date(Number(ms)); const u = Date.UTC(1, 2);')).map(([n]) => n)).toEqual([]);
    // comments do not count
    expect(importSpecifiers("// import x from 'node:fs'\n/* require('tls') */")).toEqual([]);
  });
});
