/**
 * The `pwsh` backend: each shell is one `pwsh -s` process (PowerShell's out-of-process server),
 * started for the shell's owner exactly like a cmd command (spawn-spec.ts, the listener's
 * launcher: the mapped account, nothing the client sent in a privileged process). The Create's
 * creationXml, each Command's Arguments and each Send go to it as out-of-process packets; what it
 * writes comes back through Receive (pwsh-session.ts). PowerShell: a session configuration such as
 * Microsoft.PowerShell served by wsmprovhost.exe.
 */
import { WsmanCode } from '../../core/index.js';
import { POOL_GUID } from '../../psrp/outofproc.js';
import { badBody, fault } from '../handlers/common.js';
import type { ServerShell } from '../shell.js';
import { Defragmenter } from '../../psrp/fragment.js';
import { decodeTyped } from '../../psrp/messages/index.js';
import { spawnSpec } from './spawn-spec.js';
import { answerConnect } from './pwsh-connect.js';
import { withPwshHome } from './pwsh-home.js';
import type { ShellBackend } from './backend.js';
import { PwshSession } from './pwsh-session.js';
import { PwshCommand } from './pwsh-command.js';

/** pwsh's arguments when the configuration names none: the out-of-process server, quiet. */
export const PWSH_SERVER_ARGS = ['-s', '-NoLogo', '-NoProfile'];

/** Environment for PowerShell run by the listener: no telemetry, no update check, no colours. */
export const PWSH_ENV: Record<string, string> = { POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off', DOTNET_CLI_TELEMETRY_OPTOUT: '1', TERM: 'dumb' };

function sessionOf(shell: ServerShell): PwshSession {
  const s = shell.session;
  if (!(s instanceof PwshSession)) throw fault(WsmanCode.InvalidSoapBody, 'the PowerShell shell has no running pwsh');
  return s;
}

function base64(text: string | undefined, what: string): Uint8Array {
  const t = (text ?? '').trim();
  if (!t || !/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4) throw badBody(`${what} is not base64 PSRP fragments`);
  return new Uint8Array(Buffer.from(t, 'base64'));
}

/** The pool's id and runspace limits from the creationXml (kept for a later Connect); pwsh judges the rest. */
function learnPool(session: PwshSession, creation: Uint8Array): void {
  try {
    for (const m of new Defragmenter({ maxMessageBytes: 1024 * 1024, maxPending: 4 }).push(creation)) {
      const d = decodeTyped(m.data);
      session.poolRpid ??= d.rpid;
      if (d.message.type === 'INIT_RUNSPACEPOOL') session.runspaces = { min: d.message.minRunspaces, max: d.message.maxRunspaces };
    }
  } catch {
    // Not valid PSRP: pwsh says so in its own way (the pool does not open).
  }
}

export const pwshBackend: ShellBackend = {
  kind: 'pwsh',
  async create(req, shell) {
    const pwsh = shell.config.pwsh;
    if (!pwsh) throw fault(WsmanCode.InvalidResourceURI, 'this session configuration has no pwsh');
    const creation = base64(shell.creationXml, 'creationXml');
    const spec = withPwshHome(spawnSpec(req, shell, [pwsh.path, ...(pwsh.args ?? PWSH_SERVER_ARGS)], PWSH_ENV));
    let child;
    try {
      child = await req.core.launcher.launch(spec);
    } catch {
      throw fault(50, 'PowerShell (pwsh) could not be started. ');
    }
    const session = new PwshSession(child, () => {
      for (const c of shell.commands.values()) if (c instanceof PwshCommand) c.finish(session.exitCode ?? 1);
      if (shell.shellOutput instanceof PwshCommand) shell.shellOutput.finish(session.exitCode ?? 1);
    });
    shell.session = session;
    learnPool(session, creation);
    const pool = new PwshCommand('', session, shell.bufferMode, shell.config.outputBufferBytes, req.core.now(), shell.budget);
    shell.shellOutput = pool;
    session.routes.set(POOL_GUID, pool);
    if (!(await session.send({ kind: 'Data', stream: 'Default', psGuid: POOL_GUID, data: creation }, 'DataAck'))) {
      throw fault(50, 'PowerShell (pwsh) ended while opening the session. ');
    }
  },
  async command(req, shell, id, body) {
    const session = sessionOf(shell);
    const args = base64(body.arguments[0], 'the Command\'s Arguments');
    if (session.exited) throw fault(50, 'PowerShell (pwsh) is no longer running. ');
    const cmd = new PwshCommand(id, session, shell.bufferMode, shell.config.outputBufferBytes, req.core.now(), shell.budget);
    shell.commands.set(id, cmd);
    session.routes.set(cmd.psGuid, cmd);
    // Answered at once: the Data (CREATE_PIPELINE) waits in the pipeline's chain for pwsh's
    // CommandAck, and what the client sends next for the pipeline (Send, Signal) queues behind it,
    // so the client's first Receive is already waiting when pwsh writes the output. Waiting for
    // both acks here cost a round trip to pwsh and one to the client per pipeline. Should pwsh
    // end meanwhile, the pipeline ends with it (its Receive says Done).
    void session.send({ kind: 'Command', psGuid: cmd.psGuid }, 'CommandAck');
    void session.send({ kind: 'Data', stream: 'Default', psGuid: cmd.psGuid, data: session.toPwsh(args) }, 'DataAck');
    return cmd;
  },
  send(cmd, stream, data, end, timeoutMs, signal) {
    return cmd.writeStdin(data, end, timeoutMs, signal, stream);
  },
  signal(_shell, cmd, kind) {
    cmd.signal(kind);
  },
  processId(shell) {
    return shell.session instanceof PwshSession ? shell.session.pid : undefined;
  },
  connect(shell, connectXml) {
    const session = sessionOf(shell);
    if (session.exited) throw fault(WsmanCode.InvalidSoapBody, 'the PowerShell process of this shell has ended');
    const a = answerConnect(session, connectXml);
    return {
      responseXml: a.responseXml,
      apply() {
        session.clientRpid = a.rpid === session.poolRpid ? undefined : a.rpid;
        for (const c of shell.outputs()) c.output.resync();
        if (shell.shellOutput instanceof PwshCommand) shell.shellOutput.output.unshift('stdout', a.poolOutput);
        shell.shellOutput?.poke();
      },
    };
  },
  close(shell) {
    if (shell.session instanceof PwshSession) shell.session.close();
  },
};
