/**
 * `wsman invoke [connection options] (--script-block TEXT | --file-path FILE) [--argument-list ARG...]
 * [--configuration-name NAME] [--json]`: run PowerShell remotely over PSRP (Invoke-Command
 * -ScriptBlock / -FilePath). Output objects print as PowerShell's default view would: strings
 * as they are, values as pwsh prints them (True, dates for en-US), objects as a table or list of
 * their properties; error records go to stderr in PowerShell's format; a warning, verbose, debug or
 * host message once, also when it comes both as a host call and as a record. `--json` prints one object per line, type names kept. Exit status 1 when the pipeline
 * failed or wrote errors; our own errors (connection, usage) exit 255.
 */
import { nodeFsPromises } from '../util/builtins.js';
import { Option, type Command as Cli } from 'commander';
import { WsmanUsageError } from '../core/errors.js';
import { PipelineFailedError, PowerShell, RunspacePool, errorRecordMessage, type PowerShellStreams, type RunspaceTarget } from '../client/psrp/powershell.js';
import { DEFAULT_CONFIGURATION } from '../client/psrp/wsman.js';
import { nonInteractiveHost } from '../client/psrp/host.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { describeFor, EXIT_ERROR } from './errors.js';
import { invokeInDisconnectedSession, invokeInSession } from './session-ps.js';
import { RecordPrinter } from './psprint.js';

interface InvokeFlags extends ConnectionFlags {
  scriptBlock?: string;
  filePath?: string;
  argumentList?: string[];
  /** Hidden: run in a local `pwsh -s` at this path instead of over WS-Man (tests, local use). */
  localPwsh?: string;
  /** Hidden: `--no-pool-receive`, no pool-level Receive kept while the pool is idle (pypsrp's order, for replays of its recordings). */
  poolReceive?: boolean;
  inDisconnectedSession?: boolean;
  sessionName?: string;
  session?: string;
  idleTimeout?: string;
  outputBufferingMode?: string;
}

// The default view is in psformat.ts; these names stay importable from here.
export { valueText, formatObject, jsonValue, formatErrorRecord } from './psformat.js';

/**
 * Print a pipeline's streams as `wsman invoke` does (objects to stdout in PowerShell's default
 * view, or one JSON line each; error records and notes to stderr); 1 when it failed or wrote
 * errors, else 0. Rejects as the streams do (a pipeline disconnected meanwhile).
 */
export async function printPipeline(s: PowerShellStreams, asJson: boolean | undefined, p = new RecordPrinter(asJson)): Promise<number> {
  const pump = async <T>(it: AsyncIterable<T>, each: (x: T) => void): Promise<void> => {
    for await (const x of it) each(x);
  };
  await Promise.all([
    pump(s.output, (v) => p.output(v)),
    pump(s.error, (e) => p.error(e)),
    pump(s.warning, (m) => p.note('Warning', m)),
    pump(s.verbose, (m) => p.note('Verbose', m)),
    pump(s.debug, (m) => p.note('Debug', m)),
    pump(s.information, (m) => p.information(m)),
    pump(s.progress, () => undefined),
  ]);
  p.end();
  const end = await s.completion;
  if (end.state === 'Failed') p.failed(new PipelineFailedError(errorRecordMessage(end.error), end.error, end.state).message, end.error);
  else if (end.state === 'Stopped') p.status = 1;
  return p.status;
}

async function invoke(flags: InvokeFlags): Promise<number> {
  if ((flags.scriptBlock === undefined) === (flags.filePath === undefined)) {
    throw new WsmanUsageError('give --script-block TEXT or --file-path FILE (one of them)', 'ERR_BAD_OPTION');
  }
  const script = flags.scriptBlock ?? await nodeFsPromises().readFile(flags.filePath!, 'utf8');
  const args = flags.argumentList ?? [];
  if (flags.session !== undefined && flags.inDisconnectedSession) throw new WsmanUsageError('--session and --in-disconnected-session exclude each other', 'ERR_BAD_OPTION');
  if (flags.session !== undefined) return invokeInSession(flags, flags.session, script, args);
  if (flags.inDisconnectedSession) return invokeInDisconnectedSession(flags, script, args);
  if (flags.sessionName !== undefined || flags.idleTimeout !== undefined || flags.outputBufferingMode !== undefined) {
    throw new WsmanUsageError('--session-name, --idle-timeout and --output-buffering-mode go with --in-disconnected-session', 'ERR_BAD_OPTION');
  }
  let target: RunspaceTarget;
  if (flags.localPwsh !== undefined) target = { outOfProcess: { executable: flags.localPwsh } };
  else {
    const { targets } = await clientOptionsFrom(flags);
    if (targets.length !== 1) throw new WsmanUsageError('wsman invoke runs on one computer at a time', 'ERR_BAD_OPTION');
    target = targets[0]!;
  }
  // Host text printed once with its record (with --json the records are printed instead); prompts
  // fail at once with PowerShell's non-interactive error.
  const printer = new RecordPrinter(flags.json);
  const host = nonInteractiveHost(printer.hostOutput());
  const pool = await RunspacePool.open(target, { configurationName: flags.configurationName ?? DEFAULT_CONFIGURATION, host, ...(flags.poolReceive === false ? { poolReceive: false } : {}) });
  try {
    const ps = PowerShell.create(pool).addScript(script);
    for (const a of args) ps.addArgument(a);
    return await printPipeline(await ps.beginInvoke(), flags.json, printer);
  } finally {
    await pool.close().catch(() => undefined);
  }
}

export function register(program: Cli): void {
  const cmd = program
    .command('invoke')
    .description('run a PowerShell script block or script file remotely (Invoke-Command; configuration Microsoft.PowerShell by default)');
  addConnectionOptions(cmd)
    .option('--script-block <text>', 'the script to run (Invoke-Command -ScriptBlock)')
    .option('--file-path <file>', 'a local script file to run remotely (Invoke-Command -FilePath)')
    .option('--argument-list <args...>', 'arguments for the script ($args, or its param block)')
    .option('--in-disconnected-session', 'start in a new PowerShell session and disconnect at once; the output waits there (Invoke-Command -InDisconnectedSession)')
    .option('--session-name <name>', '--in-disconnected-session: the session\'s name')
    .option('--idle-timeout <sec>', '--in-disconnected-session: IdleTimeout, seconds')
    .addOption(new Option('--output-buffering-mode <mode>', '--in-disconnected-session: Block (default) or Drop when the output buffer is full').choices(['block', 'drop']))
    .option('--session <name>', 'run in an existing PowerShell session, left Disconnected afterwards (Invoke-Command -Session)')
    .addOption(new Option('--local-pwsh <path>', 'run in a local `pwsh -s` instead of over WS-Man').hideHelp())
    .addOption(new Option('--no-pool-receive', 'keep no pool-level Receive while idle (pypsrp\'s request order)').hideHelp())
    .action(async (flags: InvokeFlags) => {
      try {
        process.exitCode = await invoke(flags);
      } catch (err) {
        process.stderr.write(`wsman invoke: ${describeFor('invoke', err)}\n`);
        process.exitCode = EXIT_ERROR;
      }
    });
}
