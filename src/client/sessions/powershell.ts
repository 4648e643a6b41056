/**
 * PowerShell sessions (a runspace pool in a `…/powershell/NAME` shell) in the SessionManager:
 * what differs from a cmd shell. New-PSSession opens a RunspacePool; Disconnect-PSSession and a
 * Reconnect by the same client go through the pool's transport (its pipelines' Receives stop and
 * resume, their SequenceIds go on); Connect-PSSession from another client sends connectXml
 * (CONNECT_RUNSPACEPOOL); Receive-PSSession receives every pipeline of the pool, those this
 * client did not start included (Connect of each pipeline, as PowerShell does).
 */
import { WsmanError } from '../../core/errors.js';
import { ClientRunspacePool } from '../../psrp/pool.js';
import type { PSValue } from '../../psrp/clixml/model.js';
import type { Serializable } from '../../psrp/clixml/serialize.js';
import type { WsmanClient } from '../client.js';
import type { RetryPolicy } from '../receive.js';
import { PowerShell, RunspacePool, type PowerShellStreams } from '../psrp/powershell.js';
import { fragmentSizeFor, WsmanRunspace } from '../psrp/wsman.js';
import { PSSession } from './session.js';
import { enumerateCommands } from './enumerate.js';
import type { OutputBufferingMode } from './model.js';

/** How long a Connect may take to open the pool (Windows answers within one Receive). */
export const CONNECT_OPEN_MS = 30_000;

/** One pipeline of a PowerShell session being received: its id and its streams. */
export interface ReceivedPipeline {
  /** The pipeline id (the CommandId), upper case. */
  pid: string;
  streams: PowerShellStreams;
  /** The pipeline's script, when this client started it. */
  script?: string;
}

/** What the manager passes down: retries of lost Receives, and who hears of them. */
export interface PsrpRetry {
  retry: RetryPolicy;
  onRetry?: (attempt: number, err: unknown) => void;
}

/** The WS-Man transport of a session's pool. */
export function runspaceOf(session: PSSession): WsmanRunspace {
  const t = session.pool?.transport;
  if (!(t instanceof WsmanRunspace)) throw new WsmanError('ERR_SESSION_STATE', `session ${session.name} (Id ${session.id}) has no runspace pool here`);
  return t;
}

