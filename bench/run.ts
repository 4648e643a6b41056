/**
 * `npm run bench [name...]`: loads every `bench/*.bench.ts` (or only those named, without the
 * `.bench.ts`), runs them one after another, prints a table and writes `bench/results.json`.
 *
 * Contract for a bench file: `export async function run(): Promise<BenchResult[]>`.
 * When only some files run, their entries replace those of the same name in results.json and the
 * others are kept.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';
export type { BenchResult } from './types.js';


interface Stored {
  name: string;
  unit: string;
  value: number;
  baseline: number | null;
  ratio: number | null;
}

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(BENCH_DIR, 'results.json');

function benchFiles(only: string[]): string[] {
  const all = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.bench.ts')).sort();
  if (only.length === 0) return all;
  const wanted = new Set(only.map((n) => n.replace(/\.bench\.ts$/, '')));
  const unknown = [...wanted].filter((n) => !all.includes(`${n}.bench.ts`));
  if (unknown.length) throw new Error(`no bench file for: ${unknown.join(', ')} (have: ${all.map((f) => f.replace('.bench.ts', '')).join(', ')})`);
  return all.filter((f) => wanted.has(f.replace(/\.bench\.ts$/, '')));
}

function isResult(r: unknown): r is BenchResult {
  const o = r as BenchResult;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && typeof o.unit === 'string' && typeof o.value === 'number';
}

function fmt(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return Math.abs(n) >= 1000 ? n.toFixed(0) : n.toFixed(digits);
}

function printTable(rows: Stored[]): void {
  const head = ['name', 'value', 'unit', 'baseline', 'ratio'];
  const cells = rows.map((r) => [r.name, fmt(r.value), r.unit, fmt(r.baseline), fmt(r.ratio, 3)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((s, i) => (i === 0 || i === 2 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const c of cells) process.stdout.write(`${line(c)}\n`);
}

async function main(): Promise<void> {
  const files = benchFiles(process.argv.slice(2));
  const fresh: Stored[] = [];
  let failed = 0;
  for (const f of files) {
    process.stderr.write(`bench: ${f}\n`);
    try {
      const mod = (await import(pathToFileURL(path.join(BENCH_DIR, f)).href)) as { run?: () => Promise<unknown> };
      if (typeof mod.run !== 'function') throw new Error('does not export run()');
      const results = await mod.run();
      if (!Array.isArray(results) || !results.every(isResult)) throw new Error('run() must resolve to BenchResult[]');
      for (const r of results) {
        const ratio = r.ratio ?? (r.baseline ? r.value / r.baseline : undefined);
        fresh.push({ name: r.name, unit: r.unit, value: r.value, baseline: r.baseline ?? null, ratio: ratio ?? null });
      }
    } catch (err) {
      failed++;
      process.stderr.write(`bench: ${f} failed: ${(err as Error).stack ?? String(err)}\n`);
    }
  }

  let previous: Stored[] = [];
  if (process.argv.length > 2 && existsSync(RESULTS)) {
    try {
      previous = JSON.parse(readFileSync(RESULTS, 'utf8')) as Stored[];
    } catch {
      previous = [];
    }
  }
  const names = new Set(fresh.map((r) => r.name));
  const merged = [...previous.filter((r) => !names.has(r.name)), ...fresh];
  writeFileSync(RESULTS, `${JSON.stringify(merged, null, 2)}\n`);
  printTable(fresh);
  process.stdout.write(`\n${fresh.length} results from ${files.length - failed} of ${files.length} bench files; written to ${path.relative(process.cwd(), RESULTS)}\n`);
  if (failed) process.exitCode = 1;
}

await main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
