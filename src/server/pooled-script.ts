/**
 * The script a pooled shell (launcher.ts, spawn-host.ts) is given to become a command: enter its
 * directory, make its environment exactly the command's, exec `/bin/sh -c LINE`.
 */
import type { SpawnSpec } from './launcher.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest script handed to a pooled shell (characters); longer commands are spawned directly. */
export const MAX_POOLED_SCRIPT = 16 * 1024;

/** A word for sh: single-quoted, with embedded quotes spliced in. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The script a pooled shell runs to become `spec`, given the environment it was started with;
 * undefined when the pool cannot express the spec exactly (then it is spawned directly).
 */
export function pooledScript(spec: SpawnSpec, base: Readonly<Record<string, string>>): string | undefined {
  if (spec.uid !== undefined || spec.gid !== undefined) return undefined;
  if (spec.argv.length !== 3 || spec.argv[0] !== '/bin/sh' || spec.argv[1] !== '-c') return undefined;
  const texts = [spec.cwd, ...spec.argv, ...Object.keys(spec.env), ...Object.values(spec.env)];
  if (texts.some((t) => t.includes('\0'))) return undefined;
  const lines = [`cd -- ${shQuote(spec.cwd)} || exit 127`];
  const gone = Object.keys(base).filter((k) => !Object.hasOwn(spec.env, k));
  if (gone.some((k) => !NAME.test(k))) return undefined;
  // OLDPWD: the cd above sets it; a direct spawn would not have it unless the environment did.
  if (!Object.hasOwn(spec.env, 'OLDPWD')) gone.push('OLDPWD');
  lines.push(`unset ${gone.join(' ')}`);
  for (const [k, v] of Object.entries(spec.env)) {
    if (base[k] === v && k !== 'OLDPWD') continue;
    if (!NAME.test(k)) return undefined;
    lines.push(`export ${k}=${shQuote(v)}`);
  }
  lines.push(`exec /bin/sh -c ${shQuote(spec.argv[2]!)}`);
  const script = `${lines.join('\n')}\n`;
  // The shell reads its script a byte at a time; a long one is cheaper through argv.
  return script.length <= MAX_POOLED_SCRIPT ? script : undefined;
}
