/**
 * `wsman session new|list|disconnect|connect|receive|remove`: PowerShell's PSSession cmdlets on
 * the command line (New-PSSession, Get-PSSession, Disconnect-PSSession, Connect-PSSession,
 * Receive-PSSession, Remove-PSSession), plus what `wsman run --session` and
 * `--in-disconnected-session` need.
 *
 * Each wsman process is one client. A session outlives the process that made or used it: every
 * session command except `remove` leaves it Disconnected on the server (free for any client),
 * and records it in the local state file (Ids stay stable across processes; `session list`
 * without connection options reads it). Without connection options a session is found through
 * that file (its endpoint and user name; the password still comes from WSMAN_PASSWORD or a prompt).
 */
import { Option, type Command as Cli } from 'commander';
import { WsmanUsageError } from '../core/errors.js';
import { isGuid } from '../core/duration.js';
import type { ClientOptions } from '../client/options.js';
import type { PSSession, SessionFilter, SessionState, OutputBufferingMode, PSSessionJson, SessionRecord } from '../client/sessions/index.js';
import { LocalSessions } from '../client/sessions/local.js';
import { isConnectionLost } from '../client/receive.js';
import { sessionTable, jobTable } from '../client/sessions/format.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { describeError, describeFor, exitStatus, EXIT_ERROR } from './errors.js';
import { EXIT_STDOUT_CLOSED, onInterrupt, stdoutClosed, writeStdout } from './stdout.js';
import { DEFAULT_CONFIGURATION } from '../client/psrp/wsman.js';
import { printPipelines, receivePowerShellJob } from './session-ps.js';
import { PowerShellJob } from '../client/sessions/psjob.js';

export interface SessionFlags extends ConnectionFlags {
  name?: string;
  instanceId?: string;
  id?: string;
  state?: string;
  idleTimeout?: string;
  outputBufferingMode?: string;
  outTarget?: string;
  jobName?: string;
  whatIf?: boolean;
}

export function hasConnection(f: ConnectionFlags): boolean {
  return f.connectionUri !== undefined || f.computerName !== undefined;
}

export function seconds(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0) throw new WsmanUsageError(`${what} must be a positive number of seconds, not '${text}'`, 'ERR_BAD_OPTION');
  return Number(text) * 1000;
}

export function bufferMode(text: string | undefined): OutputBufferingMode | undefined {
  if (text === undefined) return undefined;
  return text.toLowerCase() === 'drop' ? 'Drop' : 'Block';
}

const STATES: Record<string, SessionState | 'All'> = { all: 'All', opened: 'Opened', disconnected: 'Disconnected', closed: 'Closed', broken: 'Broken' };

/** Print sessions as PowerShell's table, or as JSON with PowerShell's property names. */
export function printSessions(rows: PSSessionJson[], json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length) process.stdout.write(`\n${sessionTable(rows)}\n\n`);
}

export const rowsOf = (sessions: PSSession[]): PSSessionJson[] => sessions.map((s) => s.toJSON());

/** A recorded session's endpoint and user, with the password from WSMAN_PASSWORD or a prompt. */
async function resolveRecord(r: SessionRecord): Promise<ClientOptions> {
  const { targets } = await clientOptionsFrom({
    connectionUri: r.ConnectionUri,
    ...(r.UserName !== undefined ? { credential: r.UserName } : {}),
    ...(r.Authentication !== undefined ? { authentication: r.Authentication as ConnectionFlags['authentication'] } : {}),
    ...(r.AllowUnencrypted ? { allowUnencrypted: true } : {}),
  });
  return targets[0]!;
}

/** --instance-id: a GUID, with or without braces (PowerShell's -InstanceId is a Guid). */
function instanceIdOption(text: string): string {
  const g = text.trim().replace(/^\{(.*)\}$/, '$1');
  if (!isGuid(g)) {
    throw new WsmanUsageError(`--instance-id must be a GUID (the session's ShellId), not '${text}'`, 'ERR_BAD_OPTION');
  }
  return g;
}