/** New-PSSession -ConfigurationName: open a runspace pool whose ShellId is the pool's id (as PowerShell does). */
export async function openPool(client: WsmanClient, o: {
  shellId: string; name?: string; resourceUri: string; idleTimeout?: number; outputBufferingMode?: OutputBufferingMode; signal?: AbortSignal;
} & PsrpRetry): Promise<RunspacePool> {
  return RunspacePool.open(client, {
    instanceId: o.shellId, shellId: o.shellId, configurationName: o.resourceUri, retry: o.retry,
    ...(o.onRetry ? { onRetry: o.onRetry } : {}),
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.idleTimeout !== undefined ? { idleTimeout: o.idleTimeout } : {}),
    ...(o.outputBufferingMode ? { outputBufferingMode: o.outputBufferingMode } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** New-PSSession of a PowerShell configuration: the pool opened, as a session of this client. */
export async function openSession(client: WsmanClient, o: {
  id: number; name: string; shellId: string; resourceUri: string; idleTimeout?: number; outputBufferingMode?: OutputBufferingMode; signal?: AbortSignal;
} & PsrpRetry): Promise<PSSession> {
  const pool = await openPool(client, o);
  const shell = (pool.transport as WsmanRunspace).shell!;
  const idle = shell.info.idleTimeOut ?? o.idleTimeout;
  const mode = shell.info.bufferMode ?? o.outputBufferingMode;
  const s = new PSSession({
    id: o.id, name: o.name, instanceId: shell.shellId, computerName: client.computerName, resourceUri: o.resourceUri, phase: 'Opened', client, shell,
    ...(idle !== undefined ? { idleTimeout: idle } : {}), ...(mode ? { outputBufferingMode: mode } : {}),
  });
  s.pool = pool;
  return s;
}

/**
 * Connect-PSSession of a pool this client holds no runspace for (another client, or another
 * process, created it): WS-Man Connect with connectXml; resolves once the pool is Opened.
 */
export async function connectPool(session: PSSession, r: PsrpRetry): Promise<void> {
  const core = new ClientRunspacePool({ rpid: session.instanceId, maxFragmentSize: fragmentSizeFor(session.client.maxEnvelopeSize) });
  const t = await WsmanRunspace.connect(session.client, core, session.instanceId, {
    configurationName: session.resourceUri, retry: r.retry, ...(r.onRetry ? { onRetry: r.onRetry } : {}),
  });
  // The server answers connectXml at once (connectResponseXml, then the pool's Receives); one
  // that does not would leave the pool Connecting for ever: give up, deleting nothing.
  const timer = setTimeout(() => t.halt(new WsmanError('ERR_PSRP_CONNECT_TIMEOUT',
    `session ${session.name}: the server did not open the runspace pool within ${CONNECT_OPEN_MS / 1000} s of the Connect`)), CONNECT_OPEN_MS);
  try {
    for (;;) {
      const e = await t.nextEvent();
      if (e.type !== 'PoolState') continue;
      if (e.state === 'Opened') break;
      if (e.state === 'Broken' || e.state === 'Closed') throw new WsmanError('ERR_PSRP_POOL_OPEN', `session ${session.name}: the runspace pool did not open after Connect`);
    }
  } catch (err) {
    await t.settled().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  session.pool = RunspacePool.adopt(t);
  session.shell = t.shell!;
}

/** Invoke-Command -Session: a script in the session's pool, with positional arguments; `receive: false` leaves its output on the server. */
export async function invokeScript(session: PSSession, script: string, args: readonly Serializable[] = [], o: { receive?: boolean } = {}): Promise<ReceivedPipeline> {
  const ps = PowerShell.create(session.pool!).addScript(script);
  for (const a of args) ps.addArgument(a);
  const streams = await ps.beginInvoke(undefined, o);
  const pid = ps.instanceId.toUpperCase();
  session.pipelineScripts.set(pid, script);
  return { pid, streams, script };
}

/**
 * Receive-PSSession's pipelines: every pipeline the server lists in the shell that is not done
 * for us, received from where the last receive stopped (ours: resumed; others': adopted and
 * connected). The session must be held (connected) already.
 */
export async function receivePipelines(session: PSSession): Promise<ReceivedPipeline[]> {
  const t = runspaceOf(session);
  const pool = session.pool!;
  const listed = await enumerateCommands(session.client, session.instanceId);
  const out: ReceivedPipeline[] = [];
  const withScript = (r: ReceivedPipeline): ReceivedPipeline => {
    const script = session.pipelineScripts.get(r.pid.toUpperCase());
    return script === undefined ? r : { ...r, script };
  };
  for (const c of listed) {
    const pid = c.commandId.toLowerCase();
    if (t.knows(pid)) {
      if (!t.receivable(pid)) continue;
      const streams = pool.watch(pid);
      t.resumePipeline(pid);
      out.push(withScript({ pid: c.commandId, streams }));
    } else {
      const streams = pool.watch(pid);
      await t.connectPipeline(pid);
      out.push(withScript({ pid: c.commandId, streams }));
    }
  }
  return out;
}

/** A value as one line of text (its ToString), for text receivers (onData, jobs). */
export function valueLine(v: PSValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False'; // [bool]'s ToString, as PowerShell prints it
  if (typeof v === 'object' && 'toString' in v) return String(v.toString());
  return String(v);
}

/**
 * Drain pipelines' streams: objects to `onObject`, and as text (ToString, one per line) to
 * `onData` (errors and the failure of a pipeline on stderr). Resolves with 1 when a pipeline
 * failed or wrote errors, else 0; rejects with the PipelineDisconnectedError of a pipeline whose
 * pool was disconnected meanwhile (it goes on on the server).
 */
export async function drainPipelines(pipes: ReceivedPipeline[], sink: {
  onObject?: (stream: 'output' | 'error', value: PSValue, pid: string) => void;
  onData?: (stream: 'stdout' | 'stderr', chunk: Buffer, pid: string) => void;
}): Promise<number> {
  let status = 0;
  const text = (stream: 'stdout' | 'stderr', s: string, pid: string): void => sink.onData?.(stream, Buffer.from(`${s}\n`), pid);
  await Promise.all(pipes.map(async ({ pid, streams }) => {
    const output = (async () => {
      for await (const v of streams.output) {
        sink.onObject?.('output', v, pid);
        text('stdout', valueLine(v), pid);
      }
    })();
    const errors = (async () => {
      for await (const e of streams.error) {
        status = 1;
        sink.onObject?.('error', e.record ?? e.message, pid);
        text('stderr', e.message, pid);
      }
    })();
    const quiet = [streams.warning, streams.verbose, streams.debug, streams.information, streams.progress].map(async (it) => {
      for await (const _ of it as AsyncIterable<unknown>) { /* not shown in text */ }
    });
    await Promise.all([output, errors, ...quiet]);
    const end = await streams.completion;
    if (end.state === 'Failed' || end.state === 'Stopped') {
      status = 1;
      if (end.error !== undefined) text('stderr', valueLine(end.error), pid);
    }
  }));
  return status;
}
