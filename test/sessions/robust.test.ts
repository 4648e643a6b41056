/**
 * Losing the connection: a lost ReceiveResponse is asked for again with the same SequenceId and
 * replayed by the listener (no loss, no duplicate); an outage shorter than the retry window is
 * ridden out; a longer one leaves the session and the job Disconnected, and Reconnect later gets
 * the rest; a client process killed in the middle of a Receive leaves a shell that another
 * client connects to (after the listener's keep-alive window) and receives the rest from.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SessionManager } from '../../src/client/sessions/index.js';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { startListener, optionsFor, spawnWsman, stateDir, until, sleep, wsman, ROOT, ALICE, type SessionListener } from './helpers.js';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startProxy, type FaultyProxy } from './proxy.js';
import { CLI } from '../helpers/cli.js';

let L: SessionListener;
let P: FaultyProxy;
beforeAll(async () => {
  L = await startListener((c) => { c.clientKeepAliveMs = 800; });
  P = await startProxy(L.url);
});
afterAll(async () => {
  await P?.close();
  await L?.stop();
});

const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

describe('robust Receive', () => {
  it('a dropped ReceiveResponse is re-asked with the same SequenceId and replayed: nothing lost, nothing twice', async () => {
    const m = new SessionManager({ retry: { intervalMs: 50, maxMs: 3000 } });
    let dataAnswers = 0;
    P.seen.length = 0;
    P.dropWhen = (r) => r.action === 'Receive' && r.hadData && [2, 4].includes(++dataAnswers);
    try {
      const s = await m.newSession(optionsFor(P.url), { configurationName: 'cmd', name: 'lossy' });
      const cmd = await m.invoke(s, 'for i in $(seq 1 12); do echo "line $i"; sleep 0.05; done');
      const { stdout, exitCode } = await cmd.output();
      expect(stdout.toString()).toBe(lines(1, 12));
      expect(exitCode).toBe(0);
      const receives = P.seen.filter((r) => r.action === 'Receive');
      const dropped = receives.filter((r) => r.dropped);
      expect(dropped).toHaveLength(2);
      for (const d of dropped) {
        // The next Receive carried the same SequenceId, and its answer was the replayed one.
        const next = receives[receives.indexOf(d) + 1];
        expect(next?.sequenceId).toBe(d.sequenceId);
        expect(next?.dropped).toBe(false);
      }
      await m.remove(s);
    } finally {
      P.dropWhen = () => false;
      await m.close();
    }
  });

  it('an outage shorter than the retry window is ridden out', async () => {
    const retries: number[] = [];
    const m = new SessionManager({ retry: { intervalMs: 100, maxMs: 5000 }, onRetry: (_s, n) => retries.push(n) });
    try {
      const s = await m.newSession(optionsFor(P.url), { configurationName: 'cmd', name: 'flaky' });
      const cmd = await m.invoke(s, 'for i in $(seq 1 10); do echo "line $i"; sleep 0.1; done');
      let out = '';
      cmd.stdout.on('data', (c: Buffer) => { out += c.toString(); });
      await until(() => out.includes('line 3'), 5000, 'line 3');
      P.down = true;
      // Down until the client has retried twice (state, not a fixed sleep), then back.
      await until(() => retries.length >= 2, 10_000, 'two retries during the outage');
      P.down = false;
      expect(await cmd.exitCode).toBe(0);
      expect(out).toBe(lines(1, 10));
      expect(retries.length).toBeGreaterThan(1);
      expect(s.state).toBe('Opened');
      await m.remove(s);
    } finally {
      P.down = false;
      await m.close();
    }
  });

  it('an outage longer than the window leaves the job and session Disconnected; Reconnect later gets the rest', async () => {
    const m = new SessionManager({ retry: { intervalMs: 100, maxMs: 400 } });
    try {
      const s = await m.invokeInDisconnectedSession(optionsFor(P.url), 'for i in $(seq 1 8); do echo "line $i"; sleep 0.15; done', [], { name: 'outage' });
      const job = await m.receiveJob(s);
      let out = '';
      const reading = (async () => { for await (const c of job) out += c.data.toString(); })();
      await until(() => out.includes('line 2'), 5000, 'line 2');
      P.down = true;
      expect(await job.wait()).toBe('Disconnected');
      await reading;
      expect([s.state, s.availability]).toEqual(['Disconnected', 'None']);
      P.down = false;
      await m.receive(s, { onData: (_st, c) => { out += c.toString(); } });
      expect(s.phase).toBe('Reconnected');
      expect(out).toBe(lines(1, 8));
      await m.remove(s);
    } finally {
      P.down = false;
      await m.close();
    }
  });
});

describe('robust connections outside sessions (Invoke-Command, wsman run)', () => {
  it('invokeCommand with a retry policy rides out an outage: everything once, exit 0', async () => {
    const client = new WsmanClient(optionsFor(P.url));
    const retries: number[] = [];
    let out = '';
    try {
      const done = invokeCommand(client, {
        command: 'for i in $(seq 1 10); do echo "line $i"; sleep 0.1; done; exit 4',
        run: { retry: { intervalMs: 100, maxMs: 5000 }, onRetry: (n) => retries.push(n) },
        onData: (_st, c) => { out += c.toString(); },
      });
      await until(() => out.includes('line 3'), 5000, 'line 3');
      P.down = true;
      // Down until the client has retried twice (state, not a fixed sleep), then back.
      await until(() => retries.length >= 2, 10_000, 'two retries during the outage');
      P.down = false;
      expect((await done).exitCode).toBe(4);
      expect(out).toBe(lines(1, 10));
      expect(retries.length).toBeGreaterThan(1);
    } finally {
      P.down = false;
      await client.close();
    }
  });

  it('stdin lost with a dropped Send is an error (ERR_STDIN_LOST) and the command is terminated, not left waiting', async () => {
    const client = new WsmanClient(optionsFor(P.url));
    let sends = 0;
    P.seen.length = 0;
    P.dropWhen = (r) => r.action === 'Send' && ++sends === 2;
    async function* input(): AsyncGenerator<string> {
      yield 'first\n';
      await sleep(300);
      yield 'second\n';
      await sleep(300);
      yield 'third\n';
    }
    try {
      const err = await invokeCommand(client, { command: 'cat', stdin: input() }).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('ERR_STDIN_LOST');
      expect((err as Error).message).toMatch(/^stdin could not be delivered \(.*\); the command was terminated$/);
      expect(P.seen.filter((r) => r.action === 'Signal')).toHaveLength(1);
    } finally {
      P.dropWhen = () => false;
      await client.close();
    }
  });

  it('wsman run --session: stdin lost with a dropped Send is said on stderr; the session\'s command is left running', async () => {
    const env = { WSMAN_STATE_DIR: stateDir() };
    const made = await wsman(['session', 'new', '--connection-uri', P.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--configuration-name', 'cmd', '--name', 'stdin-s'], env);
    expect(made.code).toBe(0);
    let sends = 0;
    P.dropWhen = (r) => r.action === 'Send' && ++sends === 2;
    const child = spawn(process.execPath, [CLI, 'run', '--session', 'stdin-s', '--', 'cat'], {
      cwd: ROOT, env: { ...process.env, WSMAN_PASSWORD: ALICE.password, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const closed = new Promise<number | null>((r) => child.on('close', r));
    try {
      child.stdin.write('first\n');
      await until(() => out === 'first\n', 15_000, 'first');
      child.stdin.write('second\n');
      await until(() => err.includes('stdin could not be delivered'), 15_000, 'the stdin warning');
      expect(err).toMatch(/^wsman run: stdin could not be delivered \(.*\); the rest of it is not sent\n$/);
      child.kill('SIGINT'); // disconnects; the command keeps running in the session
      expect(await closed).toBe(130);
      const listed = await wsman(['session', 'list', '--connection-uri', P.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--name', 'stdin-s', '--json'], env);
      expect(JSON.parse(listed.stdout)).toMatchObject([{ Name: 'stdin-s', State: 'Disconnected' }]);
    } finally {
      P.dropWhen = () => false;
      child.kill('SIGKILL');
      await wsman(['session', 'remove', '--name', 'stdin-s'], env);
    }
  }, 40_000);

  it('wsman run keeps PowerShell\'s 4-minute robust connection: a 1.5 s outage loses and repeats nothing', async () => {
    const child = spawnWsman(['run', '--connection-uri', P.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--',
      'for i in $(seq 1 12); do echo "line $i"; sleep 0.25; done']);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const code = new Promise<number | null>((r) => child.on('close', r));
    try {
      await until(() => out.includes('line 2'), 15_000, 'line 2');
      P.down = true;
      await sleep(1500);
      P.down = false;
      expect(await code).toBe(0);
      expect(out).toBe(lines(1, 12));
      expect(err).toBe(''); // not a terminal: no notice mixed into the remote stderr
    } finally {
      P.down = false;
      child.kill();
    }
  }, 30_000);
});

describe('Disconnect while an answer is on its way', () => {
  it('the answer in flight is delivered to the disconnecting client; the next client gets the rest, nothing lost', async () => {
    const a = new SessionManager();
    const b = new SessionManager();
    let release!: () => void;
    let held!: () => void;
    const inHand = new Promise<void>((r) => { held = r; });
    P.holdWhen = (r) => {
      if (r.action !== 'Receive' || !r.hadData) return undefined;
      P.holdWhen = () => undefined;
      held();
      return new Promise<void>((r2) => { release = r2; });
    };
    try {
      const s = await a.newSession(optionsFor(P.url), { configurationName: 'cmd', name: 'handover' });
      const cmd = await a.invoke(s, 'echo first; sleep 1; echo second');
      let mine = '';
      cmd.stdout.on('data', (c: Buffer) => { mine += c.toString(); });
      await inHand;
      // The server has taken "first" out of its buffer; the answer is still on the wire.
      const disconnecting = a.disconnect(s);
      await sleep(100);
      release();
      await disconnecting;
      expect(mine).toBe('first\n');
      const [t] = await b.getSessions(optionsFor(P.url), { name: 'handover' });
      let rest = '';
      await b.receive(t!, { onData: (_st, c) => { rest += c.toString(); } });
      expect(rest).toBe('second\n');
      await b.remove(t!);
    } finally {
      P.holdWhen = () => undefined;
      await a.close();
      await b.close();
    }
  });
});

describe('a client killed in the middle of a Receive', () => {
  it('leaves a shell that a new client connects to and receives the rest from, with no duplicates', async () => {
    const starter = new SessionManager();
    // Lines 6-10 wait for a gate file made once the client is dead (not a fixed sleep, which a
    // loaded machine can outlast before the kill arrives).
    const gate = path.join(stateDir(), 'gate');
    const s = await starter.invokeInDisconnectedSession(optionsFor(L.url),
      `for i in 1 2 3 4 5; do echo "line $i"; done; n=0; while [ ! -e '${gate}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; for i in 6 7 8 9 10; do echo "line $i"; done`, [], { name: 'killed' });
    await starter.closeConnections();
    const child = spawnWsman(['session', 'receive', '--connection-uri', L.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted', '--name', 'killed'],
      { WSMAN_STATE_DIR: stateDir() });
    let first = '';
    child.stdout!.on('data', (c: Buffer) => { first += c.toString(); });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await until(() => first.includes('line 5'), 15_000, 'line 5 in the first client');
    child.kill('SIGKILL');
    await exited;
    writeFileSync(gate, '');
    const next = new SessionManager();
    try {
      // Busy while the dead client still holds it; None once the keep-alive window passed.
      await until(async () => (await next.getSessions(optionsFor(L.url), { instanceId: s.instanceId }))[0]?.availability === 'None', 10_000, 'None');
      const [mine] = next.sessions({ instanceId: s.instanceId });
      let rest = '';
      await next.receive(mine!, { onData: (_st, c) => { rest += c.toString(); } });
      expect(first).toBe(lines(1, 5));
      expect(rest).toBe(lines(6, 10));
      await next.remove(mine!);
    } finally {
      await next.close();
    }
  }, 30_000);
});
