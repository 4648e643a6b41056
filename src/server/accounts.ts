/**
 * Local OS accounts for `--run-as`: the passwd entry (uid, gid, home, shell) and how to start a
 * process as that account with its supplementary groups (setpriv --init-groups), as WinRM runs a
 * shell's processes as the authenticated user.
 */
import { readFileSync, existsSync } from 'node:fs';

export interface OsAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Look an account up in /etc/passwd by name or numeric uid. */
export function lookupAccount(nameOrUid: string, passwdFile = '/etc/passwd'): OsAccount | undefined {
  let text: string;
  try {
    text = readFileSync(passwdFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    if (f[0] === nameOrUid || f[2] === nameOrUid) {
      return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/', shell: f[6] || '/bin/sh' };
    }
  }
  return undefined;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** True when the listener can switch users (it runs as root). */
export function canSwitchUsers(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The argv prefix and spawn options that start a program as `account`. With setpriv the
 * supplementary groups are initialised from /etc/group; without it, uid/gid only.
 */
export function asAccount(account: OsAccount): { prefix: string[]; uid?: number; gid?: number } {
  if (SETPRIV) return { prefix: [SETPRIV, `--reuid=${account.uid}`, `--regid=${account.gid}`, '--init-groups', '--'] };
  return { prefix: [], uid: account.uid, gid: account.gid };
}

/** The login environment of an account. */
export function accountEnv(account: OsAccount): Record<string, string> {
  return {
    HOME: account.home,
    USER: account.name,
    LOGNAME: account.name,
    SHELL: account.shell,
    PATH: account.uid === 0 ? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' : '/usr/local/bin:/usr/bin:/bin',
  };
}
