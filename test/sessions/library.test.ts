/**
 * The PSSession cmdlets of the library against our listener, in process, each "client" a
 * SessionManager of its own (its own SessionId): New, Get, Disconnect, Connect (Reconnect and
 * Connect), Receive (Host and Job), Remove, InDisconnectedSession, the exit rule, idle expiry,
 * another user.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SessionManager } from '../../src/client/sessions/index.js';
import { WsmanFaultError } from '../../src/core/errors.js';
import { startListener, optionsFor, BOB, sleep, until, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => {
  L = await startListener((c) => { c.configurations[0]!.maxIdleTimeoutMs = 3_600_000; });
});
afterAll(async () => { await L?.stop(); });

const LONG = 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.15; done';
const ALL = '123456'.split('').map((i) => `line ${i}\n`).join('');

describe('PSSession cmdlets', () => {
  it('New → run → Disconnect → Get from another client (Disconnected/None) → Receive there; the first sees Busy', async () => {
    const first = new SessionManager();
    const second = new SessionManager();
    try {
      const s = await first.newSession(optionsFor(L.url), { configurationName: 'cmd', name: 'ITTask', idleTimeout: 600_000 });
      expect([s.state, s.availability, s.name, s.configurationName]).toEqual(['Opened', 'Available', 'ITTask', 'cmd']);
      const cmd = await first.invoke(s, LONG);
      expect(s.availability).toBe('Busy');
      let got = '';
      cmd.stdout.on('data', (c: Buffer) => { got += c.toString(); });
      await until(() => got.includes('line 1'), 5000, 'first line');
      await first.disconnect(s);
      expect([s.state, s.availability]).toEqual(['Disconnected', 'None']);
      expect(s.expiresOn!.getTime() - s.disconnectedOn!.getTime()).toBe(600_000);

      const [seen] = await second.getSessions(optionsFor(L.url), { name: 'IT*' });
      expect(seen).toBeDefined();
      expect([seen!.name, seen!.state, seen!.availability, seen!.instanceId]).toEqual(['ITTask', 'Disconnected', 'None', s.instanceId]);
      expect(seen!.idleTimeout).toBe(600_000);
      expect(Math.abs(seen!.expiresOn!.getTime() - s.expiresOn!.getTime())).toBeLessThan(2500);

      let rest = '';
      const job = await second.receiveJob(seen!, { jobName: 'Receive ITTask' });
      expect(job.state).toBe('Running');
      const [mine] = await first.getSessions(optionsFor(L.url), { instanceId: s.instanceId });
      expect([mine!.state, mine!.availability]).toEqual(['Disconnected', 'Busy']);
      for await (const c of job) rest += c.data.toString();
      expect(await job.wait()).toBe('Completed');
      expect(got + rest).toBe(ALL);
      expect([seen!.state, seen!.availability]).toEqual(['Opened', 'Available']);
      await second.remove(seen!);
      expect(seen!.state).toBe('Closed');
      expect(await second.getSessions(optionsFor(L.url), { instanceId: s.instanceId })).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('Reconnect by the same client resumes the same command without loss or duplicates', async () => {
    const m = new SessionManager();
    try {
      const s = await m.newSession(optionsFor(L.url), { configurationName: 'cmd', name: 'again' });
      const cmd = await m.invoke(s, LONG);
      let got = '';
      cmd.stdout.on('data', (c: Buffer) => { got += c.toString(); });
      await until(() => got.includes('line 2'), 5000, 'two lines');
      await m.disconnect(s, { outputBufferingMode: 'Block' });
      await sleep(300);
      await m.connect(s);
      expect(s.phase).toBe('Reconnected');
      const r = await m.receive(s, { onData: (_st, c) => { got += c.toString(); } });
      expect(got).toBe(ALL);
      expect(r.exitCode).toBe(0);
      await m.remove(s);
    } finally {
      await m.close();
    }
  });

  it('InDisconnectedSession: nothing is received before the disconnect; Receive gets all of it', async () => {
    const a = new SessionManager();
    const b = new SessionManager();
    try {
      const s = await a.invokeInDisconnectedSession(optionsFor(L.url), 'echo one; sleep 0.2; echo two; exit 3', [], { name: 'bg' });
      expect([s.state, s.availability]).toEqual(['Disconnected', 'None']);
      const [t] = await b.getSessions(optionsFor(L.url), { name: 'bg' });
      let out = '';
      const r = await b.receive(t!, { onData: (_s, c) => { out += c.toString(); } });
      expect(out).toBe('one\ntwo\n');
      expect(r.exitCode).toBe(3);
      await b.remove(t!);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the exit rule: a session with a command running is left Disconnected, an idle one is deleted', async () => {
    const m = new SessionManager();
    const idle = await m.newSession(optionsFor(L.url), { configurationName: 'cmd', name: 'idle-one' });
    const busy = await m.newSession(optionsFor(L.url), { configurationName: 'cmd', name: 'busy-one' });
    const cmd = await m.invoke(busy, 'sleep 0.5; echo finished');
    cmd.stdout.resume();
    await m.close();
    const other = new SessionManager();
    try {
      const seen = await other.getSessions(optionsFor(L.url), { instanceId: [idle.instanceId, busy.instanceId] });
      expect(seen.map((x) => [x.name, x.state, x.availability])).toEqual([['busy-one', 'Disconnected', 'None']]);
      let out = '';
      await other.receive(seen[0]!, { onData: (_s, c) => { out += c.toString(); } });
      expect(out).toBe('finished\n');
      await other.remove(seen[0]!);
    } finally {
      await other.close();
    }
  });

  it('Disconnect with an IdleTimeout above MaxIdleTimeout is refused naming both values; the session stays Opened', async () => {
    const m = new SessionManager();
    try {
      const s = await m.newSession(optionsFor(L.url), { configurationName: 'cmd' });
      // The Create response said MaxIdleTimeout: refused before asking.
      expect(s.maxIdleTimeout).toBe(3_600_000);
      await expect(m.disconnect(s, { idleTimeout: 7_200_000 })).rejects.toMatchObject({
        code: 'ERR_IDLE_TIMEOUT_RANGE', message: "IdleTimeout 7200 s is above the server's MaxIdleTimeout (3600 s)" });
      expect(s.state).toBe('Opened');
      // Not known (a shell taken over without its Create response): the server's fault, then the
      // limit from its enumeration, so the error still names it.
      s.maxIdleTimeout = undefined;
      await expect(m.disconnect(s, { idleTimeout: 7_200_000 })).rejects.toMatchObject({
        code: 'ERR_IDLE_TIMEOUT_RANGE', message: "IdleTimeout 7200 s is above the server's MaxIdleTimeout (3600 s)", cause: expect.objectContaining({ wsmanCode: 2150859250 }) });
      expect(s.state).toBe('Opened');
      await m.remove(s);
    } finally {
      await m.close();
    }
  });

  it('idle timeout expiry deletes the shell: listed no more, a known session becomes Broken', async () => {
    const m = new SessionManager();
    try {
      const s = await m.invokeInDisconnectedSession(optionsFor(L.url), 'sleep 30', [], { name: 'expiring', idleTimeout: 400 });
      await until(async () => (await new SessionManager().getSessions(optionsFor(L.url), { instanceId: s.instanceId })).length === 0, 5000, 'expiry');
      await m.getSessions(optionsFor(L.url));
      expect(s.state).toBe('Broken');
      await expect(m.connect(s)).rejects.toThrow(/Broken/);
    } finally {
      await m.close();
    }
  });

  it('another user can neither see nor connect to the session', async () => {
    const a = new SessionManager();
    const b = new SessionManager();
    try {
      const s = await a.invokeInDisconnectedSession(optionsFor(L.url), 'sleep 5', [], { name: 'private' });
      expect(await b.getSessions(optionsFor(L.url, BOB), { name: 'private' })).toEqual([]);
      // Even knowing the ShellId, Bob is refused (AccessDenied).
      const [mine] = await new SessionManager().getSessions(optionsFor(L.url), { name: 'private' });
      const bobs = b.clientFor(optionsFor(L.url, BOB));
      const { Shell } = await import('../../src/client/shell.js');
      const stolen = Shell.attach(bobs, mine!.instanceId, mine!.resourceUri, 'Disconnected');
      const err = await stolen.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanFaultError);
      expect((err as WsmanFaultError).wsmanCode).toBe(5);
      await a.connect(s);
      await a.remove(s);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('taking a session back after another client had it', () => {
  it('Reconnect is refused once another client took the shell; the client then Connects', async () => {
    const a = new SessionManager();
    const b = new SessionManager();
    try {
      const s = await a.invokeInDisconnectedSession(optionsFor(L.url), 'echo one; sleep 0.6; echo two', [], { name: 'passed-around' });
      const [t] = await b.getSessions(optionsFor(L.url), { instanceId: s.instanceId });
      await b.connect(t!);
      await b.disconnect(t!);
      // A never listed the session again: it still believes a Reconnect takes it back.
      expect(s.phase).toBe('Disconnected');
      let out = '';
      await a.receive(s, { onData: (_st, c) => { out += c.toString(); } });
      expect(s.phase).toBe('Connected');
      expect(out).toBe('one\ntwo\n');
      await a.remove(s);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