/** The sessions named by --name / --instance-id / --id, on the server given or through the state file. */
export async function selectSessions(ctx: LocalSessions, flags: SessionFlags, verb: string): Promise<PSSession[]> {
  const filter: SessionFilter = {};
  if (flags.name !== undefined) filter.name = flags.name;
  if (flags.instanceId !== undefined) filter.instanceId = instanceIdOption(flags.instanceId);
  if (flags.id !== undefined) {
    if (!/^\d+$/.test(flags.id)) throw new WsmanUsageError(`--id must be a number, not '${flags.id}'`, 'ERR_BAD_OPTION');
    filter.id = Number(flags.id);
  }
  if (filter.name === undefined && filter.instanceId === undefined && filter.id === undefined) {
    throw new WsmanUsageError(`${verb}: say which session: --name NAME, --instance-id GUID or --id N`, 'ERR_BAD_OPTION');
  }
  const targets = hasConnection(flags) ? (await clientOptionsFrom(flags)).targets : undefined;
  return ctx.select(filter, targets, resolveRecord, verb);
}

function whatIf(verb: string, sessions: PSSession[]): void {
  for (const s of sessions) process.stdout.write(`What if: Performing the operation "${verb}" on target "Name: ${s.name}, Id: ${s.id}".\n`);
}

async function cmdNew(ctx: LocalSessions, flags: SessionFlags): Promise<number> {
  const created: PSSession[] = [];
  const { targets } = await clientOptionsFrom(flags);
  for (const t of targets) {
    const idle = seconds(flags.idleTimeout, '--idle-timeout');
    const mode = bufferMode(flags.outputBufferingMode);
    const s = await ctx.mgr.newSession(t, {
      // As New-PSSession: Microsoft.PowerShell unless named (`cmd` for a WinRS cmd shell).
      configurationName: flags.configurationName ?? DEFAULT_CONFIGURATION,
      ...(flags.name !== undefined ? { name: flags.name } : {}),
      ...(idle !== undefined ? { idleTimeout: idle } : {}),
      ...(mode ? { outputBufferingMode: mode } : {}),
    });
    ctx.track(s, t);
    await ctx.leave(s);
    ctx.remember(s, true);
    created.push(s);
  }
  printSessions(rowsOf(created), flags.json);
  return 0;
}

async function cmdList(ctx: LocalSessions, flags: SessionFlags): Promise<number> {
  const filter: SessionFilter = {};
  if (flags.name !== undefined) filter.name = flags.name;
  if (flags.instanceId !== undefined) filter.instanceId = instanceIdOption(flags.instanceId);
  const st = STATES[(flags.state ?? 'all').toLowerCase()];
  if (!st) throw new WsmanUsageError(`--state must be all, opened, disconnected, closed or broken`, 'ERR_BAD_OPTION');
  filter.state = st;
  if (flags.configurationName !== undefined) filter.configurationName = flags.configurationName;
  if (!hasConnection(flags)) {
    const rows = ctx.createdHere(filter)
      .map(({ ConnectionUri: _u, ResourceUri: _r, UserName: _n, Authentication: _a, AllowUnencrypted: _u2, CreatedHere: _c, UpdatedOn: _d, ...json }) => json);
    printSessions(rows, flags.json);
    return 0;
  }
  const all = await ctx.list((await clientOptionsFrom(flags)).targets, filter);
  printSessions(rowsOf(all), flags.json);
  return 0;
}

