/**
 * The spawn host: a small Node process, started by ProcessPool (launcher.ts) with
 * `node -e SPAWN_HOST_SOURCE` and an IPC channel, that starts pooled shells and passes their
 * pipes back. It is kept as source text so that it runs the same from TypeScript sources,
 * from dist, and under a test runner, without a loader.
 *
 * Protocol (JSON over the IPC channel):
 *  - listener → host `{op: 'spawn', id, file, args}`: start `file args` in its own process
 *    group, with pipes on fds 0–3 and the host's own environment.
 *  - host → listener `{op: 'fd', id, n, pid}` with the pipe of fd n as the handle (n = 0..3),
 *    then `{op: 'ready', id, pid}`; `{op: 'error', id, message}` when it could not start;
 *    `{op: 'exit', id, code, signal}` when the process ends.
 * Spawns are served one at a time, so each process's four handles arrive before the next's.
 * The host exits when the listener goes away (its IPC channel closes).
 */

/**
 * What a pooled shell runs: read a script from fd 3 until EOF (builtins only), close fd 3, run
 * the script. The script (launcher.ts pooledScript) ends with `exec /bin/sh -c LINE`. An empty
 * script (the pool closed the pipe) exits at once.
 */
export const POOLED_SHELL_SCRIPT = 's=\nwhile IFS= read -r l <&3; do s="$s$l\n"; done\nexec 3<&-\neval "$s"\n';

export const SPAWN_HOST_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
let queue = Promise.resolve();
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
    child = spawn(String(m.file), (m.args || []).map(String), { cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
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
  child.once('exit', (code, signal) => { void tell({ op: 'exit', id: m.id, code, signal }); });
  for (let n = 0; n < 4; n++) {
    if (!(await tell({ op: 'fd', id: m.id, n, pid }, child.stdio[n]))) {
      try { process.kill(-pid, 'SIGKILL'); } catch {}
      return;
    }
  }
  await tell({ op: 'ready', id: m.id, pid });
}
process.on('message', (m) => {
  if (!m || m.op !== 'spawn') return;
  queue = queue.then(() => start(m)).catch(() => undefined);
});
process.on('disconnect', () => process.exit(0));
`;
