/**
 * Runs the catalogue against one endpoint. A check that throws fails with the error's message;
 * destructive checks are skipped unless asked for; whatever the checks created is deleted at the end.
 */
import { ConformanceContext, type ConformanceOptions } from './context.js';
import { CATALOGUE, schemaCheck } from './catalogue.js';
import { type Category, type Check, type CheckResult, type Exchange, type Report, SkipCheck } from './types.js';

export interface RunOptions extends ConformanceOptions {
  /** Only these categories. */
  only?: Category[];
  /** Called after each check (progress output). */
  onResult?: (r: CheckResult) => void;
  /** The catalogue to run (tests pass a subset). */
  checks?: readonly Check[];
}

/** Why a check does not run against this endpoint, or undefined when it runs. */
function notRun(check: Check, ctx: ConformanceContext): string | undefined {
  if (check.profile !== undefined && check.profile !== ctx.profile) {
    return `a ${check.profile === 'winrm' ? 'Windows (MS-WSMV)' : check.profile} rule; this endpoint is judged by ${ctx.profile} (--profile)`;
  }
  if (check.destructive && !ctx.options.destructive) return 'creates shells or runs commands: run with --destructive';
  return undefined;
}

/** A failure caused by the resource not being served there is a skip: the rule was never tried. */
function missingResource(exchanges: readonly Exchange[]): string | undefined {
  const x = exchanges.find((e) => ConformanceContext.resourceMissing(e.response?.subcode));
  return x ? `the endpoint does not serve the resource asked for (${x.response?.subcode}); name one it serves with --resource-uri` : undefined;
}

/**
 * Run the conformance checks against `options.url` (WS-Man's Test-WSMan, but thorough). Throws,
 * before any check, when the endpoint cannot be reached or logged on to (the user's setup).
 */
export async function runConformance(options: RunOptions): Promise<Report> {
  const started = new Date();
  const ctx = new ConformanceContext(options);
  const results: CheckResult[] = [];
  const checks = (options.checks ?? CATALOGUE).filter((c) => !options.only || options.only.includes(c.category) || c === schemaCheck);
  try {
    await ctx.prepare();
    for (const check of checks) {
      ctx.exchanges = [];
      const t0 = performance.now();
      let status: CheckResult['status'];
      let reason: string;
      const why = notRun(check, ctx);
      if (why !== undefined) {
        status = 'skip';
        reason = why;
      } else {
        try {
          ({ status, reason } = await check.run(ctx));
        } catch (err) {
          status = err instanceof SkipCheck ? 'skip' : 'fail';
          reason = err instanceof SkipCheck ? err.message : `error: ${(err as Error).message}`;
        }
        const missing = status === 'fail' ? missingResource(ctx.exchanges) : undefined;
        if (missing !== undefined) {
          status = 'skip';
          reason = missing;
        }
      }
      const result: CheckResult = {
        id: check.id, title: check.title, category: check.category, severity: check.severity, status, reason, spec: check.spec,
        durationMs: Math.round((performance.now() - t0) * 10) / 10, exchanges: ctx.exchanges,
      };
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await ctx.cleanup();
  }
  const count = (s: string): number => results.filter((r) => r.status === s).length;
  return {
    target: options.url,
    profile: ctx.profile,
    ...(ctx.vendor !== undefined ? { vendor: ctx.vendor } : {}),
    ...(ctx.resourceUriOrUndefined !== undefined ? { resourceUri: ctx.resourceUriOrUndefined } : {}),
    started: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    checks: results,
    summary: { pass: count('pass'), fail: count('fail'), skip: count('skip'), mustFailed: results.filter((r) => r.status === 'fail' && r.severity === 'must').length },
  };
}
