/**
 * `wsman invoke [connection options] (--script-block TEXT | --file-path FILE) [--argument-list ARG...]
 * [--configuration-name NAME] [--json]`: run PowerShell remotely over PSRP (Invoke-Command
 * -ScriptBlock / -FilePath). Output objects print as PowerShell's default view would: strings
 * as they are, objects as a list of their properties; error records go to stderr in PowerShell's
 * format. `--json` prints one object per line, type names kept. Exit status 1 when the pipeline
 * failed or wrote errors; our own errors (connection, usage) exit 255.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command as Cli } from 'commander';
import { WsmanUsageError } from '../core/errors.js';
import { PSObject, PSPrimitive, type PSValue } from '../psrp/clixml/model.js';
import type { ErrorRecordMessage } from '../psrp/messages/records.js';
import { PipelineFailedError, PowerShell, RunspacePool, errorRecordMessage, type RunspaceTarget } from '../client/psrp/powershell.js';
import { DEFAULT_CONFIGURATION } from '../client/psrp/wsman.js';
import { nonInteractiveHost } from '../client/psrp/host.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { describeFor, EXIT_ERROR } from './errors.js';
import { writeStdout } from './stdout.js';

interface InvokeFlags extends ConnectionFlags {
  scriptBlock?: string;
  filePath?: string;
  argumentList?: string[];
  /** Hidden: run in a local `pwsh -s` at this path instead of over WS-Man (tests, local use). */
  localPwsh?: string;
}

/** A value as one line of text (PowerShell's ToString). */
export function valueText(v: PSValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Uint8Array) return [...v].join(' ');
  if (v instanceof PSObject) {
    if (v.list && v.toStringText === undefined) return v.list.map(valueText).join(' ');
    return v.toString();
  }
  if (v instanceof PSPrimitive) return String(v.value);
  return String(v);
}

/** PowerShell's default view of an output object: strings as-is, objects as a property list. */
export function formatObject(v: PSValue): string {
  if (v instanceof PSObject) {
    if (v.list) return v.list.map(formatObject).join('');
    const props = [...v.adapted, ...v.extended];
    if (!props.length || v.dict) {
      if (v.dict) {
        const width = Math.max(4, ...v.dict.map(([k]) => valueText(k).length));
        return `\n${'Name'.padEnd(width)} Value\n${'----'.padEnd(width)} -----\n${v.dict.map(([k, x]) => `${valueText(k).padEnd(width)} ${valueText(x)}`).join('\n')}\n\n`;
      }
      return `${v.toString()}\n`;
    }
    const width = Math.max(...props.map(([k]) => k.length));
    return `\n${props.map(([k, x]) => `${k.padEnd(width)} : ${valueText(x)}`).join('\n')}\n\n`;
  }
  return `${valueText(v)}\n`;
}

/** A value as JSON: objects keep their type names under `$types`. */
export function jsonValue(v: PSValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof PSPrimitive) return v.toJSON();
  if (v instanceof PSObject) {
    const out: Record<string, unknown> = { $types: v.typeNames };
    if (v.toStringText !== undefined) out.$toString = v.toStringText;
    if (v.value !== undefined) out.$value = jsonValue(v.value);
    if (v.list) out.$items = v.list.map(jsonValue);
    if (v.dict) out.$entries = v.dict.map(([k, x]) => [jsonValue(k), jsonValue(x)]);
    for (const [k, x] of [...v.adapted, ...v.extended]) out[k] = jsonValue(x);
    return out;
  }
  if (typeof v === 'object') return JSON.parse(JSON.stringify(v)) as unknown;
  return v;
}

/** An error record as PowerShell's NormalView prints it (message, CategoryInfo, FullyQualifiedErrorId). */
export function formatErrorRecord(message: string, record: PSValue | undefined, fqid?: string | null): string {
  const get = (n: string): PSValue | undefined => (record instanceof PSObject ? record.get(n) : undefined);
  const category = get('ErrorCategory_Message');
  const id = fqid ?? get('FullyQualifiedErrorId');
  let out = `${message}\n`;
  if (category !== undefined && category !== null) out += `    + CategoryInfo          : ${valueText(category)}\n`;
  if (id !== undefined && id !== null) out += `    + FullyQualifiedErrorId : ${valueText(id)}\n`;
  return out;
}

