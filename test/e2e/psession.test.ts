/**
 * The help pages' PowerShell session examples, end to end (issue 17): the PSRP client library over
 * loopback against the listener hosting real `pwsh -s`, sleeps shortened. Each "other computer" is
 * another client object, or another process where the example says so. Skips, saying why, when
 * PowerShell is not installed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Action } from '../../src/core/index.js';
import { WsmanClient } from '../../src/client/client.js';
import { WsmanRunspace, type WsmanRunspaceOptions } from '../../src/client/psrp/wsman.js';
import { eventsUntil } from '../../src/client/psrp/transport.js';
import { deriveState } from '../../src/client/sessions/model.js';
import { ClientRunspacePool, type PsrpEvent } from '../../src/psrp/pool.js';
import { Defragmenter, decodeTyped, EMPTY_GUID } from '../../src/psrp/index.js';
import { scriptSpec } from '../../src/psrp/pipeline.js';
import { defaultConfig } from '../../src/server/config.js';
import { withPowerShell } from '../../src/server/pwsh-find.js';
import type { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { startListener, call, isRunning, ALICE, BOB, type TestListener } from '../server/helpers.js';
import { PS, enumerate } from '../server/pwsh-helpers.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'psession-child.ts');
const run = promisify(execFile);

const clientFor = (url: string, user = 'alice', password = 'secret'): WsmanClient =>
  new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: user, password }, authentication: 'basic', allowUnencrypted: true });

const opened = (e: PsrpEvent): boolean => e.type === 'PoolState' && e.state === 'Opened';
const ended = (e: PsrpEvent): boolean => e.type === 'PipelineState' && ['Completed', 'Failed', 'Stopped'].includes(e.state);
const outputs = (events: PsrpEvent[]): unknown[] => events.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT' ? [e.message.value] : []));

/** Wait on a condition of the listener's or the client's state (no fixed sleep). */
async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** New-PSSession: an opened pool over WS-Man. */
async function newSession(client: WsmanClient, options: WsmanRunspaceOptions = {}): Promise<{ pool: ClientRunspacePool; t: WsmanRunspace }> {
  const pool = new ClientRunspacePool({ rpid: randomUUID() });
  const t = new WsmanRunspace(client, pool, options);
  pool.open();
  await t.flush();
  await eventsUntil(t, opened);
  await t.settled();
  return { pool, t };
}

/** Connect-PSSession + Receive-PSSession from another client (this process). */
async function receiveElsewhere(url: string, shellId: string, rpid: string, pid: string, user?: [string, string]): Promise<{ output: unknown[]; state: string | undefined; t: WsmanRunspace; client: WsmanClient; pool: ClientRunspacePool }> {
  const client = user ? clientFor(url, ...user) : clientFor(url);
  const pool = new ClientRunspacePool({ rpid });
  const t = await WsmanRunspace.connect(client, pool, shellId);
  await eventsUntil(t, opened);
  await t.settled();
  await t.connectPipeline(pid);
  const events = await eventsUntil(t, ended);
  await t.settled();
  const last = events.at(-1);
  return { output: outputs(events), state: last?.type === 'PipelineState' ? last.state : undefined, t, client, pool };
}

function pwshOf(l: TestListener, shellId: string): number {
  return (l.listener.core.store.get(shellId)!.session as PwshSession).pid!;
}

let a: TestListener;
let b: TestListener;
let small: TestListener;
let keep: TestListener;
const clients: WsmanClient[] = [];
beforeAll(async () => {
  if (!PWSH) return;
  a = await startListener({ pwsh: PWSH });
  b = await startListener({ pwsh: PWSH });
  const config = withPowerShell(defaultConfig(), PWSH);
  const ps = config.configurations.find((c) => c.resourceUri === PS)!;
  ps.outputBufferBytes = 4096;
  ps.outputBufferingMode = 'Block';
  small = await startListener({ config });
  const k = withPowerShell(defaultConfig(), PWSH);
  k.clientKeepAliveMs = 1500;
  keep = await startListener({ config: k });
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await Promise.all([a?.stop(), b?.stop(), small?.stop(), keep?.stop()]);
});