async function cmdDisconnect(ctx: LocalSessions, flags: SessionFlags): Promise<number> {
  const sessions = await selectSessions(ctx, flags, 'disconnect');
  if (flags.whatIf) return whatIf('Disconnect-PSSession', sessions), 0;
  const idle = seconds(flags.idleTimeout, '--idle-timeout');
  const mode = bufferMode(flags.outputBufferingMode);
  for (const s of sessions) {
    // A session free on the server is taken (Connect) so it can be disconnected with new settings.
    if (s.state === 'Disconnected' && !s.heldElsewhere && (idle !== undefined || mode !== undefined)) await ctx.mgr.connect(s);
    if (s.state === 'Opened') {
      await ctx.mgr.disconnect(s, { ...(idle !== undefined ? { idleTimeout: idle } : {}), ...(mode ? { outputBufferingMode: mode } : {}) });
    } else if (s.heldElsewhere) {
      throw new WsmanUsageError(`session ${s.name} (Id ${s.id}) is connected to another client (Availability Busy)`, 'ERR_SESSION_BUSY');
    }
    ctx.remember(s);
  }
  printSessions(rowsOf(sessions), flags.json);
  return 0;
}

async function cmdConnect(ctx: LocalSessions, flags: SessionFlags): Promise<number> {
  const sessions = await selectSessions(ctx, flags, 'connect');
  if (flags.whatIf) return whatIf('Connect-PSSession', sessions), 0;
  const rows: PSSessionJson[] = [];
  for (const s of sessions) {
    await ctx.mgr.connect(s);
    rows.push(s.toJSON());
    await ctx.leave(s);
    ctx.remember(s);
  }
  printSessions(rows, flags.json);
  if (!flags.json) process.stderr.write('(disconnected again as wsman exits, so that it stays available to any client)\n');
  return 0;
}

async function cmdReceive(ctx: LocalSessions, flags: SessionFlags): Promise<number> {
  const sessions = await selectSessions(ctx, flags, 'receive');
  if (flags.whatIf) return whatIf('Receive-PSSession', sessions), 0;
  if (sessions.length > 1) throw new WsmanUsageError(`receive: ${sessions.length} sessions match; name one`, 'ERR_BAD_OPTION');
  const s = sessions[0]!;
  if (flags.outTarget?.toLowerCase() === 'job') {
    const job = await ctx.mgr.receiveJob(s, flags.jobName !== undefined ? { jobName: flags.jobName } : {});
    // Receive-Job gives objects: printed as `wsman invoke` prints them.
    if (job instanceof PowerShellJob) return receivePowerShellJob(ctx, s, job, flags.json);
    await job.wait();
    await ctx.leave(s).catch(() => undefined);
    ctx.remember(s);
    if (flags.json) {
      const out = job.receive({ keep: true });
      const text = (st: string): string => Buffer.concat(out.filter((c) => c.stream === st).map((c) => c.data)).toString('utf8');
      process.stdout.write(`${JSON.stringify({ ...job.toJSON(), Stdout: text('stdout'), Stderr: text('stderr') }, null, 2)}\n`);
    } else {
      process.stdout.write(`\n${jobTable([job])}\n\n`);
      for (const c of job.receive()) (c.stream === 'stderr' ? process.stderr : process.stdout).write(c.data);
    }
    if (job.state !== 'Completed') process.stderr.write(`wsman session receive: job ${job.state}${job.error ? `: ${describeError(job.error)}` : ''}\n`);
    return job.state === 'Completed' ? exitStatus(job.exitCode ?? 0) : EXIT_ERROR;
  }
  let interrupted = false;
  const dispose = onInterrupt(() => {
    interrupted = true;
    void ctx.mgr.disconnect(s).catch(() => undefined);
  });
  try {
    if (s.isPowerShell) {
      // Each pipeline's objects printed as `wsman invoke` prints them.
      const status = await printPipelines(await ctx.mgr.receivePipelines(s), flags.json);
      await ctx.leave(s);
      return status;
    }
    const r = await ctx.mgr.receive(s, { onData: (st, c) => { if (st === 'stderr') process.stderr.write(c); else writeStdout(c); } });
    await ctx.leave(s);
    return exitStatus(r.exitCode);
  } catch (err) {
    if (interrupted) {
      await until(() => s.state !== 'Opened');
      // Stdout closed (`| head`): disconnected as on Ctrl-C, quietly; the commands keep running.
      if (stdoutClosed()) return EXIT_STDOUT_CLOSED;
      process.stderr.write(`wsman session receive: interrupted; session ${s.name} is Disconnected and its commands keep running\n`);
      return 130;
    }
    if (s.state === 'Disconnected') process.stderr.write(`wsman session receive: connection lost; session ${s.name} is left Disconnected\n`);
    throw err;
  } finally {
    dispose();
    ctx.remember(s);
  }
}

