/**
 * The spawn host: a small Node process, started by ProcessPool (launcher.ts) with
 * `node -e SPAWN_HOST_SOURCE` and an IPC channel, that starts pooled shells and passes their
 * pipes back. It is kept as source text so that it runs the same from TypeScript sources,
 * from dist, and under a test runner, without a loader.
 *
 * Protocol (JSON over the IPC channel):
 *  - listener → host `{op: 'spawn', id, file, args}`: start `file args` in its own process
 *    group, with pipes on fds 0–2 and the host's own environment.
 *  - host → listener `{op: 'fd', id, n, pid}` with the pipe of fd n as the handle (n = 0, 1,
 *    then 2, the last); `{op: 'error', id, message}` when it could not start;
 *    `{op: 'exit', id, code, signal}` when the process ends.
 *  - listener → host `{op: 'watch', pid}`: a process group the listener started itself (a
 *    direct spawn) for the host to kill should the listener die.
 * Spawns are served one at a time, so each process's three handles arrive before the next's.
 *
 * The host is also the listener's watchdog: when the listener goes away, however it dies (its
 * IPC channel closes, or the host is reparented), the host kills (SIGKILL) every process group
 * it started or was told about, then exits: no command outlives its listener. Groups that no
 * longer exist are forgotten every two seconds.
 */

/**
 * What a pooled shell runs: read a line count, then that many lines of script from stdin (the
 * read builtin takes one byte at a time, so nothing after the script is consumed: the rest of
 * stdin is the command's), then run the script. The script (launcher.ts pooledScript) ends with
 * `exec /bin/sh -c LINE`. If stdin closes first (the pool let it go), it exits.
 */
export const POOLED_SHELL_SCRIPT = 'IFS= read -r n || exit 0\ns=\nwhile [ "$n" -gt 0 ]; do IFS= read -r l || exit 0; s="$s$l\n"; n=$((n - 1)); done\neval "$s"\n';

export const SPAWN_HOST_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
let queue = Promise.resolve();
const groups = new Set();
function bail() {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  process.exit(0);
}
function tell(msg, handle) {
  return new Promise((resolve) => {
    if (!process.connected) return resolve(false);
    try {
      process.send(msg, handle, {}, (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}
async function start(m) {
  let child;
  try {
    child = spawn(String(m.file), (m.args || []).map(String), { cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    await tell({ op: 'error', id: m.id, message: String(e && e.message) });
    return;
  }
  const started = await new Promise((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', (e) => resolve(e));
  });
  child.on('error', () => undefined);
  if (started !== true) {
    await tell({ op: 'error', id: m.id, message: String(started && started.message) });
    return;
  }
  const pid = child.pid;
  groups.add(pid);
  child.once('exit', (code, signal) => { void tell({ op: 'exit', id: m.id, code, signal }); });
  for (let n = 0; n < 3; n++) {
    if (!(await tell({ op: 'fd', id: m.id, n, pid }, child.stdio[n]))) {
      try { process.kill(-pid, 'SIGKILL'); } catch {}
      return;
    }
  }
}
process.on('message', (m) => {
  if (m && m.op === 'watch' && Number.isSafeInteger(m.pid) && m.pid > 1) groups.add(m.pid);
  if (!m || m.op !== 'spawn') return;
  queue = queue.then(() => start(m)).catch(() => undefined);
});
process.on('disconnect', bail);
// 'disconnect' waits for handles in flight to be acknowledged, which a dead listener never does:
// also leave when reparented.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) bail(); }, 250).unref();
setInterval(() => {
  for (const g of groups) { try { process.kill(-g, 0); } catch (e) { if (e && e.code === 'ESRCH') groups.delete(g); } }
}, 2000).unref();
`;
