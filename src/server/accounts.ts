/**
 * Whose local account runs a listener user's commands, and how a process becomes that account.
 *
 * The rule (README, "Security model"), as Windows runs a shell's processes as the user who
 * authenticated:
 *  - a listener that is not root runs every user's commands as its own account;
 *  - a root listener runs a user as the account named by `--run-as NAME=ACCOUNT` when given,
 *    else as the local account of the same name; a user with neither is refused at logon;
 *  - root (uid 0) is never reached by a same-name match: `--run-as NAME=root` must ask for it.
 *
 * The switch itself (setpriv, or a uid/gid spawn without it) is started by launcher.ts with a
 * fixed environment, `/` as working directory and fixed arguments: nothing the client sent is
 * seen by a process with more privilege than the account (see switchCommand).
 */
import { readFileSync, existsSync, statSync } from 'node:fs';

export interface OsAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

// The parsed passwd file, kept while its inode, size and mtime do not change (consulted per request).
let cached: { file: string; ino: number; size: number; mtimeMs: number; entries: OsAccount[] } | undefined;

function passwdEntries(passwdFile: string): OsAccount[] {
  let text: string;
  try {
    const st = statSync(passwdFile);
    if (cached && cached.file === passwdFile && cached.ino === st.ino && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.entries;
    text = readFileSync(passwdFile, 'utf8');
    cached = { file: passwdFile, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, entries: parsePasswd(text) };
    return cached.entries;
  } catch {
    return [];
  }
}

function parsePasswd(text: string): OsAccount[] {
  const out: OsAccount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !f[0] || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/', shell: f[6] || '/bin/sh' });
  }
  return out;
}

/** Look an account up in /etc/passwd by name or numeric uid (an explicit `--run-as` target). */
export function lookupAccount(nameOrUid: string, passwdFile = '/etc/passwd'): OsAccount | undefined {
  const all = passwdEntries(passwdFile);
  return all.find((a) => a.name === nameOrUid) ?? (/^\d+$/.test(nameOrUid) ? all.find((a) => a.uid === Number(nameOrUid)) : undefined);
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** True when the listener can switch users (it runs as root). */
export function canSwitchUsers(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Where a user's commands run: the listener's own account, another account, or nowhere (refused). */
export type RunAs =
  | { kind: 'listener' }
  | { kind: 'account'; account: OsAccount }
  | { kind: 'refused'; reason: string };

/** The user fields the decision reads (a ListenerUser). */
export interface AccountHolder {
  name: string;
  /** `--run-as NAME=ACCOUNT` (users file: the third field). */
  runAs?: string;
}

/**
 * Whose account runs `user`'s commands (see the module comment). `root` is whether the listener
 * can switch users (default: it runs as root).
 */
export function resolveRunAs(user: AccountHolder, root = canSwitchUsers(), passwdFile = '/etc/passwd'): RunAs {
  if (!root) return { kind: 'listener' };
  const self = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (user.runAs !== undefined) {
    const a = lookupAccount(user.runAs, passwdFile);
    if (!a) return { kind: 'refused', reason: `the account '${user.runAs}' that --run-as maps user '${user.name}' to does not exist` };
    return a.uid === self ? { kind: 'listener' } : { kind: 'account', account: a };
  }
  const a = passwdEntries(passwdFile).find((e) => e.name === user.name);
  if (!a) return { kind: 'refused', reason: `no local account named '${user.name}' (map the user with --run-as ${user.name}=ACCOUNT)` };
  if (a.uid === 0 || a.uid === self) {
    return { kind: 'refused', reason: `user '${user.name}' would run as root; ask for it by name with --run-as ${user.name}=root` };
  }
  return { kind: 'account', account: a };
}

/** A short description of where each user's commands run, for the listener's start-up log. */
export function describeRunAs(users: AccountHolder[], root = canSwitchUsers()): { user: string; runsAs: string }[] {
  return users.map((u) => {
    const r = resolveRunAs(u, root);
    return { user: u.name, runsAs: r.kind === 'listener' ? 'the listener\'s account' : r.kind === 'account' ? r.account.name : `refused: ${r.reason}` };
  });
}

/** The environment of the identity-switching helper: fixed and built here, never the client's. */
export const SWITCH_HELPER_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: '/usr/bin:/bin', LC_ALL: 'C' });

/**
 * What the switched shell runs (fixed texts, in the helper's argv): read the script the listener
 * writes on fd 3, close fd 3, run the script (switched.ts switchScript). Only this shell, already
 * the account, ever sees the client's directory, environment and command line. A short script is
 * read with the read builtin (a line count first: no process started for it); a long one, which
 * that would read a byte per system call, with cat.
 */
export const SWITCH_READERS = {
  lines: 'IFS= read -r n <&3 || exit 127\ns=\nwhile [ "$n" -gt 0 ]; do IFS= read -r l <&3 || exit 127; s="$s$l\n"; n=$((n - 1)); done\nexec 3<&-\neval "$s"\n',
  all: 's=$(cat <&3) || exit 127; exec 3<&-; eval "$s"',
} as const;

/** Longest script read with the read builtin (characters). */
export const SWITCH_LINES_MAX = 16 * 1024;

/**
 * How to start the switched shell as `account`: setpriv (supplementary groups from /etc/group)
 * with fixed arguments; without setpriv, /bin/sh with uid/gid (libuv switches before exec, and
 * the working directory given to spawn is `/`).
 */
export function switchCommand(uid: number, gid: number, reader: keyof typeof SWITCH_READERS): { file: string; args: string[]; uid?: number; gid?: number } {
  const sh = ['/bin/sh', '-c', SWITCH_READERS[reader]];
  if (SETPRIV) return { file: SETPRIV, args: [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...sh] };
  return { file: sh[0]!, args: sh.slice(1), uid, gid };
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
