/** The conformance runner: checks, runner and reporters. */
export { runConformance, type RunOptions } from './runner.js';
export { CATALOGUE } from './catalogue.js';
export { reportTable, reportJson, reportSummary, formatRow, ROW_HEADER } from './report/text.js';
export { reportJunit } from './report/junit.js';
export { reportHtml } from './report/html.js';
export type { Check, CheckResult, Report, Category, Severity, Status, Outcome, Profile } from './types.js';
export type { ConformanceOptions, ConnectionSettings } from './context.js';
