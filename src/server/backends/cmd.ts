/**
 * The `cmd` backend: each Command is one `/bin/sh -c LINE` process (or the program itself with
 * WINRS_SKIP_CMD_SHELL), started through the listener's launcher (its pool of prepared shells).
 * `powershell[.exe] ARGS` runs `pwsh -NoProfile ARGS` when the listener has pwsh (powershell-alias.ts).
 */
import { WsmanCode, type CommandLineBody } from '../../core/index.js';
import { ServerCommand } from '../command.js';
import { badBody, boolOption, fault } from '../handlers/common.js';
import { spawnSpec } from './spawn-spec.js';
import type { ShellBackend } from './backend.js';
import { powerShellArgv } from './powershell-alias.js';
import { PWSH_ENV } from './pwsh.js';
import { withPwshHome } from './pwsh-home.js';
import { defaultPwsh } from '../pwsh-find.js';

/** winrs / Invoke-Command against `…/windows/shell/cmd`. */
export const cmdBackend: ShellBackend = {
  kind: 'cmd',
  async create() {
    // Nothing runs until a Command.
  },
  async command(req, shell, id, b: CommandLineBody) {
    const max = shell.config.maxProcessesPerShell;
    if (max > 0 && shell.running >= max) {
      throw fault(WsmanCode.QuotaMaxCommandsPerShell, `MaxProcessesPerShell (${max}) reached`);
    }
    const skipShell = boolOption(req.headers, 'WINRS_SKIP_CMD_SHELL');
    const text = b.command.trim();
    if (skipShell && text === '') throw badBody('Command is empty');
    const line = [b.command, ...b.arguments].join(' ');
    const pwshPath = defaultPwsh(req.core.config);
    const ps = pwshPath === undefined ? undefined : powerShellArgv(pwshPath, line, skipShell, text, b.arguments);
    const argv = ps ?? (skipShell ? [text, ...b.arguments] : ['/bin/sh', '-c', line]);
    // PowerShell without colours: its error records reach the client as plain CLIXML on stderr.
    const spec = spawnSpec(req, shell, argv, ps ? { ...PWSH_ENV, NO_COLOR: '1' } : {});
    if (ps) withPwshHome(spec);
    const cmd = new ServerCommand(id, line, spec, shell.bufferMode, shell.config.outputBufferBytes, req.core.now(), shell.outputStreams, req.core.launcher, shell.budget);
    shell.commands.set(id, cmd);
    try {
      await cmd.spawned;
    } catch (err) {
      shell.commands.delete(id);
      cmd.dispose();
      const code = (err as NodeJS.ErrnoException).code;
      throw fault(code === 'ENOENT' ? 2 : code === 'EACCES' ? 5 : 50,
        code === 'ENOENT' ? 'The system cannot find the file specified. ' : 'The command could not be started. ');
    }
    return cmd;
  },
  send(cmd, _stream, data, end, timeoutMs, signal) {
    return cmd.writeStdin(data, end, timeoutMs, signal);
  },
  signal(_shell, cmd, kind) {
    cmd.signal(kind);
  },
  close() {
    // Disposing the commands killed every process.
  },
};
