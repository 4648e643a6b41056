/**
 * Disconnected sessions on the listener (issue 5, server half): Disconnect, Reconnect, Connect,
 * in-use and access faults, enumeration fields, idle expiry, Block/Drop buffering, the client
 * keep-alive window, and SequenceId replay of a lost Receive response.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { execSync } from 'node:child_process';
import { Action, ResourceURI, decodeMessage, type ShellFields } from '../../src/core/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { startListener, call, envelope, faultCode, TestShell, BOB, isRunning, type TestListener } from './helpers.js';
import { dispatch } from '../../src/server/dispatch.js';

const A = 'uuid:AAAAAAAA-0000-0000-0000-000000000001';
const B = 'uuid:BBBBBBBB-0000-0000-0000-000000000002';

let t: TestListener;
beforeAll(async () => {
  const config = defaultConfig();
  config.configurations[0]!.outputBufferBytes = 64 * 1024;
  config.configurations[0]!.maxIdleTimeoutMs = 3_600_000;
  t = await startListener({ config });
});
afterAll(async () => {
  await t.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function enumerate(url: string, session?: string, auth?: string): Promise<ShellFields[]> {
  const r = await call(url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, session ? { sessionId: session } : {}, ResourceURI.Shell, auth);
  if (r.msg.body.kind !== 'EnumerateResponse') throw new Error(r.raw);
  return (r.msg.body.items ?? []).flatMap((i) => (i.kind === 'Shell' ? [i.shell] : []));
}

/** Poll until `fn` holds (a bounded wait on the listener's state, not a fixed sleep). */
async function until(fn: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The command has ended on the listener (its output may still wait to be received). */
function commandDone(listener: TestListener, shellId: string, commandId: string): boolean {
  const c = listener.listener.core.store.get(shellId)?.command(commandId.toUpperCase());
  return c?.isDone === true;
}

function shellAs(sh: TestShell, session: string, auth = sh.auth): TestShell {
  return new TestShell(sh.url, sh.id, auth, session);
}

describe('Disconnect, Reconnect, Connect', () => {
  it('keeps the command running while disconnected and delivers its output on Reconnect, once', async () => {
    const sh = await TestShell.create(t.url, { name: 'ITTask' }, { sessionId: A });
    const id = await sh.start('for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done');
    const first = await sh.receive(id);
    const firstOut = first.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(first.msg.body.streams.map((s) => s.data)).toString() : '';
    expect((await sh.op(Action.Disconnect, { kind: 'Disconnect' })).msg.headers.action).toBe(Action.DisconnectResponse);
    const [listed] = (await enumerate(t.url)).filter((s) => s.shellId === sh.id);
    expect(listed?.state).toBe('Disconnected');
    expect(faultCode((await sh.receive(id)).msg)).toBe(2150859204);
    expect(faultCode((await sh.run('echo no')).msg)).toBe(2150859204);
    expect(faultCode((await sh.op(Action.Disconnect, { kind: 'Disconnect' })).msg)).toBe(2150859215);
    await until(() => commandDone(t, sh.id, id), 'the command to end while disconnected');
    expect((await sh.op(Action.Reconnect, { kind: 'Reconnect' })).msg.headers.action).toBe(Action.ReconnectResponse);
    const rest = await sh.collect(id);
    expect(firstOut + rest.stdout.toString()).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
    await sh.delete();
  });

  it('lets another client Connect only to a Disconnected shell; the first then gets the in-use fault', async () => {
    const sh = await TestShell.create(t.url, { name: 'shared' }, { sessionId: A });
    const other = shellAs(sh, B);
    const busy = await other.op(Action.Connect, { kind: 'Connect' });
    expect(faultCode(busy.msg)).toBe(2150859213);
    expect(faultCode((await other.op(Action.Reconnect, { kind: 'Reconnect' })).msg)).toBe(2150859213);
    const id = await sh.start('echo before; sleep 0.3; echo after');
    await sh.op(Action.Disconnect, { kind: 'Disconnect' });
    expect(faultCode((await other.op(Action.Reconnect, { kind: 'Reconnect' })).msg)).toBe(2150859206);
    const conn = await other.op(Action.Connect, { kind: 'Connect' });
    expect(conn.msg.body.kind === 'ConnectResponse' && conn.msg.body.outputStreams).toEqual(['stdout', 'stderr']);
    expect(faultCode((await sh.receive(id)).msg)).toBe(2150859213);
    expect(faultCode((await sh.op(Action.Reconnect, { kind: 'Reconnect' })).msg)).toBe(2150859213);
    const got = await other.collect(id);
    expect(got.stdout.toString()).toBe('before\nafter\n');
    await other.delete();
  });

  it('refuses another user: hidden from enumeration, AccessDenied on Connect', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    await sh.op(Action.Disconnect, { kind: 'Disconnect' });
    expect((await enumerate(t.url, B, BOB)).map((s) => s.shellId)).not.toContain(sh.id);
    const bob = shellAs(sh, B, BOB);
    expect(faultCode((await bob.op(Action.Connect, { kind: 'Connect' })).msg)).toBe(5);
    expect(faultCode((await bob.delete()).msg)).toBe(5);
    await sh.delete();
  });

  it('applies the Disconnect IdleTimeOut and BufferMode, refusing an IdleTimeOut above MaxIdleTimeout', async () => {
    const sh = await TestShell.create(t.url, { name: 'fields' }, { sessionId: A });
    const bad = await sh.op(Action.Disconnect, { kind: 'Disconnect', idleTimeOut: 7_200_000 });
    expect(faultCode(bad.msg)).toBe(2150859250);
    expect((await sh.op(Action.Disconnect, { kind: 'Disconnect', idleTimeOut: 180_000, bufferMode: 'Drop' })).status).toBe(200);
    const r = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, {}, ResourceURI.Shell);
    const item = r.raw.slice(r.raw.indexOf(`<rsp:ShellId>${sh.id}`) - 10);
    const shellXml = item.slice(0, item.indexOf('</rsp:Shell>'));
    const order = [...shellXml.matchAll(/<rsp:(\w+)>/g)].map((m) => m[1]);
    expect(order).toEqual(['ShellId', 'Name', 'ResourceUri', 'Owner', 'ClientIP', 'ProcessId', 'IdleTimeOut', 'InputStreams', 'OutputStreams',
      'MaxIdleTimeOut', 'Locale', 'DataLocale', 'CompressionMode', 'ProfileLoaded', 'Encoding', 'BufferMode', 'State', 'ShellRunTime', 'ShellInactivity',
      'MemoryUsed', 'ChildProcesses']);
    expect(shellXml).toContain('<rsp:IdleTimeOut>PT180.000S</rsp:IdleTimeOut>');
    expect(shellXml).toContain('<rsp:MaxIdleTimeOut>PT3600.000S</rsp:MaxIdleTimeOut>');
    expect(shellXml).toContain('<rsp:BufferMode>Drop</rsp:BufferMode>');
    expect(shellXml).toContain('<rsp:State>Disconnected</rsp:State>');
    expect(shellXml).toMatch(/<rsp:ShellInactivity>P0DT0H0M\d+S<\/rsp:ShellInactivity>/);
    await sh.delete();
  });

  it('answers a pending Receive when the shell is disconnected', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start('sleep 5');
    const pending = sh.receive(id, { operationTimeout: 20_000 });
    await sleep(100);
    const started = Date.now();
    await sh.op(Action.Disconnect, { kind: 'Disconnect' });
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.msg.body.kind === 'ReceiveResponse' && r.msg.body.commandState?.state).toBe('Running');
    await sh.delete();
  });
});

