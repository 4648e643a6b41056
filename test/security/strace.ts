/**
 * Reading an `strace -f` log of a listener to find what privileged processes saw: which execve
 * and chdir calls ran in a process that still had root's uid (no successful setuid/setreuid/
 * setresuid to another uid yet in it or in the ancestor it was forked from, before the fork).
 */
import { execFileSync } from 'node:child_process';

/** The strace options the analysis needs (execve with its environment, forks, uid changes, chdir). */
export const STRACE_ARGS = ['-f', '-qq', '-v', '-s', '100000', '-e', 'trace=execve,clone,clone3,fork,vfork,setuid,setreuid,setresuid,chdir'];

export const haveStrace = ((): boolean => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface Line { i: number; pid: number; text: string }

/** The execve/chdir lines of the log that ran with root's uid. */
export function privilegedCalls(log: string): string[] {
  const lines: Line[] = [];
  const pending = new Map<number, string>();
  log.split('\n').forEach((raw) => {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) return;
    const pid = Number(m[1]);
    let text = m[2]!;
    // Join "<unfinished ...>" with its "<... NAME resumed>" continuation.
    if (text.endsWith('<unfinished ...>')) {
      pending.set(pid, text.slice(0, -'<unfinished ...>'.length));
      return;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(text);
    if (resumed) {
      text = (pending.get(pid) ?? '') + resumed[1];
      pending.delete(pid);
    }
    lines.push({ i: lines.length, pid, text });
  });
  const parent = new Map<number, { pid: number; at: number }>();
  const dropAt = new Map<number, number>();
  for (const l of lines) {
    const fork = /^(?:clone3?|v?fork)\(.*\)\s+=\s+(\d+)/.exec(l.text);
    if (fork && Number(fork[1]) > 0) parent.set(Number(fork[1]), { pid: l.pid, at: l.i });
    // A call strace split ("setresuid(1001, 1001, 1001 <unfinished ...>", then "<... setresuid resumed>) = 0")
    // joins with a space before its ')': under load that happens, and the uid switch must still count.
    const uid = /^set(?:res|re)?uid\((-?\d+)\s*(?:,\s*(-?\d+))?\s*(?:,\s*(-?\d+))?\s*\)\s+=\s+0/.exec(l.text);
    if (uid && !dropAt.has(l.pid)) {
      const ids = [uid[1], uid[2], uid[3]].filter((x) => x !== undefined && x !== '-1').map(Number);
      if (ids.length && ids.every((x) => x !== 0)) dropAt.set(l.pid, l.i);
    }
  }
  const privileged = (pid: number, at: number, depth = 0): boolean => {
    const d = dropAt.get(pid);
    if (d !== undefined && d < at) return false;
    const p = parent.get(pid);
    return !p || depth > 50 ? true : privileged(p.pid, p.at, depth + 1);
  };
  return lines.filter((l) => /^(execve|chdir)\(/.test(l.text) && privileged(l.pid, l.i)).map((l) => `${l.pid} ${l.text}`);
}
