/**
 * Starting a command as another local account (a root listener, accounts.ts).
 *
 * The identity-switching helper (setpriv) runs as root until it switches, so it must not see
 * anything the client sent: a variable such as LD_PRELOAD, GCONV_PATH or LOCPATH would make it
 * load the client's code as root, a working directory would be entered as root, and the command
 * line would sit in a root process's argv. So the helper gets fixed arguments, a fixed
 * environment (SWITCH_HELPER_ENV) and `/`; what it runs, once switched, is a shell reading a
 * script from fd 3 (SWITCH_READERS). The listener writes that script: enter the directory (the
 * account's home when it cannot), set the command's exact environment, exec the command.
 * The command's own stdin is untouched, and the script may be of any length.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SWITCH_HELPER_ENV, SWITCH_LINES_MAX, switchCommand } from './accounts.js';
import type { SpawnSpec, LaunchedProcess } from './launcher.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Where env(1) is, for the rare variable names sh cannot export (`ProgramFiles(x86)`). */
const ENV_PROGRAM = '/usr/bin/env';

/**
 * The script the switched shell runs to become `spec`: it starts with SWITCH_HELPER_ENV (plus
 * the PWD/OLDPWD sh keeps) and ends with exactly `spec.env`, in `spec.cwd` (else `spec.home`,
 * else `/`), exec'ing `spec.argv`. Throws on a NUL byte, which no argv or environment can hold.
 */
export function switchScript(spec: SpawnSpec): string {
  const texts = [spec.cwd, spec.home ?? '', ...spec.argv, ...Object.keys(spec.env), ...Object.values(spec.env)];
  if (texts.some((t) => t.includes('\0'))) throw Object.assign(new Error('a NUL byte in the command, its environment or its directory'), { code: 'EINVAL' });
  const lines = [`cd -- ${shQuote(spec.cwd)} 2>/dev/null || cd -- ${shQuote(spec.home ?? '/')} 2>/dev/null || cd / || exit 127`];
  const gone = [...Object.keys(SWITCH_HELPER_ENV), 'PWD', 'OLDPWD', 's'].filter((k) => !Object.hasOwn(spec.env, k));
  lines.push(`unset ${gone.join(' ')}`);
  const odd: string[] = [];
  for (const [k, v] of Object.entries(spec.env)) {
    if (NAME.test(k)) lines.push(`export ${k}=${shQuote(v)}`);
    else if (k !== '' && !k.includes('=')) odd.push(shQuote(`${k}=${v}`));
  }
  const argv = spec.argv.map(shQuote).join(' ');
  lines.push(odd.length ? `exec ${ENV_PROGRAM} ${odd.join(' ')} ${argv}` : `exec ${argv}`);
  return `${lines.join('\n')}\n`;
}

/** Start `spec` as the account spec.uid/spec.gid; resolves once the helper runs. */
export function launchSwitched(spec: SpawnSpec): Promise<LaunchedProcess> {
  return new Promise((resolve, reject) => {
    let script: string;
    let child: ChildProcess;
    try {
      script = switchScript(spec);
      const short = script.length <= SWITCH_LINES_MAX;
      if (short) script = `${script.split('\n').length - 1}\n${script}`;
      const how = switchCommand(spec.uid ?? spec.gid ?? 65534, spec.gid ?? spec.uid ?? 65534, short ? 'lines' : 'all');
      child = spawn(how.file, how.args, {
        cwd: '/', env: { ...SWITCH_HELPER_ENV }, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], windowsHide: true,
        ...(how.uid !== undefined ? { uid: how.uid } : {}), ...(how.gid !== undefined ? { gid: how.gid } : {}),
      });
    } catch (err) {
      reject(err);
      return;
    }
    let started = false;
    child.once('spawn', () => {
      started = true;
      const fd3 = child.stdio[3] as Writable | null;
      fd3?.on('error', () => undefined); // the shell died before reading: its exit says so
      fd3?.end(script);
      resolve(child);
    });
    child.on('error', (err) => {
      if (!started) reject(err);
    });
  });
}
