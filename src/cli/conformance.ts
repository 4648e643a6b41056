/** `wsman conformance URI`: test a WS-Management endpoint and report what it gets wrong. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { runConformance, reportTable, reportJson, reportJunit, reportHtml, type Category } from '../conformance/index.js';
import { validateEnvelope } from '../schema/validate.js';

const CATEGORIES: Category[] = ['envelope', 'identify', 'faults', 'transfer', 'enumeration', 'shell', 'disconnect', 'auth', 'redirect', 'robustness', 'schema'];

interface Opts {
  credential?: string;
  destructive?: boolean;
  command: string;
  skipCaCheck?: boolean;
  json?: boolean;
  junit?: string;
  html?: string;
  only?: string[];
  schema: boolean;
}

export function register(program: Command): void {
  program
    .command('conformance')
    .description('test a WS-Management endpoint check by check; exit 0 only when every must-check passes')
    .argument('<uri>', 'endpoint, e.g. http://127.0.0.1:5985/wsman')
    .option('--credential <user>', 'user name (password from WSMAN_PASSWORD)')
    .option('--destructive', 'also run checks that create shells and run commands')
    .option('--command <cmd>', 'a command that is safe on the target', 'echo')
    .option('--skip-ca-check', 'accept any server certificate')
    .option('--only <category...>', `only these categories: ${CATEGORIES.join(', ')}`)
    .option('--no-schema', 'do not validate responses against the schemas')
    .option('--json', 'print the report as JSON instead of a table')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--html <file>', 'write a self-contained HTML report')
    .action(async (uri: string, opts: Opts) => {
      const only = opts.only?.map((c) => c.toLowerCase()) as Category[] | undefined;
      const bad = only?.filter((c) => !CATEGORIES.includes(c));
      if (bad?.length) {
        process.stderr.write(`wsman conformance: unknown category ${bad.join(', ')}; choose from ${CATEGORIES.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const progress = process.stderr.isTTY && !opts.json;
      const report = await runConformance({
        url: uri,
        ...(opts.credential !== undefined ? { username: opts.credential, password: process.env.WSMAN_PASSWORD ?? '' } : {}),
        destructive: Boolean(opts.destructive),
        command: opts.command,
        skipCACheck: Boolean(opts.skipCaCheck),
        ...(only ? { only } : {}),
        ...(opts.schema ? { validate: async (xml: string) => (await validateEnvelope(xml)).errors } : {}),
        onResult: progress ? (r) => process.stderr.write(`\r\x1b[K${r.id} ${r.status}`) : undefined,
      });
      if (progress) process.stderr.write('\r\x1b[K');
      process.stdout.write(opts.json ? reportJson(report) : reportTable(report));
      if (opts.junit) await writeFile(opts.junit, reportJunit(report));
      if (opts.html) await writeFile(opts.html, reportHtml(report));
      process.exitCode = report.summary.mustFailed ? 1 : 0;
    });
}