describe.skipIf(!PWSH)(`PowerShell sessions on the listener, the help pages' examples${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('New-PSSession -Name Test; Invoke-Command -AsJob { 1..1500 … }; Disconnect-PSSession; another process Connects and Receives: every "Return N" once, in order', async () => {
    const c1 = clientFor(a.url);
    clients.push(c1);
    const { pool, t } = await newSession(c1, { name: 'Test' });
    const pid = randomUUID();
    pool.createPipeline(pid).invoke(scriptSpec('1..1500 | ForEach-Object { "Return $_"; Start-Sleep -Milliseconds 20 }'));
    await t.flush(); // -AsJob: the job receives in the background
    const first: unknown[] = [];
    const job = (async () => {
      for (;;) {
        const e = await t.nextEvent();
        if (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT') first.push(e.message.value);
        // Disconnect-PSSession: the job's pipeline is Disconnected, and this client receives no more.
        if (e.type === 'PipelineState' && e.pid === pid && e.state === 'Disconnected') return;
      }
    })().catch(() => undefined);
    await until('the job to receive some output', () => first.length >= 3);
    await t.disconnect();
    await t.settled(); // the job's Receives end with the Disconnect
    await job;
    const listed = (await enumerate(a.url, ALICE)).find((s) => s.name === 'Test');
    expect(listed?.state).toBe('Disconnected');
    const proc = pwshOf(a, pool.rpid.toUpperCase());
    // Connect-PSSession -Name Test; Receive-PSSession, from another process.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, a.url, listed!.shellId!, pool.rpid, pid], { timeout: 120_000 });
    const second = JSON.parse(stdout.trim().split('\n').at(-1)!) as { output: unknown[]; state: string; poolState: string };
    expect(second.state).toBe('Completed');
    expect(second.output.length).toBeGreaterThan(0);
    expect([...first, ...second.output]).toEqual(Array.from({ length: 1500 }, (_, i) => `Return ${i + 1}`));
    // Its Remove-PSSession ended the pool and its pwsh.
    expect(second.poolState).toBe('Closed');
    await until('pwsh to end', () => !isRunning(proc));
  }, 180_000);

  it('Invoke-Command -InDisconnectedSession -Name BugStatus against two listeners; Get-PSSession shows Disconnected/None; Receive-PSSession returns both results', async () => {
    const started: Array<{ l: TestListener; rpid: string; pid: string; computer: string }> = [];
    for (const [computer, l] of [['Server01', a], ['Server02', b]] as const) {
      const c = clientFor(l.url);
      clients.push(c);
      const { pool, t } = await newSession(c, { name: 'BugStatus', idleTimeout: 60_000 });
      const pid = randomUUID();
      pool.createPipeline(pid).invoke(scriptSpec(`Start-Sleep -Milliseconds 300; "bug status from ${computer}, pwsh $PID"`));
      await t.flush({ receive: false });
      await t.disconnect({ idleTimeout: 60_000 });
      started.push({ l, rpid: pool.rpid, pid, computer });
    }
    const results: unknown[] = [];
    for (const s of started) {
      const listed = (await enumerate(s.l.url, ALICE)).filter((f) => f.name === 'BugStatus');
      expect(listed).toHaveLength(1);
      expect(listed[0]!.state).toBe('Disconnected');
      expect(listed[0]!.idleTimeOut).toBe(60_000);
      expect(deriveState(listed[0]!.state as 'Disconnected', false, true)).toMatchObject({ state: 'Disconnected', availability: 'None' });
      const r = await receiveElsewhere(s.l.url, listed[0]!.shellId!, s.rpid, s.pid);
      clients.push(r.client);
      expect(r.state).toBe('Completed');
      results.push(...r.output);
      r.pool.close();
      await r.t.flush();
    }
    expect(results).toHaveLength(2);
    expect(results[0]).toMatch(/^bug status from Server01, pwsh \d+$/);
    expect(results[1]).toMatch(/^bug status from Server02, pwsh \d+$/);
    // Two PowerShell processes, one per listener.
    expect(new Set(results.map((r) => String(r).split('pwsh ')[1])).size).toBe(2);
  }, 120_000);

  it('Block mode, far more output than the 4 KB buffer while disconnected: PowerShell waits, and the other client receives everything once, in order', async () => {
    const c = clientFor(small.url);
    clients.push(c);
    const { pool, t } = await newSession(c);
    const pid = randomUUID();
    pool.createPipeline(pid).invoke(scriptSpec("1..3000 | ForEach-Object { 'line ' + $_ }"));
    await t.flush({ receive: false });
    await t.disconnect();
    const shell = small.listener.core.store.get(pool.rpid.toUpperCase())!;
    const cmd = shell.command(pid)!;
    await until('the buffer to fill and pwsh to be held', () => cmd.output.isPaused);
    expect(cmd.isDone).toBe(false);
    expect(cmd.output.dropped).toBe(0);
    const r = await receiveElsewhere(small.url, shell.id, pool.rpid, pid);
    clients.push(r.client);
    expect(r.state).toBe('Completed');
    expect(r.output).toEqual(Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`));
    r.pool.close();
    await r.t.flush();
  }, 120_000);

  it('Drop mode while disconnected: the oldest whole messages go, the newest are kept, and what is received decodes', async () => {
    const c = clientFor(small.url);
    clients.push(c);
    const { pool, t } = await newSession(c);
    const pid = randomUUID();
    pool.createPipeline(pid).invoke(scriptSpec("1..3000 | ForEach-Object { 'line ' + $_ }"));
    await t.flush({ receive: false });
    await t.disconnect({ bufferMode: 'Drop' });
    const shell = small.listener.core.store.get(pool.rpid.toUpperCase())!;
    const cmd = shell.command(pid)!;
    await until('the pipeline to end', () => cmd.isDone);
    expect(cmd.output.dropped).toBeGreaterThan(0);
    expect(cmd.output.size).toBeLessThanOrEqual(4096);
    const r = await receiveElsewhere(small.url, shell.id, pool.rpid, pid);
    clients.push(r.client);
    // No message was cut: the pool decoded everything (a cut fragment breaks it), the final state came.
    expect(r.pool.state).toBe('Opened');
    expect(r.state).toBe('Completed');
    const n = r.output.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(3000);
    expect(r.output).toEqual(Array.from({ length: n }, (_, i) => `line ${3000 - n + i + 1}`));
    r.pool.close();
    await r.t.flush();
  }, 120_000);

  it('IdleTimeout of a disconnected PowerShell session: the shell is deleted and its pwsh is gone', async () => {
    const c = clientFor(a.url);
    clients.push(c);
    const { pool, t } = await newSession(c);
    const id = pool.rpid.toUpperCase();
    const proc = pwshOf(a, id);
    await t.disconnect({ idleTimeout: 1000 });
    await until('the idle timeout to delete the shell', () => !a.listener.core.store.has(id));
    await until('pwsh to end', () => !isRunning(proc));
    expect((await enumerate(a.url, ALICE)).some((s) => s.shellId === id)).toBe(false);
  }, 60_000);

  it('another user neither sees nor connects to a disconnected PowerShell session', async () => {
    const c = clientFor(a.url);
    clients.push(c);
    const { pool, t } = await newSession(c, { name: 'Mine' });
    const pid = randomUUID();
    pool.createPipeline(pid).invoke(scriptSpec("'secret ' + 42"));
    await t.flush({ receive: false });
    await t.disconnect();
    const id = pool.rpid.toUpperCase();
    expect((await enumerate(a.url, BOB)).some((s) => s.shellId === id)).toBe(false);
    const bob = clientFor(a.url, 'bob', 'builder');
    clients.push(bob);
    await expect(WsmanRunspace.connect(bob, new ClientRunspacePool({ rpid: pool.rpid }), id)).rejects.toThrow();
    expect(a.listener.core.store.get(id)!.state).toBe('Disconnected');
    // Its owner still can.
    const r = await receiveElsewhere(a.url, id, pool.rpid, pid);
    clients.push(r.client);
    expect(r.output).toEqual(['secret 42']);
    r.pool.close();
    await r.t.flush();
  }, 60_000);

  it('a Connect whose connectXml is not SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL, or to a shell whose pwsh ended, is refused and leaves the shell Disconnected', async () => {
    const c = clientFor(a.url);
    clients.push(c);
    const { pool, t } = await newSession(c);
    await t.disconnect();
    const id = pool.rpid.toUpperCase();
    for (const connectXml of ['not base64!', Buffer.from('garbage bytes that are no fragments').toString('base64'), '']) {
      const r = await call(a.url, Action.Connect, { kind: 'Connect', connectXml }, { selectors: { ShellId: id } }, PS, ALICE);
      expect(r.msg.body.kind).toBe('Fault');
      expect(a.listener.core.store.get(id)!.state).toBe('Disconnected');
    }
    // Its pwsh gone (killed here), a valid Connect is refused too rather than answered from memory.
    const session = a.listener.core.store.get(id)!.session as PwshSession;
    session.kill();
    await until('the listener to see pwsh end', () => session.exited);
    const c2 = clientFor(a.url);
    clients.push(c2);
    await expect(WsmanRunspace.connect(c2, new ClientRunspacePool({ rpid: pool.rpid }), id)).rejects.toThrow(/2150858791/);
    expect(a.listener.core.store.get(id)!.state).toBe('Disconnected');
    await call(a.url, Action.Delete, { kind: 'Empty' }, { selectors: { ShellId: id } }, PS, ALICE);
  }, 60_000);

  it('--client-keepalive: a PowerShell session whose client fell silent becomes Disconnected, pwsh runs on, and another client connects and receives it all', async () => {
    const c = clientFor(keep.url);
    clients.push(c);
    // A client that falls silent: no pool Receive either (PowerShell's keeps one going, which keeps the shell alive).
    const { pool, t } = await newSession(c, { poolReceive: false });
    const pid = randomUUID();
    pool.createPipeline(pid).invoke(scriptSpec('1..20 | ForEach-Object { $_; Start-Sleep -Milliseconds 50 }'));
    await t.flush({ receive: false }); // then silence
    const shell = keep.listener.core.store.get(pool.rpid.toUpperCase())!;
    await until('the keep-alive window to pass', () => shell.state === 'Disconnected');
    expect(shell.lostKeepAlive).toBe(true);
    const r = await receiveElsewhere(keep.url, shell.id, pool.rpid, pid);
    clients.push(r.client);
    expect(r.state).toBe('Completed');
    expect(r.output).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    r.pool.close();
    await r.t.flush();
  }, 60_000);

  it('a client naming the pool by another id: every message it gets carries its id, and it runs pipelines of its own', async () => {
    const c = clientFor(a.url);
    clients.push(c);
    const { pool, t } = await newSession(c);
    const pid = randomUUID();
    pool.createPipeline(pid).invoke(scriptSpec("'one', 'two'"));
    await t.flush({ receive: false });
    await t.disconnect();
    const c2 = clientFor(a.url);
    clients.push(c2);
    const other = randomUUID();
    const pool2 = new ClientRunspacePool({ rpid: other });
    const seen = new Set<string>();
    const spy = new Defragmenter();
    const feed = pool2.receiveData.bind(pool2);
    pool2.receiveData = (bytes: Uint8Array) => {
      for (const m of spy.push(bytes)) seen.add(decodeTyped(m.data).rpid);
      feed(bytes);
    };
    const t2 = await WsmanRunspace.connect(c2, pool2, pool.rpid.toUpperCase());
    await eventsUntil(t2, opened);
    await t2.settled();
    await t2.connectPipeline(pid);
    expect(outputs(await eventsUntil(t2, ended))).toEqual(['one', 'two']);
    await t2.settled();
    pool2.createPipeline(randomUUID()).invoke(scriptSpec('6*7'));
    await t2.flush();
    const own = await eventsUntil(t2, ended);
    expect(outputs(own)).toEqual([42]);
    expect(own.at(-1)).toMatchObject({ state: 'Completed' });
    expect([...seen]).toEqual([other]);
    pool2.close();
    await t2.flush();
  }, 60_000);

  it('runspace limits the pool changed (SET_MAX_RUNSPACES accepted by pwsh) are what a later Connect is told in RUNSPACEPOOL_INIT_DATA', async () => {
    const c = clientFor(a.url);
    clients.push(c);
    const { pool, t } = await newSession(c);
    pool.queueMessage(EMPTY_GUID, { type: 'SET_MAX_RUNSPACES', runspaces: 3, callId: 1n });
    await t.flush();
    const id = pool.rpid.toUpperCase();
    const session = a.listener.core.store.get(id)!.session as PwshSession;
    await until('pwsh to accept the new limit', () => session.runspaces.max === 3);
    await t.disconnect();
    const c2 = clientFor(a.url);
    clients.push(c2);
    const pool2 = new ClientRunspacePool({ rpid: pool.rpid });
    const t2 = await WsmanRunspace.connect(c2, pool2, id);
    const events = await eventsUntil(t2, (e) => e.type === 'Message' && e.message.type === 'RUNSPACEPOOL_INIT_DATA');
    expect(events.at(-1)).toMatchObject({ message: { minRunspaces: 1, maxRunspaces: 3 } });
    await t2.settled();
    pool2.close();
    await t2.flush();
  }, 60_000);
});