export async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 25));
}

async function cmdRemove(ctx: LocalSessions, flags: SessionFlags): Promise<number> {
  const sessions = await selectSessions(ctx, flags, 'remove');
  if (flags.whatIf) return whatIf('Remove-PSSession', sessions), 0;
  for (const s of sessions) {
    await ctx.mgr.remove(s);
    ctx.state.remove(s.instanceId);
  }
  if (flags.json) printSessions(rowsOf(sessions), true);
  return 0;
}

/** `wsman run --in-disconnected-session`: create, start, disconnect at once; print the session. */
export async function runInDisconnectedSession(flags: ConnectionFlags & { sessionName?: string; idleTimeout?: string; outputBufferingMode?: string },
  command: string, args: string[]): Promise<number> {
  const ctx = new LocalSessions();
  try {
    const { targets, resourceUri } = await clientOptionsFrom(flags);
    const idle = seconds(flags.idleTimeout, '--idle-timeout');
    const mode = bufferMode(flags.outputBufferingMode);
    const out: PSSession[] = [];
    for (const t of targets) {
      const s = await ctx.mgr.invokeInDisconnectedSession(t, command, args, {
        configurationName: resourceUri, ...(flags.sessionName !== undefined ? { name: flags.sessionName } : {}),
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
 * `wsman run --session NAME -- COMMAND`: connect to the session, run the command there with its
 * output streaming through, and leave the session Disconnected. Ctrl-C disconnects at once: the
 * command keeps running and `wsman session receive` gets the rest.
 */
export async function runInSession(flags: ConnectionFlags, name: string, command: string, args: string[]): Promise<number> {
  const ctx = new LocalSessions();
  try {
    const found = await selectSessions(ctx, { ...flags, name }, 'run');
    if (found.length > 1) throw new WsmanUsageError(`--session ${name}: ${found.length} sessions match; name one`, 'ERR_BAD_OPTION');
    const s = found[0]!;
    await ctx.mgr.connect(s);
    const cmd = await ctx.mgr.invoke(s, command, args);
    let interrupted = false;
    const dispose = onInterrupt(() => {
      interrupted = true;
      void ctx.mgr.disconnect(s).catch(() => undefined);
    });
    try {
      if (!process.stdin.isTTY) {
        // Input lost on the way cannot be sent again safely (Sends are not numbered): say so. The
        // session's command is left running, as sessions are (Ctrl-C or `session remove` ends it).
        void cmd.pipeStdin(process.stdin as AsyncIterable<Buffer>).catch((e: unknown) => {
          if (isConnectionLost(e) && cmd.state === 'Running') process.stderr.write(`wsman run: stdin could not be delivered (${describeError(e)}); the rest of it is not sent\n`);
        });
      }
      const drain = async (st: 'stdout' | 'stderr'): Promise<void> => {
        for await (const c of cmd[st]) {
          if (st === 'stdout') writeStdout(c as Buffer);
          else process.stderr.write(c as Buffer);
        }
      };
      const [, , code] = await Promise.all([drain('stdout'), drain('stderr'), cmd.exitCode]);
      await ctx.leave(s);
      return exitStatus(code);
    } catch (err) {
      if (interrupted) {
        await until(() => s.state !== 'Opened');
        if (stdoutClosed()) return EXIT_STDOUT_CLOSED;
        process.stderr.write(`wsman run: interrupted; session ${s.name} is Disconnected and the command keeps running (wsman session receive --name ${s.name})\n`);
        return 130;
      }
      throw err;
    } finally {
      dispose();
      if (!process.stdin.isTTY) process.stdin.destroy();
      ctx.remember(s);
    }
  } finally {
    await ctx.finish();
  }
}

type Verb = (ctx: LocalSessions, flags: SessionFlags) => Promise<number>;

/** Run a verb: errors are one line and exit 255; the state file is saved; connections closed. */
async function execute(name: string, verb: Verb, flags: SessionFlags): Promise<void> {
  let status: number;
  const ctx = new LocalSessions();
  try {
    status = await verb(ctx, flags);
  } catch (err) {
    // The library's messages start with the verb too (`receive: no session …`): say it once.
    process.stderr.write(`wsman session ${name}: ${describeFor(name, err)}\n`);
    status = EXIT_ERROR;
  } finally {
    await ctx.finish().catch((err: unknown) => {
      process.stderr.write(`wsman session ${name}: cannot write ${ctx.state.file}: ${describeError(err)}\n`);
    });
  }
  process.exitCode = status;
}

/** The options every verb on existing sessions takes: which sessions, and --what-if. */
function selection(cmd: Cli): Cli {
  return cmd
    .option('--name <name>', 'session name (wildcards * ? [] allowed)')
    .option('--instance-id <guid>', 'session InstanceId (the ShellId)')
    .option('--id <n>', 'session Id on this machine')
    .option('--what-if', 'say what would be done, do nothing');
}

/** Options of one verb only (commander refuses them elsewhere instead of ignoring them). */
const VERB_OPTIONS: Record<string, (cmd: Cli) => Cli> = {
  disconnect: (cmd) => cmd
    .option('--idle-timeout <sec>', 'IdleTimeout while disconnected, seconds (at most the server\'s MaxIdleTimeout)')
    .addOption(new Option('--output-buffering-mode <mode>', 'what the server does when the output buffer is full').choices(['block', 'drop'])),
  receive: (cmd) => cmd
    .addOption(new Option('--out-target <target>', 'stream output (host) or collect it in a job (job)').choices(['host', 'job']).default('host'))
    .option('--job-name <name>', '--out-target job: the job\'s name'),
};

export function register(program: Cli): void {
  const session = program.command('session').description('disconnected sessions: create, list, disconnect, connect, receive, remove (PowerShell\'s PSSession cmdlets)');
  addConnectionOptions(session.command('new').description('create a session (New-PSSession; --configuration-name Microsoft.PowerShell by default, cmd for a cmd shell); it is left Disconnected, ready for any client'))
    .option('--name <name>', 'session name')
    .option('--idle-timeout <sec>', 'IdleTimeout, seconds')
    .addOption(new Option('--output-buffering-mode <mode>', 'Block (default) or Drop when the output buffer is full').choices(['block', 'drop']))
    .action((flags: SessionFlags) => execute('new', cmdNew, flags));
  addConnectionOptions(session.command('list').description('list sessions (Get-PSSession): the server\'s with connection options, else those created here'))
    .option('--name <pattern>', 'session name (wildcards * ? [] allowed)')
    .option('--instance-id <guid>', 'session InstanceId')
    .addOption(new Option('--state <state>', 'only sessions in this state').choices(['all', 'opened', 'disconnected', 'closed', 'broken']).default('all'))
    .action((flags: SessionFlags) => execute('list', cmdList, flags));
  const verbs: [string, string, Verb][] = [
    ['disconnect', 'disconnect a session (Disconnect-PSSession), optionally with a new idle timeout and buffering mode', cmdDisconnect],
    ['connect', 'connect to a disconnected session (Connect-PSSession)', cmdConnect],
    ['receive', 'receive the output of a session\'s commands (Receive-PSSession), connecting first if needed', cmdReceive],
    ['remove', 'delete a session and its processes (Remove-PSSession)', cmdRemove],
  ];
  for (const [name, description, verb] of verbs) {
    const cmd = selection(addConnectionOptions(session.command(name).description(description)));
    (VERB_OPTIONS[name] ?? ((c: Cli) => c))(cmd).action((flags: SessionFlags) => execute(name, verb, flags));
  }
}
