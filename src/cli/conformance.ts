/**
 * `wsman conformance [URI]`: test a WS-Management endpoint and report what it gets wrong. It takes
 * the same connection options as every command that connects; what stops it before any check (no
 * route, an untrusted certificate, a refused logon) is the user's setup, reported as one line with
 * exit 255 as `wsman run` does, never as failed checks.
 */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { runConformance, reportJson, reportJunit, reportHtml, formatRow, reportSummary, ROW_HEADER, type Category, type CheckResult, type Profile } from '../conformance/index.js';
import { validateEnvelope } from '../schema/validate.js';
import { WsmanUsageError } from '../core/errors.js';
import { endpointUrl } from '../client/options.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { describeError, EXIT_ERROR } from './errors.js';

const CATEGORIES: Category[] = ['envelope', 'identify', 'faults', 'transfer', 'enumeration', 'shell', 'disconnect', 'powershell', 'auth', 'redirect', 'robustness', 'schema'];

interface Opts extends ConnectionFlags {
  destructive?: boolean;
  command: string;
  junit?: string;
  html?: string;
  only?: string[];
  schema: boolean;
  profile?: Profile;
  resourceUri?: string;
}

export function register(program: Command): void {
  addConnectionOptions(program
    .command('conformance')
    .description('test a WS-Management endpoint check by check; exit 0 only when every must-check passes')
    .argument('[uri]', 'endpoint, e.g. http://127.0.0.1:5985/wsman (or --connection-uri / --computer-name)'))
    .option('--destructive', 'also run checks that create shells and run commands')
    .option('--command <cmd>', 'a command that is safe on the target', 'echo')
    .addOption(new Option('--profile <profile>', 'the rules to judge by: dsp0226 (DMTF) or winrm (MS-WSMV); default from Identify').choices(['dsp0226', 'winrm']))
    .option('--resource-uri <uri>', 'a resource the endpoint serves, for the checks that need one (default: discovered)')
    .option('--only <category...>', `only these categories: ${CATEGORIES.join(', ')}`)
    .option('--no-schema', 'do not validate responses against the schemas')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--html <file>', 'write a self-contained HTML report')
    .action(async (uri: string | undefined, opts: Opts) => {
      try {
        const only = opts.only?.map((c) => c.toLowerCase()) as Category[] | undefined;
        const bad = only?.filter((c) => !CATEGORIES.includes(c));
        if (bad?.length) throw new WsmanUsageError(`unknown category ${bad.join(', ')}; choose from ${CATEGORIES.join(', ')}`, 'ERR_BAD_OPTION');
        if (uri !== undefined && (opts.connectionUri !== undefined || opts.computerName !== undefined)) {
          throw new WsmanUsageError('give the endpoint once: as URI, --connection-uri or --computer-name', 'ERR_BAD_OPTION');
        }
        const { targets } = await clientOptionsFrom(uri !== undefined ? { ...opts, connectionUri: uri } : opts);
        if (targets.length !== 1) throw new WsmanUsageError('conformance tests one endpoint at a time', 'ERR_BAD_OPTION');
        const { endpoint, ...connection } = targets[0]!;
        const url = endpointUrl(endpoint);
        const rows = !opts.json;
        let header = false;
        const printRow = (r: CheckResult): void => {
          if (!header) process.stdout.write(`${ROW_HEADER}\n`);
          header = true;
          process.stdout.write(`${formatRow(r)}\n`);
        };
        const report = await runConformance({
          url,
          connection,
          destructive: Boolean(opts.destructive),
          command: opts.command,
          ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
          ...(opts.resourceUri !== undefined ? { resourceUri: opts.resourceUri } : {}),
          ...(only ? { only } : {}),
          ...(opts.schema ? { validate: async (xml: string) => (await validateEnvelope(xml)).errors } : {}),
          // Each row as its check finishes: a long run shows its progress as it goes.
          ...(rows ? { onResult: printRow } : {}),
        });
        process.stdout.write(opts.json ? reportJson(report) : `\n${reportSummary(report)}`);
        if (opts.junit) await writeFile(opts.junit, reportJunit(report));
        if (opts.html) await writeFile(opts.html, reportHtml(report));
        process.exitCode = report.summary.mustFailed ? 1 : 0;
      } catch (err) {
        process.stderr.write(`wsman conformance: ${describeError(err)}\n`);
        process.exitCode = EXIT_ERROR;
      }
    });
}
