/**
 * How to start a process for a shell's owner (accounts.ts resolveRunAs), shared by every backend:
 * as the listener's own account, or as another account, to which the directory, environment and
 * argv are given only after the switch (switched.ts).
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { WsmanCode } from '../../core/index.js';
import type { WsmanRequest } from '../core.js';
import type { ServerShell } from '../shell.js';
import type { SpawnSpec } from '../launcher.js';
import { resolveRunAs, accountEnv } from '../accounts.js';
import { fault } from '../handlers/common.js';

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The spawn spec for `argv` run for this shell's owner; `extraEnv` comes after the shell's environment. */
export function spawnSpec(req: WsmanRequest, shell: ServerShell, argv: string[], extraEnv: Record<string, string> = {}): SpawnSpec {
  const who = resolveRunAs(shell.owner);
  if (who.kind === 'refused') {
    req.core.log.log('warn', 'command refused', { user: shell.owner.name, reason: who.reason });
    throw fault(WsmanCode.AccessDenied, 'no local account may run this user\'s commands');
  }
  if (who.kind === 'account') {
    const a = who.account;
    // No stat of the client's directory here: the listener is root. The switched shell tries it.
    const env = { ...accountEnv(a), LANG: process.env.LANG ?? 'C.UTF-8', ...shell.environment, ...extraEnv };
    return { argv, cwd: shell.workingDirectory ?? a.home, home: a.home, env, uid: a.uid, gid: a.gid };
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !req.core.hiddenEnv.includes(k)) env[k] = v;
  const home = process.env.HOME ?? homedir();
  Object.assign(env, shell.environment, extraEnv);
  const cwd = shell.workingDirectory !== undefined && isDirectory(shell.workingDirectory) ? shell.workingDirectory : isDirectory(home) ? home : '/';
  return { argv, cwd, env };
}
