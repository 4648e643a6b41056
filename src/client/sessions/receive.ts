/**
 * Receive-PSSession: connect the session if needed, connect each of its commands (Connect or
 * Reconnect with the CommandId, as PowerShell does for pipelines), then receive: first the
 * output the server kept while nobody was connected (never what another client already got),
 * then live output until every command is Done. OutTarget Host streams to a callback; Job
 * collects into a Job (a PowerShell session's: a PowerShellJob of objects and records).
 *
 * A connection lost for longer than the retry policy leaves the session Disconnected (for us;
 * the server's keep-alive window frees it for other clients) and the Job Disconnected.
 */
import { WsmanFaultError, WsmanCode, WsmanUsageError } from '../../core/errors.js';
import { CommandDetachedError, type Command } from '../command.js';
import { isConnectionLost } from '../receive.js';
import type { PSSession } from './session.js';
import type { SessionManager } from './manager.js';
import { enumerateCommands, type RemoteCommandInfo } from './enumerate.js';
import { Job } from './job.js';
import { PowerShellJob, collectPipelines } from './psjob.js';
import type { PSValue } from '../../psrp/clixml/model.js';
import { drainPipelines, receivePipelines, runspaceOf, type ReceivedPipeline } from './powershell.js';
import { PipelineDisconnectedError } from '../psrp/powershell.js';

export interface ReceiveOptions {
  /** Host (default): stream through onData and resolve when done. Job: return a Job at once. */
  outTarget?: 'Host' | 'Job';
  /** -JobName for OutTarget Job. */
  jobName?: string;
  /** OutTarget Job of a PowerShell session: records held not received before receiving waits (default PS_JOB_CAPACITY). */
  jobCapacity?: number;
  /** Output as it arrives (OutTarget Host); a PowerShell session's objects as text, one per line. */
  onData?: (stream: 'stdout' | 'stderr', chunk: Buffer, commandId: string) => void;
  /** A PowerShell session's output objects and error records as they arrive (OutTarget Host). */
  onObject?: (stream: 'output' | 'error', value: PSValue, pid: string) => void;
  signal?: AbortSignal;
}

/** What a Host receive returns. */
export interface HostReceiveResult {
  /** The exit code of each command received, by CommandId. */
  exitCodes: Record<string, number>;
  /** The exit code of the last command (0 when there was none). */
  exitCode: number;
}

/** The commands to receive: the server's (not yet terminated) plus those we know of. */
async function commandsOf(session: PSSession): Promise<RemoteCommandInfo[]> {
  const remote = await enumerateCommands(session.client, session.instanceId);
  const ids = new Set(remote.map((c) => c.commandId));
  for (const id of session.pendingCommands) {
    if (!ids.has(id)) remote.push({ commandId: id, commandLine: '', state: 'Running' });
  }
  return remote;
}

/** Connect (or Reconnect) a command after its shell, once per shell connection. */
async function connectCommand(session: PSSession, commandId: string): Promise<void> {
  const attached = session.commands.get(commandId);
  const needs = session.commandsToConnect.has(commandId) || !attached?.receiving;
  if (!needs || session.lastVerb === undefined) return;
  if (session.lastVerb === 'Reconnect') await session.shell.reconnect({ commandId });
  else await session.shell.connect({ commandId });
  session.commandsToConnect.delete(commandId);
}

function failState(err: unknown): 'Disconnected' | 'Failed' {
  return err instanceof CommandDetachedError || isConnectionLost(err) ? 'Disconnected' : 'Failed';
}