async function invoke(flags: InvokeFlags): Promise<number> {
  if ((flags.scriptBlock === undefined) === (flags.filePath === undefined)) {
    throw new WsmanUsageError('give --script-block TEXT or --file-path FILE (one of them)', 'ERR_BAD_OPTION');
  }
  const script = flags.scriptBlock ?? await readFile(flags.filePath!, 'utf8');
  let target: RunspaceTarget;
  if (flags.localPwsh !== undefined) target = { outOfProcess: { executable: flags.localPwsh } };
  else {
    const { targets } = await clientOptionsFrom(flags);
    if (targets.length !== 1) throw new WsmanUsageError('wsman invoke runs on one computer at a time', 'ERR_BAD_OPTION');
    target = targets[0]!;
  }
  // Write-Host text through the host to stdout (with --json it comes as an Information line instead);
  // prompts fail at once with PowerShell's non-interactive error.
  const host = nonInteractiveHost({ write: (t) => (flags.json ? undefined : writeStdout(t)), writeError: (t) => process.stderr.write(t) });
  const pool = await RunspacePool.open(target, { configurationName: flags.configurationName ?? DEFAULT_CONFIGURATION, host });
  let status = 0;
  try {
    const ps = PowerShell.create(pool).addScript(script);
    for (const a of flags.argumentList ?? []) ps.addArgument(a);
    const s = await ps.beginInvoke();
    const json = (stream: string, value: unknown): void => writeStdout(`${JSON.stringify({ Stream: stream, Value: value })}\n`);
    const pump = async <T>(it: AsyncIterable<T>, each: (x: T) => void): Promise<void> => {
      for await (const x of it) each(x);
    };
    const onError = (e: ErrorRecordMessage): void => {
      status = 1;
      if (flags.json) json('Error', { Message: e.message, FullyQualifiedErrorId: e.fullyQualifiedErrorId, Record: jsonValue(e.record) });
      else process.stderr.write(formatErrorRecord(e.message, e.record, e.fullyQualifiedErrorId));
    };
    const note = (prefix: string, stream: string) => (m: { message: string }): void => {
      if (flags.json) json(stream, m.message);
      else process.stderr.write(`${prefix}: ${m.message}\n`);
    };
    await Promise.all([
      pump(s.output, (v) => (flags.json ? json('Output', jsonValue(v)) : writeStdout(formatObject(v)))),
      pump(s.error, onError),
      pump(s.warning, note('WARNING', 'Warning')),
      pump(s.verbose, note('VERBOSE', 'Verbose')),
      pump(s.debug, note('DEBUG', 'Debug')),
      // Write-Information to stdout, as a console host shows it; Write-Host's records (tag PSHOST) the host showed already.
      pump(s.information, (m) => {
        if (flags.json) json('Information', jsonValue(m.messageData));
        else if (!m.tags.includes('PSHOST')) writeStdout(`${valueText(m.messageData)}\n`);
      }),
      pump(s.progress, () => undefined),
    ]);
    const end = await s.completion;
    if (end.state === 'Failed') {
      const failure = new PipelineFailedError(errorRecordMessage(end.error), end.error, end.state);
      if (flags.json) json('Error', { Message: failure.message, Record: jsonValue(end.error) });
      else process.stderr.write(formatErrorRecord(failure.message, end.error));
      status = 1;
    } else if (end.state === 'Stopped') status = 1;
  } finally {
    await pool.close().catch(() => undefined);
  }
  return status;
}

export function register(program: Cli): void {
  const cmd = program
    .command('invoke')
    .description('run a PowerShell script block or script file remotely (Invoke-Command; configuration Microsoft.PowerShell by default)');
  addConnectionOptions(cmd)
    .option('--script-block <text>', 'the script to run (Invoke-Command -ScriptBlock)')
    .option('--file-path <file>', 'a local script file to run remotely (Invoke-Command -FilePath)')
    .option('--argument-list <args...>', 'arguments for the script ($args, or its param block)')
    .addOption(new Option('--local-pwsh <path>', 'run in a local `pwsh -s` instead of over WS-Man').hideHelp())
    .action(async (flags: InvokeFlags) => {
      try {
        process.exitCode = await invoke(flags);
      } catch (err) {
        process.stderr.write(`wsman invoke: ${describeFor('invoke', err)}\n`);
        process.exitCode = EXIT_ERROR;
      }
    });
}
