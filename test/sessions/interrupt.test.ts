/**
 * Client processes that go away: Ctrl-C on `wsman session receive` disconnects the session (the
 * command keeps running, another client receives the rest; exit 130); a library client that
 * exits through SessionManager.close() follows PowerShell's rule (running → Disconnected, idle → deleted).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionManager } from '../../src/client/sessions/index.js';
import { startListener, optionsFor, spawnWsman, stateDir, until, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => { L = await startListener(); });
afterAll(async () => { await L?.stop(); });

describe('Ctrl-C while receiving', () => {
  it('disconnects and leaves the command running; the rest is received later, nothing twice', async () => {
    const a = new SessionManager();
    // The command waits for a gate file (made once the CLI is interrupted), not a fixed sleep: a
    // loaded machine may take longer than any sleep to start the CLI and deliver the signal.
    const gate = join(stateDir(), 'gate');
    const s = await a.invokeInDisconnectedSession(optionsFor(L.url), `echo one; n=0; while [ ! -e '${gate}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; echo two`, [], { name: 'ctrl-c' });
    await a.closeConnections();
    const child = spawnWsman(['session', 'receive', '--connection-uri', L.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--name', 'ctrl-c'],
      { WSMAN_STATE_DIR: stateDir() });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(() => out.includes('one'), 15_000, 'first line');
    child.kill('SIGINT');
    expect(await code).toBe(130);
    expect(err).toMatch(/interrupted; session ctrl-c is Disconnected and its commands keep running/);
    writeFileSync(gate, '');
    const b = new SessionManager();
    try {
      const [t] = await b.getSessions(optionsFor(L.url), { instanceId: s.instanceId });
      expect([t!.state, t!.availability]).toEqual(['Disconnected', 'None']);
      let rest = '';
      await b.receive(t!, { onData: (_st, c) => { rest += c.toString(); } });
      expect(out + rest).toBe('one\ntwo\n');
      await b.remove(t!);
    } finally {
      await b.close();
    }
  }, 30_000);
});

describe('a client process that exits (SessionManager.close, PowerShell\'s rule)', () => {
  it('leaves a session with a command running Disconnected and deletes an idle one', async () => {
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const { ROOT } = await import('./helpers.js');
    const script = `
      import { SessionManager } from ${JSON.stringify(path.join(ROOT, 'src/client/sessions/index.ts'))};
      const o = { endpoint: { connectionUri: ${JSON.stringify(L.url)} }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true };
      const m = new SessionManager();
      await m.newSession(o, { configurationName: 'cmd', name: 'exit-idle' });
      const busy = await m.newSession(o, { configurationName: 'cmd', name: 'exit-busy' });
      (await m.invoke(busy, 'sleep 0.5; echo later')).stdout.resume();
      await m.close();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'inherit' });
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    const b = new SessionManager();
    try {
      const seen = await b.getSessions(optionsFor(L.url), { name: 'exit-*' });
      expect(seen.map((s) => [s.name, s.state, s.availability])).toEqual([['exit-busy', 'Disconnected', 'None']]);
      let out = '';
      await b.receive(seen[0]!, { onData: (_st, c) => { out += c.toString(); } });
      expect(out).toBe('later\n');
      await b.remove(seen[0]!);
    } finally {
      await b.close();
    }
  }, 30_000);
});
