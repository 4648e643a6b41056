/**
 * Output into a pipe that closes (issue 18): `wsman run … -- yes | head -n 3` exits quietly, and
 * the remote command is terminated and its shell deleted (as ssh does on SIGPIPE);
 * `wsman session receive … | head` disconnects and leaves the command running, as Ctrl-C does
 * there. The CLI runs as a child process whose stdout pipe the test closes, as `head` would.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { SessionManager } from '../../src/client/sessions/index.js';
import { startListener, spawnWsman, stateDir, optionsFor, until, type SessionListener } from '../sessions/helpers.js';

let L: SessionListener;
beforeAll(async () => { L = await startListener(); });
afterAll(async () => { await L?.stop(); });

const conn = (): string[] => ['--connection-uri', L.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted'];

/** Read the child's stdout until `lines` lines came, then close the pipe as `head -n lines` does. */
async function headThenClose(child: ChildProcess, lines: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve) => {
    const onData = (c: Buffer): void => {
      stdout += c.toString();
      if (stdout.split('\n').length > lines) {
        child.stdout!.off('data', onData);
        child.stdout!.destroy();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
  });
  return { ...(await exited), stdout, stderr };
}

describe('stdout closed under wsman', () => {
  it('run: exits quietly (141, no EPIPE stack), the remote command is terminated and its shell deleted', async () => {
    const child = spawnWsman(['run', ...conn(), '--', 'yes'], { WSMAN_STATE_DIR: stateDir() });
    const r = await headThenClose(child, 3);
    expect(r.stdout.startsWith('y\ny\ny\n')).toBe(true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
    // Deleted before wsman exited: no shell (and so no `yes`) is left for alice.
    expect(L.listener.core.store.ownedBy('alice')).toHaveLength(0);
  }, 30_000);

  it('session receive: disconnects quietly and leaves the command running', async () => {
    const a = new SessionManager();
    const s = await a.invokeInDisconnectedSession(optionsFor(L.url), 'yes', [], { name: 'piped' });
    await a.closeConnections();
    const child = spawnWsman(['session', 'receive', ...conn(), '--name', 'piped'], { WSMAN_STATE_DIR: stateDir() });
    const r = await headThenClose(child, 3);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
    const b = new SessionManager();
    try {
      const [t] = await b.getSessions(optionsFor(L.url), { instanceId: s.instanceId });
      expect([t!.state, t!.availability]).toEqual(['Disconnected', 'None']);
      const shell = L.listener.core.store.get(s.instanceId);
      expect([...shell!.commands.values()].some((c) => !c.isDone)).toBe(true);
      await b.remove(t!);
      await until(() => L.listener.core.store.get(s.instanceId) === undefined, 5000, 'session removed');
    } finally {
      await b.close();
      await a.close();
    }
  }, 30_000);
});