describe('timeouts and buffering', () => {
  it('deletes a disconnected shell when its IdleTimeOut passes and kills its processes', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start('sleep 60 & echo $!; wait');
    const r = await sh.receive(id);
    const pid = Number(r.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(r.msg.body.streams.map((s) => s.data)).toString().trim() : NaN);
    await sh.op(Action.Disconnect, { kind: 'Disconnect', idleTimeOut: 400 });
    const end = Date.now() + 4000;
    while (isRunning(pid) && Date.now() < end) await sleep(50);
    expect(isRunning(pid)).toBe(false);
    expect(faultCode((await sh.op(Action.Reconnect, { kind: 'Reconnect' })).msg)).toBe(2150858843);
  });

  it('Block mode suspends the process at the buffer limit and loses no byte', async () => {
    const cmd = 'seq 1 400000';
    const expected = createHash('sha256').update(execSync(cmd, { maxBuffer: 64 << 20 })).digest('hex');
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start(`${cmd}; echo finished >&2`);
    await sh.op(Action.Disconnect, { kind: 'Disconnect', bufferMode: 'Block' });
    await sleep(500);
    const [cmdItem] = await (async () => {
      const r = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, filterDialect: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter', filterSelectors: { ShellId: sh.id } }, {}, ResourceURI.ShellCommand);
      return r.msg.body.kind === 'EnumerateResponse' ? r.msg.body.items ?? [] : [];
    })();
    expect(cmdItem?.kind === 'Command' && cmdItem.commandState).toBe('Running');
    await sh.op(Action.Reconnect, { kind: 'Reconnect' });
    const got = await sh.collect(id);
    expect(createHash('sha256').update(got.stdout).digest('hex')).toBe(expected);
    expect(got.stderr.toString()).toBe('finished\n');
    await sh.delete();
  });

  it('Drop mode keeps the process running and keeps the newest output', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start('seq 1 400000');
    await sh.op(Action.Disconnect, { kind: 'Disconnect', bufferMode: 'Drop' });
    await until(() => commandDone(t, sh.id, id), 'the command to end while disconnected (Drop: nothing holds it back)');
    await sh.op(Action.Reconnect, { kind: 'Reconnect' });
    const got = await sh.collect(id);
    expect(got.exitCode).toBe(0);
    expect(got.stdout.toString().endsWith('399999\n400000\n')).toBe(true);
    expect(got.stdout.length).toBeLessThanOrEqual(64 * 1024 + 65536);
    await sh.delete();
  });

  it('marks a silent connected shell Disconnected after the keep-alive window so another client can connect', async () => {
    const config = defaultConfig();
    config.clientKeepAliveMs = 300;
    const k = await startListener({ config });
    try {
      const sh = await TestShell.create(k.url, { name: 'laptop' }, { sessionId: A });
      const id = await sh.start('sleep 0.5; echo done');
      await until(async () => (await enumerate(k.url)).find((s) => s.shellId === sh.id)?.state === 'Disconnected', 'the keep-alive window to pass');
      const other = shellAs(sh, B);
      expect((await other.op(Action.Connect, { kind: 'Connect' })).status).toBe(200);
      expect((await other.collect(id)).stdout.toString()).toBe('done\n');
      expect(faultCode((await sh.receive(id)).msg)).toBe(2150859213);
      await other.delete();
      // The same client coming back after a silence simply carries on.
      const mine = await TestShell.create(k.url, {}, { sessionId: A });
      await sleep(600);
      const id2 = await mine.start('echo back');
      expect((await mine.collect(id2)).stdout.toString()).toBe('back\n');
      await mine.delete();
    } finally {
      await k.stop();
    }
  });
});

