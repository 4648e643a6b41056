/** The conformance catalogue's shapes: a check, its outcome, and the report. */
import type { ConformanceContext } from './context.js';

export type Severity = 'must' | 'should';

/**
 * The rules an endpoint is judged by: `dsp0226`, the DMTF standard every WS-Management server
 * follows (Openwsman, Intel AMT, iDRAC…); `winrm`, Microsoft's MS-WSMV on top of it (WSManFault
 * codes, winrm/config, the shell resources, xml:lang, Windows' size limits).
 */
export type Profile = 'dsp0226' | 'winrm';
export type Status = 'pass' | 'fail' | 'skip';

export type Category =
  | 'envelope'
  | 'identify'
  | 'faults'
  | 'transfer'
  | 'enumeration'
  | 'shell'
  | 'disconnect'
  | 'powershell'
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
  /** A rule of this profile only (MS-WSMV: `winrm`); absent: every WS-Management endpoint. */
  profile?: Profile;
  run(ctx: ConformanceContext): Promise<Outcome>;
}

/** One HTTP exchange, kept for the HTML report. */
export interface Exchange {
  label: string;
  request: { headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: string; subcode?: string };
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
  /** How long the check took. */
  durationMs: number;
  exchanges: Exchange[];
}

export interface Report {
  target: string;
  /** The rules the endpoint was judged by. */
  profile: Profile;
  /** Identify's ProductVendor. */
  vendor?: string;
  /** The resource the harmless checks used. */
  resourceUri?: string;
  started: string;
  durationMs: number;
  checks: CheckResult[];
  summary: { pass: number; fail: number; skip: number; mustFailed: number };
}

export const pass = (reason = ''): Outcome => ({ status: 'pass', reason });
export const fail = (reason: string): Outcome => ({ status: 'fail', reason });
export const skip = (reason: string): Outcome => ({ status: 'skip', reason });

/** Thrown by a check (or the context) to skip it, saying why. */
export class SkipCheck extends Error {}