/** @internal Receive-PSSession (see SessionManager.receive / receiveJob). */
export async function receiveSession(mgr: SessionManager, session: PSSession, o: ReceiveOptions): Promise<HostReceiveResult | Job> {
  if (session.state === 'Closed' || session.state === 'Broken') {
    throw new WsmanUsageError(`Receive-PSSession: session ${session.name} (Id ${session.id}) is ${session.state}`, 'ERR_SESSION_STATE');
  }
  await mgr.connect(session);
  if (session.isPowerShell) return receivePowerShell(mgr, session, o);
  const infos = await commandsOf(session);
  const commands: Command[] = [];
  for (const info of infos) {
    await connectCommand(session, info.commandId);
    commands.push(await mgr.attach(session, info.commandId, o.signal));
  }
  const lost = (err: unknown): void => {
    if (isConnectionLost(err) && session.state === 'Opened') {
      // Unintentional disconnection: for us the session is Disconnected; the server still sees
      // this client (same SessionId), so taking it back is a Reconnect.
      session.apply('Lost', mgr.now());
      for (const c of session.commands.values()) if (c.state === 'Running') session.pendingCommands.add(c.commandId.toUpperCase());
      // (their Receive loops ended; the commands go on on the server)
    }
    if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.UnexpectedSelectors && session.can('Vanished')) session.apply('Vanished');
  };
  if (o.outTarget === 'Job') {
    const job = new Job(mgr.jobId(), o.jobName ?? `Job${session.id}`, session.computerName,
      infos.map((i) => i.commandLine).filter(Boolean).join('; ') || session.name);
    void pump(commands, (stream, data, commandId) => job.push({ stream, data, commandId })).then(
      (codes) => job.end('Completed', { exitCode: codes.at(-1) ?? 0 }),
      (err: unknown) => {
        lost(err);
        job.end(failState(err), { error: err as Error });
      });
    return job;
  }
  try {
    const codes = await pump(commands, (s, d, id) => o.onData?.(s, d, id));
    const exitCodes: Record<string, number> = {};
    commands.forEach((c, i) => { exitCodes[c.commandId] = codes[i] ?? 0; });
    return { exitCodes, exitCode: codes.at(-1) ?? 0 };
  } catch (err) {
    lost(err);
    throw err;
  }
}

/** Drain every command's streams into `sink`, command after command; resolves with the exit codes. */
async function pump(commands: Command[], sink: (stream: 'stdout' | 'stderr', data: Buffer, commandId: string) => void): Promise<number[]> {
  const codes: number[] = [];
  // All commands are received at once (their Receive loops already run); output is passed on in
  // arrival order per stream.
  await Promise.all(commands.map(async (c) => {
    const drain = async (stream: 'stdout' | 'stderr'): Promise<void> => {
      for await (const chunk of c[stream]) sink(stream, chunk as Buffer, c.commandId);
    };
    await Promise.all([drain('stdout'), drain('stderr')]);
  }));
  for (const c of commands) codes.push(await c.exitCode);
  return codes;
}

/** @internal Receive-PSSession's pipelines of a PowerShell session, connecting it first. */
export async function pipelinesOf(mgr: SessionManager, session: PSSession): Promise<ReceivedPipeline[]> {
  if (session.state === 'Closed' || session.state === 'Broken') {
    throw new WsmanUsageError(`Receive-PSSession: session ${session.name} (Id ${session.id}) is ${session.state}`, 'ERR_SESSION_STATE');
  }
  await mgr.connect(session);
  session.apply('Receive');
  return receivePipelines(session);
}

/** @internal After a PowerShell session's receive failed: a lost connection leaves it Disconnected for us. */
export function afterPowerShellFailure(mgr: SessionManager, session: PSSession, err: unknown): void {
  const lost = session.pool ? runspaceOf(session).lost : undefined;
  if ((lost || isConnectionLost(err)) && session.state === 'Opened') session.apply('Lost', mgr.now());
  if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.UnexpectedSelectors && session.can('Vanished')) session.apply('Vanished');
}

/** Receive-PSSession of a PowerShell session: every pipeline's objects, as text to onData or into a Job. */
async function receivePowerShell(mgr: SessionManager, session: PSSession, o: ReceiveOptions): Promise<HostReceiveResult | Job> {
  session.apply('Receive');
  const pipes = await receivePipelines(session);
  const codes = (status: number): Record<string, number> => Object.fromEntries(pipes.map((p) => [p.pid, status]));
  if (o.outTarget === 'Job') {
    // Receive-Job gives objects: the job holds them, not their text. Its Command is the scripts
    // of its pipelines where this client started them (as PowerShell's), else the session's name.
    const scripts = pipes.map((p) => p.script).filter((x): x is string => x !== undefined);
    const job = new PowerShellJob(mgr.jobId(), o.jobName ?? `Job${session.id}`, session.computerName, scripts.length ? scripts.join('; ') : session.name,
      o.jobCapacity !== undefined ? { capacity: o.jobCapacity } : {});
    void collectPipelines(job, pipes).catch((err: unknown) => {
      afterPowerShellFailure(mgr, session, err);
      job.end(err instanceof PipelineDisconnectedError || isConnectionLost(err) ? 'Disconnected' : 'Failed', { error: err as Error, exitCode: 1 });
    });
    return job;
  }
  try {
    const status = await drainPipelines(pipes, {
      ...(o.onData ? { onData: o.onData } : {}),
      ...(o.onObject ? { onObject: o.onObject } : {}),
    });
    return { exitCodes: codes(status), exitCode: status };
  } catch (err) {
    afterPowerShellFailure(mgr, session, err);
    throw err;
  }
}
