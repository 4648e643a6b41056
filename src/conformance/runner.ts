/**
 * Runs the catalogue against one endpoint. A check that throws fails with the error's message;
 * destructive checks are skipped unless asked for; whatever the checks created is deleted at the end.
 */
import { ConformanceContext, type ConformanceOptions } from './context.js';
import { CATALOGUE, schemaCheck } from './catalogue.js';
import type { Category, Check, CheckResult, Report } from './types.js';

export interface RunOptions extends ConformanceOptions {
  /** Only these categories. */
  only?: Category[];
  /** Called after each check (progress output). */
  onResult?: (r: CheckResult) => void;
  /** The catalogue to run (tests pass a subset). */
  checks?: readonly Check[];
}

/** Run the conformance checks against `options.url` (WS-Man's Test-WSMan, but thorough). */
export async function runConformance(options: RunOptions): Promise<Report> {
  const started = new Date();
  const ctx = new ConformanceContext(options);
  const results: CheckResult[] = [];
  const checks = (options.checks ?? CATALOGUE).filter((c) => !options.only || options.only.includes(c.category) || c === schemaCheck);
  try {
    for (const check of checks) {
      ctx.exchanges = [];
      let status: CheckResult['status'];
      let reason: string;
      if (check.destructive && !ctx.options.destructive) {
        status = 'skip';
        reason = 'creates shells or runs commands: run with --destructive';
      } else {
        try {
          ({ status, reason } = await check.run(ctx));
        } catch (err) {
          status = 'fail';
          reason = `error: ${(err as Error).message}`;
        }
      }
      const result: CheckResult = { id: check.id, title: check.title, category: check.category, severity: check.severity, status, reason, spec: check.spec, exchanges: ctx.exchanges };
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await ctx.cleanup();
  }
  const count = (s: string): number => results.filter((r) => r.status === s).length;
  return {
    target: options.url,
    started: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    checks: results,
    summary: { pass: count('pass'), fail: count('fail'), skip: count('skip'), mustFailed: results.filter((r) => r.status === 'fail' && r.severity === 'must').length },
  };
}