describe('Receive SequenceId replay', () => {
  it('resends the cached response for a repeated SequenceId, acknowledges on a higher one, refuses an older one', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start("printf abc; sleep 0.4; printf def");
    const text = (r: Awaited<ReturnType<TestShell['receive']>>): string =>
      r.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(r.msg.body.streams.map((s) => s.data)).toString() : `fault ${faultCode(r.msg)}`;
    const r1 = await sh.receive(id, {}, 1);
    expect(text(r1)).toBe('abc');
    expect(r1.raw).toContain('SequenceID="1"');
    const again = await sh.receive(id, {}, 1);
    expect(text(again)).toBe('abc');
    expect(again.msg.headers.relatesTo).toBe(again.requestId);
    let rest = '';
    for (let seq = 2; ; seq++) {
      const r = await sh.receive(id, {}, seq);
      rest += text(r);
      if (r.msg.body.kind === 'ReceiveResponse' && r.msg.body.commandState?.state === 'Done') break;
    }
    expect(rest).toBe('def');
    expect(faultCode((await sh.receive(id, {}, 1)).msg)).toBe(2150858791);
    await sh.delete();
  });

  it('replays a SequenceId 0 answer only when it never reached the connection', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start('printf one; sleep 0.3; printf two; sleep 0.3; printf three');
    const core = t.listener.core;
    const user = core.users.get('alice')!;
    const receive = async (): Promise<{ text: string; onSent?: (ok: boolean) => void }> => {
      const xml = envelope(Action.Receive, { kind: 'Receive', commandId: id, streams: ['stdout'], sequenceId: 0 }, { selectors: { ShellId: sh.id }, sessionId: A });
      const o = await dispatch(core, { body: Buffer.from(xml), user, clientIp: '127.0.0.1', machine: '127.0.0.1', secure: false, endpoint: t.url, closed: new AbortController().signal });
      if (o.kind !== 'soap') throw new Error(o.kind);
      const m = decodeMessage(o.xml);
      const text = m.body.kind === 'ReceiveResponse' ? Buffer.concat(m.body.streams.map((x) => x.data)).toString() : `fault ${faultCode(m)}`;
      return { text, ...(o.onSent ? { onSent: o.onSent } : {}) };
    };
    const first = await receive();
    expect(first.text).toBe('one');
    first.onSent?.(false); // the write failed: the client never got it
    const again = await receive();
    expect(again.text).toBe('one');
    again.onSent?.(true);
    const next = await receive();
    expect(next.text).toBe('two');
    next.onSent?.(true);
    expect((await receive()).text).toBe('three');
    await sh.delete();
  });

  it('never replays unnumbered Receives (SequenceId 0 or absent)', async () => {
    const sh = await TestShell.create(t.url, {}, { sessionId: A });
    const id = await sh.start('printf x; sleep 0.2; printf y');
    const a = await sh.receive(id, {}, 0);
    const b = await sh.receive(id, {}, 0);
    const all = [a, b].map((r) => (r.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(r.msg.body.streams.map((s) => s.data)).toString() : '')).join('');
    expect(all).toBe('xy');
    await sh.delete();
  });
});
