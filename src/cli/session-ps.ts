/**
 * PowerShell sessions on the command line: `wsman invoke --in-disconnected-session` (Invoke-Command
 * -InDisconnectedSession) and `wsman invoke --session NAME` (Invoke-Command -Session), and the
 * printing of a PowerShell session's pipelines by `wsman session receive` (as `wsman invoke` prints).
 */
import { WsmanUsageError } from '../core/errors.js';
import type { PSSession, ReceivedPipeline } from '../client/sessions/index.js';
import type { PowerShellJob } from '../client/sessions/psjob.js';
import { jobTable } from '../client/sessions/format.js';
import { LocalSessions } from '../client/sessions/local.js';
import { DEFAULT_CONFIGURATION } from '../client/psrp/wsman.js';
import { clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { printPipeline } from './invoke.js';
import { describeError, EXIT_ERROR } from './errors.js';
import { RecordPrinter } from './psprint.js';
import { bufferMode, printSessions, rowsOf, seconds, selectSessions, until } from './session.js';
import { EXIT_STDOUT_CLOSED, onInterrupt, stdoutClosed, writeStdout } from './stdout.js';

/** Print each pipeline's streams in turn (their output keeps arriving meanwhile); 1 when one failed or wrote errors. */
export async function printPipelines(pipes: ReceivedPipeline[], json: boolean | undefined): Promise<number> {
  let status = 0;
  for (const p of pipes) status = Math.max(status, await printPipeline(p.streams, json));
  return status;
}

/**
 * `wsman session receive --out-target job` of a PowerShell session: Receive-PSSession -OutTarget
 * Job, then Receive-Job -Wait. Text: the job's row (Get-Job; once the job ended, or holds as many
 * records as it may), then its records as `wsman invoke` prints them. `--json`: one line per
 * record as `wsman invoke --json`, then `{"Stream": "Job", "Value": <Get-Job row>}` with the final
 * State. Exit status 1 when a pipeline failed, stopped or wrote errors; 255 when the job ended
 * Disconnected (the pipelines go on on the server).
 */
export async function printPowerShellJob(job: PowerShellJob, json: boolean | undefined, quiet = (): boolean => false): Promise<number> {
  const p = new RecordPrinter(json);
  let terminating = false;
  if (!json) {
    await job.ready();
    writeStdout(`\n${jobTable([job])}\n\n`);
  }
  for await (const r of job.records()) {
    if (r.stream === 'Error' && r.terminating) terminating = true;
    p.record(r);
  }
  p.end();
  const state = await job.wait();
  if (json) writeStdout(`${JSON.stringify({ Stream: 'Job', Value: job.toJSON() })}\n`);
  // A failure without an error record of its own (or a lost connection) is said here.
  if (state !== 'Completed' && !terminating && job.error && !quiet()) process.stderr.write(`wsman session receive: job ${job.name} ${state}: ${describeError(job.error)}\n`);
  if (state === 'Disconnected') return EXIT_ERROR;
  return state === 'Completed' && !job.hadErrors ? 0 : 1;
}

/**
 * `wsman session receive --out-target job` of a PowerShell session, to the end (printPowerShellJob);
 * Ctrl-C (or stdout closing) disconnects at once: the job ends Disconnected, the pipelines keep
 * running and a later receive gets the rest. The session is left Disconnected either way.
 */
export async function receivePowerShellJob(ctx: LocalSessions, s: PSSession, job: PowerShellJob, json: boolean | undefined): Promise<number> {
  let interrupted = false;
  const dispose = onInterrupt(() => {
    interrupted = true;
    void ctx.mgr.disconnect(s).catch(() => undefined);
  });
  try {
    const status = await printPowerShellJob(job, json, () => interrupted);
    if (!interrupted) return status;
    await until(() => s.state !== 'Opened');
    if (stdoutClosed()) return EXIT_STDOUT_CLOSED;
    process.stderr.write(`wsman session receive: interrupted; session ${s.name} is Disconnected and its pipelines keep running\n`);
    return 130;
  } finally {
    dispose();
    await ctx.leave(s).catch(() => undefined);
    ctx.remember(s);
  }
}

export interface InSessionFlags extends ConnectionFlags {
  sessionName?: string;
  idleTimeout?: string;
  outputBufferingMode?: string;
}

/**
 * `wsman invoke --in-disconnected-session --session-name NAME`: open a PowerShell session, start
 * the script without receiving, disconnect at once; print the session (its output waits on the server).
 */
export async function invokeInDisconnectedSession(flags: InSessionFlags, script: string, args: string[]): Promise<number> {
  const ctx = new LocalSessions();
  try {
    const { targets } = await clientOptionsFrom(flags);
    const idle = seconds(flags.idleTimeout, '--idle-timeout');
    const mode = bufferMode(flags.outputBufferingMode);
    const out: PSSession[] = [];
    for (const t of targets) {
      const s = await ctx.mgr.invokeScriptInDisconnectedSession(t, script, args, {
        configurationName: flags.configurationName ?? DEFAULT_CONFIGURATION,
        ...(flags.sessionName !== undefined ? { name: flags.sessionName } : {}),
        ...(idle !== undefined ? { idleTimeout: idle } : {}), ...(mode ? { outputBufferingMode: mode } : {}),
      });
      ctx.track(s, t);
      ctx.remember(s, true);
      out.push(s);
    }
    printSessions(rowsOf(out), flags.json);
    return 0;
  } finally {
    await ctx.finish();
  }
}

/**
 * `wsman invoke --session NAME`: connect to the PowerShell session, run the script there with its
 * output printed as it comes, and leave the session Disconnected. Ctrl-C disconnects at once:
 * the pipeline keeps running and `wsman session receive` gets the rest.
 */
export async function invokeInSession(flags: ConnectionFlags, name: string, script: string, args: string[]): Promise<number> {
  const ctx = new LocalSessions();
  try {
    const found = await selectSessions(ctx, { ...flags, name }, 'invoke');
    if (found.length > 1) throw new WsmanUsageError(`--session ${name}: ${found.length} sessions match; name one`, 'ERR_BAD_OPTION');
    const s = found[0]!;
    if (!s.isPowerShell) throw new WsmanUsageError(`--session ${name}: a ${s.configurationName} session; wsman invoke runs PowerShell (use wsman run --session)`, 'ERR_SESSION_KIND');
    await ctx.mgr.connect(s);
    const p = await ctx.mgr.invokeScript(s, script, args);
    let interrupted = false;
    const dispose = onInterrupt(() => {
      interrupted = true;
      void ctx.mgr.disconnect(s).catch(() => undefined);
    });
    try {
      const status = await printPipeline(p.streams, flags.json);
      await ctx.leave(s);
      return status;
    } catch (err) {
      if (interrupted) {
        await until(() => s.state !== 'Opened');
        if (stdoutClosed()) return EXIT_STDOUT_CLOSED;
        process.stderr.write(`wsman invoke: interrupted; session ${s.name} is Disconnected and the pipeline keeps running (wsman session receive --name ${s.name})\n`);
        return 130;
      }
      throw err;
    } finally {
      dispose();
      ctx.remember(s);
    }
  } finally {
    await ctx.finish();
  }
}
