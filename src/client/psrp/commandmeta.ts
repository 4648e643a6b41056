/**
 * The commands a remote pool offers, by name pattern and type (MS-PSRP 2.2.2.14
 * GET_COMMAND_METADATA): the server runs Get-Command for us and answers on a pipeline of its own
 * with the count (CommandMetadataCount) and then one object per command (Name, Namespace,
 * CommandType, OutputType, Parameters). This is how implicit remoting (Import-PSSession,
 * Export-PSSession) learns a session's commands, also from a restricted (JEA) endpoint.
 */
import { randomUUID } from 'node:crypto';
import { PSObject, type PSValue } from '../../psrp/clixml/model.js';
import { PsrpProtocolError } from '../../psrp/errors.js';
import { PipelineFailedError, errorRecordMessage } from './failure.js';
import type { RunspacePool } from './powershell.js';

/** CommandTypes (2.2.3.19) flags: Alias 1, Function 2, Filter 4, Cmdlet 8, ExternalScript 16, Application 32, Script 64, … All 511 (Windows PowerShell 5.1). */
export const CommandTypes = { Alias: 1, Function: 2, Filter: 4, Cmdlet: 8, ExternalScript: 16, Application: 32, Script: 64, Workflow: 128, Configuration: 256, All: 511 } as const;

export interface CommandMetadataOptions {
  /** CommandTypes flags (default All, 511). */
  commandType?: number;
  /** Modules to look in (Get-Command -Module); default any. */
  namespace?: string[];
  /** Arguments that shape dynamic parameters (Get-Command -ArgumentList). */
  argumentList?: PSValue[];
  /** The pipeline id to use; default a new GUID. */
  instanceId?: string;
}

export interface CommandMetadata {
  /** How many commands the server found (its CommandMetadataCount object). */
  count: number;
  /** One object per command: Name, Namespace, HelpUri, CommandType, OutputType, Parameters… */
  commands: PSObject[];
}

/**
 * Command metadata of a remote pool. PowerShell: what `Import-PSSession -Session $s -CommandName
 * new-*` asks the session (`Get-Command new-* -CommandType All` run by the server; the
 * RunspacePool method behind it, GetCommandMetadata, is internal in PowerShell).
 */
export async function getCommandMetadata(pool: RunspacePool, name: string[], opts: CommandMetadataOptions = {}): Promise<CommandMetadata> {
  const pipeline = pool.core.createPipeline(opts.instanceId ?? randomUUID());
  const streams = pool.watch(pipeline.pid);
  pipeline.getCommandMetadata({ name, commandType: opts.commandType ?? CommandTypes.All, namespace: opts.namespace ?? null, argumentList: opts.argumentList ?? null });
  await pool.transport.flush();
  const drain = async (it: AsyncIterable<unknown>): Promise<unknown[]> => {
    const out: unknown[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  const [output] = await Promise.all([drain(streams.output), ...[streams.error, streams.warning, streams.verbose, streams.debug, streams.information, streams.progress].map(drain)]);
  const end = await streams.completion;
  if (end.state === 'Failed') throw new PipelineFailedError(errorRecordMessage(end.error), end.error, end.state);
  const [first, ...rest] = output as PSValue[];
  const count = first instanceof PSObject ? first.get('Count') : undefined;
  if (typeof count !== 'number') throw new PsrpProtocolError('ERR_PSRP_MESSAGE', 'the server answered GET_COMMAND_METADATA without its CommandMetadataCount');
  return { count, commands: rest.filter((c): c is PSObject => c instanceof PSObject) };
}
