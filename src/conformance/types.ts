/** The conformance catalogue's shapes: a check, its outcome, and the report. */
import type { ConformanceContext } from './context.js';

export type Severity = 'must' | 'should';
export type Status = 'pass' | 'fail' | 'skip';

export type Category =
  | 'envelope'
  | 'identify'
  | 'faults'
  | 'transfer'
  | 'enumeration'
  | 'shell'
  | 'disconnect'
  | 'auth'
  | 'redirect'
  | 'robustness'
  | 'schema';

export interface Outcome {
  status: Status;
  reason: string;
}

/** One check: what it tests, where the rule is written, and how to run it. */
export interface Check {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  /** Where the rule is written: `DSP0226 §…`, `MS-WSMV §…`. */
  spec: string;
  /** Creates shells or runs commands: only with `--destructive`. */
  destructive?: boolean;
  run(ctx: ConformanceContext): Promise<Outcome>;
}

/** One HTTP exchange, kept for the HTML report. */
export interface Exchange {
  label: string;
  request: { headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
}

export interface CheckResult {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  status: Status;
  reason: string;
  spec: string;
  exchanges: Exchange[];
}

export interface Report {
  target: string;
  started: string;
  durationMs: number;
  checks: CheckResult[];
  summary: { pass: number; fail: number; skip: number; mustFailed: number };
}

export const pass = (reason = ''): Outcome => ({ status: 'pass', reason });
export const fail = (reason: string): Outcome => ({ status: 'fail', reason });
export const skip = (reason: string): Outcome => ({ status: 'skip', reason });
