/**
 * A writable home for PowerShell run as another account. pwsh keeps caches (module analysis,
 * history, .NET's) under HOME and the XDG_* directories; an account whose home is missing or not
 * its own (system accounts: /nonexistent) gets a private directory of its own instead:
 * `<tmpdir>/wsman-pwsh/<uid>` (the parent root's, 0711; each child the account's, 0700), given
 * as HOME, XDG_CACHE_HOME, XDG_DATA_HOME and XDG_CONFIG_HOME. Nothing the client sent is involved.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SpawnSpec } from '../launcher.js';

/** Where the private homes live (tests may point it elsewhere). */
export let pwshHomeRoot = path.join(tmpdir(), 'wsman-pwsh');

/** Use `dir` for the private homes from now on. */
export function setPwshHomeRoot(dir: string): void {
  pwshHomeRoot = dir;
}

/** A directory (not a link) owned by `uid` with its owner's write bit. */
function ownDirectory(p: string, uid: number): boolean {
  try {
    const st = lstatSync(p);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o200) !== 0;
  } catch {
    return false;
  }
}

/** A directory made (or found) with exactly this owner and mode; false when something else is there. */
function ensureDirectory(p: string, uid: number, gid: number, mode: number): boolean {
  try {
    mkdirSync(p, { mode });
    chownSync(p, uid, gid);
    chmodSync(p, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  try {
    const st = lstatSync(p);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o777) === mode;
  } catch {
    return false;
  }
}

/** The private home of `uid`, made when missing; undefined when it cannot be had safely. */
export function privateHome(uid: number, gid: number): string | undefined {
  if (!ensureDirectory(pwshHomeRoot, process.getuid?.() ?? 0, process.getgid?.() ?? 0, 0o711)) return undefined;
  const home = path.join(pwshHomeRoot, String(uid));
  return ensureDirectory(home, uid, gid, 0o700) ? home : undefined;
}

/**
 * Give pwsh run as another account a writable HOME and XDG_* directories when its own home will
 * not do. The listener's own account keeps its environment. Changes `spec` in place.
 */
export function withPwshHome(spec: SpawnSpec): SpawnSpec {
  if (spec.uid === undefined || spec.uid === (process.getuid?.() ?? -1)) return spec;
  // The account's home from the password database (spec.home), never a directory the client named.
  if (spec.home && ownDirectory(spec.home, spec.uid)) return spec;
  const own = privateHome(spec.uid, spec.gid ?? spec.uid);
  if (!own) return spec;
  Object.assign(spec.env, {
    HOME: own, XDG_CACHE_HOME: path.join(own, '.cache'), XDG_DATA_HOME: path.join(own, '.local', 'share'), XDG_CONFIG_HOME: path.join(own, '.config'),
  });
  spec.home = own;
  return spec;
}
