/** Listener shells over loopback: Create, Command, Send, Receive, Signal, Delete and their faults. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI, SignalURI, type Message } from '../../src/core/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { startListener, call, post, envelope, faultCode, TestShell, BOB, isRunning, type TestListener } from './helpers.js';

let t: TestListener;
beforeAll(async () => {
  t = await startListener();
});
afterAll(async () => {
  await t.stop();
});

const alive = isRunning;

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

describe('Create', () => {
  it('answers with ResourceCreated and the full rsp:Shell as Windows formats it', async () => {
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: { name: 'ops', inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } });
    expect(r.status).toBe(200);
    expect(r.msg.headers.action).toBe(Action.CreateResponse);
    expect(r.msg.headers.relatesTo).toBe(r.requestId);
    const b = r.msg.body;
    expect(b.kind).toBe('ResourceCreated');
    if (b.kind !== 'ResourceCreated') return;
    const id = b.selectors!.ShellId!;
    expect(id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(b.address).toBe(t.url);
    expect(b.shell).toMatchObject({ shellId: id, name: 'ops', resourceUri: ResourceURI.Cmd, owner: 'alice', clientIp: '127.0.0.1', idleTimeOut: 7_200_000, inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'], state: 'Connected' });
    expect(r.raw).toContain('<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>');
    expect(r.raw).toContain('<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>');
    await new TestShell(t.url, id).delete();
  });

  it('uses a client-chosen ShellId (uppercased) and refuses a duplicate or a non-GUID', async () => {
    const id = 'b6631d8e-65a0-49f2-9053-a1b156c95777';
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: { requestedShellId: id } });
    expect(r.msg.body.kind === 'ResourceCreated' && r.msg.body.selectors?.ShellId).toBe(id.toUpperCase());
    const dup = await call(t.url, Action.Create, { kind: 'Shell', shell: { requestedShellId: id.toUpperCase() } });
    expect(faultCode(dup.msg)).toBe(2150859223);
    const bad = await call(t.url, Action.Create, { kind: 'Shell', shell: { requestedShellId: 'not-a-guid' } });
    expect(faultCode(bad.msg)).toBe(2150859221);
    await new TestShell(t.url, id.toUpperCase()).delete();
  });

  it('faults with EncodingLimit 2150858824 when an answer would exceed MaxEnvelopeSize', async () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 40; i++) big[`VAR${i}`] = 'v'.repeat(400);
    const sh = await TestShell.create(t.url, { environment: big });
    const r = await sh.op(Action.Get, { kind: 'Empty' }, { maxEnvelopeSize: 8192 });
    expect(faultCode(r.msg)).toBe(2150858824);
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.subcode).toBe('w:EncodingLimit');
    expect((await sh.op(Action.Get)).status).toBe(200);
    await sh.delete();
  });

  it('refuses IdleTimeOut above MaxIdleTimeout', async () => {
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: { idleTimeOut: 3_000_000_000 } });
    expect(faultCode(r.msg)).toBe(2150859250);
  });
});

describe('Command and Receive', () => {
  it('runs through /bin/sh with stdout, stderr and the exit code', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('echo', ['out;', 'echo', 'err', '>&2;', 'exit', '3']);
    const r = await sh.collect(id);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
    expect(r.exitCode).toBe(3);
    await sh.delete();
  });

  it('closes both streams with End and reports Done with ExitCode in the final response', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('true');
    let last: Message | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await sh.receive(id);
      last = r.msg;
      if (r.msg.body.kind === 'ReceiveResponse' && r.msg.body.commandState?.state === 'Done') {
        expect(r.raw).toMatch(/<rsp:Stream Name="stdout" CommandId="[^"]+" End="true"\/>/);
        expect(r.raw).toContain('CommandState/Done');
        expect(r.raw).toContain('<rsp:ExitCode>0</rsp:ExitCode>');
        break;
      }
    }
    expect(last?.body.kind === 'ReceiveResponse' && last.body.commandState?.state).toBe('Done');
    await sh.delete();
  });

  it('passes unicode output through as UTF-8 bytes', async () => {
    const sh = await TestShell.create(t.url, {}, { options: [{ name: 'WINRS_CODEPAGE', value: '65001' }] });
    const id = await sh.start("printf 'héllo wörld ✓ 日本'");
    expect((await sh.collect(id)).stdout.toString('utf8')).toBe('héllo wörld ✓ 日本');
    await sh.delete();
  });

  it('runs the program directly with WINRS_SKIP_CMD_SHELL and faults when it does not exist', async () => {
    const sh = await TestShell.create(t.url);
    const skip = { options: [{ name: 'WINRS_SKIP_CMD_SHELL', value: 'TRUE' }] };
    const id = await sh.start('/bin/echo', ['a  b', '$HOME'], skip);
    expect((await sh.collect(id)).stdout.toString()).toBe('a  b $HOME\n');
    const missing = await sh.run('/no/such/program', [], skip);
    expect(missing.status).toBe(500);
    expect(missing.msg.body.kind).toBe('Fault');
    await sh.delete();
  });

  it('applies Environment and WorkingDirectory', async () => {
    const sh = await TestShell.create(t.url, { environment: { GREETING: 'hi there' }, workingDirectory: '/tmp' });
    const id = await sh.start('echo "$GREETING"; pwd');
    expect((await sh.collect(id)).stdout.toString()).toBe('hi there\n/tmp\n');
    await sh.delete();
  });

  it('feeds stdin with Send and honours End', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('cat');
    expect((await sh.send(id, 'line one\n')).status).toBe(200);
    expect((await sh.send(id, 'line two\n', true)).msg.body.kind).toBe('SendResponse');
    const r = await sh.collect(id);
    expect(r.stdout.toString()).toBe('line one\nline two\n');
    expect(r.exitCode).toBe(0);
    await sh.delete();
  });

  it('answers a Receive pending on one connection as soon as a Send on another produces output', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('cat');
    const pending = sh.receive(id, { operationTimeout: 20_000 });
    await new Promise((r) => setTimeout(r, 100));
    await sh.send(id, 'ping\n');
    const r = await pending;
    expect(r.msg.body.kind === 'ReceiveResponse' && Buffer.concat(r.msg.body.streams.map((s) => s.data)).toString()).toBe('ping\n');
    await sh.send(id, '', true);
    await sh.collect(id);
    await sh.delete();
  });

  it('answers w:TimedOut 2150858793 (s:Receiver, HTTP 500, RelatesTo) when nothing happens within OperationTimeout', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('sleep 30');
    const r = await sh.receive(id, { operationTimeout: 300 });
    expect(r.status).toBe(500);
    expect(faultCode(r.msg)).toBe(2150858793);
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.subcode).toBe('w:TimedOut');
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.soapCode).toBe('Receiver');
    expect(r.msg.headers.relatesTo).toBe(r.requestId);
    await sh.delete();
  });

  it('never exceeds the request MaxEnvelopeSize: output is split across Receives and arrives whole', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('head -c 200000 /dev/urandom | od -An -tx1 -v | tr -d " \\n"; echo');
    const r = await sh.collect(id, { maxEnvelopeSize: 8192 });
    expect(r.stdout.length).toBe(400001);
    expect(r.receives).toBeGreaterThan(30);
    for (const size of r.sizes) expect(size).toBeLessThanOrEqual(8192);
    await sh.delete();
  });

  it('unknown ShellId and CommandId get w:InvalidSelectors 2150858843 with the UnexpectedSelectors detail', async () => {
    const ghost = new TestShell(t.url, '00000000-0000-0000-0000-000000000001');
    const r = await ghost.op(Action.Get);
    expect(r.status).toBe(500);
    expect(faultCode(r.msg)).toBe(2150858843);
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.faultDetail).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors');
    const sh = await TestShell.create(t.url);
    const bad = await sh.receive('11111111-1111-1111-1111-111111111111');
    expect(faultCode(bad.msg)).toBe(2150858843);
    await sh.delete();
  });
});

describe('Signal and Delete', () => {
  it('ctrl_c (URI in any case) interrupts the command, terminate releases it', async () => {
    const sh = await TestShell.create(t.url);
    // Direct exec: /bin/sh may catch an early SIGINT and lose it when it execs its last command.
    const id = await sh.start('/bin/sleep', ['30'], { options: [{ name: 'WINRS_SKIP_CMD_SHELL', value: 'TRUE' }] });
    const sig = await sh.signal(id, SignalURI.CtrlC.toUpperCase().replace('HTTP://', 'http://'));
    expect(sig.msg.body.kind).toBe('SignalResponse');
    const r = await sh.collect(id);
    expect(r.exitCode).toBe(130);
    expect((await sh.signal(id, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate')).status).toBe(200);
    expect(faultCode((await sh.receive(id)).msg)).toBe(2150858843);
    await sh.delete();
  });

  it('Delete kills the whole process tree of the shell', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('sleep 60 & echo $!; wait');
    const first = await sh.receive(id);
    const pid = Number(first.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(first.msg.body.streams.map((s) => s.data)).toString().trim() : NaN);
    expect(alive(pid)).toBe(true);
    expect((await sh.delete()).msg.headers.action).toBe(Action.DeleteResponse);
    expect(await until(() => !alive(pid))).toBe(true);
    expect(faultCode((await sh.op(Action.Get)).msg)).toBe(2150858843);
  });
});

describe('Get, Enumerate, Pull, Release', () => {
  it('Get of a shell returns its fields with MemoryUsed and ChildProcesses', async () => {
    const sh = await TestShell.create(t.url, { name: 'getme' });
    for (const uri of [ResourceURI.Cmd, ResourceURI.Shell]) {
      const r = await call(t.url, Action.Get, { kind: 'Empty' }, { selectors: { ShellId: sh.id.toLowerCase() } }, uri);
      expect(r.msg.body.kind === 'Shell' && r.msg.body.shell).toMatchObject({ shellId: sh.id, name: 'getme', state: 'Connected', childProcesses: 0 });
      expect(r.raw).toMatch(/<rsp:MemoryUsed>\d+MB<\/rsp:MemoryUsed>/);
    }
    await sh.delete();
  });

  it('enumerates the caller\'s shells (optimized and with Pull/Release) and hides them from others', async () => {
    const a = await TestShell.create(t.url, { name: 'one' });
    const b = await TestShell.create(t.url, { name: 'two' });
    const opt = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, {}, ResourceURI.Shell);
    const eb = opt.msg.body;
    expect(eb.kind === 'EnumerateResponse' && eb.endOfSequence).toBe(true);
    const names = eb.kind === 'EnumerateResponse' ? eb.items!.map((i) => (i.kind === 'Shell' ? i.shell.name : '')) : [];
    expect(names).toEqual(expect.arrayContaining(['one', 'two']));
    expect(opt.raw).toContain('<rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut>');
    expect(opt.raw).toContain('<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded>');

    const plain = await call(t.url, Action.Enumerate, { kind: 'Enumerate' }, {}, ResourceURI.Shell);
    const ctx = plain.msg.body.kind === 'EnumerateResponse' ? plain.msg.body.context : '';
    expect(ctx).toMatch(/^uuid:/);
    const p1 = await call(t.url, Action.Pull, { kind: 'Pull', context: ctx, maxElements: 1 }, {}, ResourceURI.Shell);
    expect(p1.msg.body.kind === 'PullResponse' && p1.msg.body.items.length).toBe(1);
    expect(p1.msg.body.kind === 'PullResponse' && p1.msg.body.endOfSequence).toBeFalsy();
    const rel = await call(t.url, Action.Release, { kind: 'Release', context: ctx }, {}, ResourceURI.Shell);
    expect(rel.status).toBe(200);
    const gone = await call(t.url, Action.Pull, { kind: 'Pull', context: ctx }, {}, ResourceURI.Shell);
    expect(faultCode(gone.msg)).toBe(2150858779);

    const bob = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true }, {}, ResourceURI.Shell, BOB);
    expect(bob.msg.body.kind === 'EnumerateResponse' && bob.msg.body.items).toEqual([]);
    const denied = await call(t.url, Action.Get, { kind: 'Empty' }, { selectors: { ShellId: a.id } }, ResourceURI.Cmd, BOB);
    expect(faultCode(denied.msg)).toBe(5);
    expect(denied.msg.body.kind === 'Fault' && denied.msg.body.fault.subcode).toBe('w:AccessDenied');
    await a.delete();
    await b.delete();
  });

  it('splits a large enumeration so that no response exceeds MaxEnvelopeSize', async () => {
    const config = defaultConfig();
    config.configurations[0]!.maxShellsPerUser = 100;
    const e = await startListener({ config });
    try {
      for (let i = 0; i < 30; i++) await TestShell.create(e.url, { name: `shell-${i}-${'x'.repeat(300)}` });
      const first = await call(e.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, { maxEnvelopeSize: 8192 }, ResourceURI.Shell);
      expect(Buffer.byteLength(first.raw)).toBeLessThanOrEqual(8192);
      const b = first.msg.body;
      if (b.kind !== 'EnumerateResponse') throw new Error(first.raw);
      let count = b.items!.length;
      let ctx = b.context;
      expect(ctx).not.toBe('');
      for (;;) {
        const p = await call(e.url, Action.Pull, { kind: 'Pull', context: ctx, maxElements: 1000 }, { maxEnvelopeSize: 8192 }, ResourceURI.Shell);
        expect(Buffer.byteLength(p.raw)).toBeLessThanOrEqual(8192);
        if (p.msg.body.kind !== 'PullResponse') throw new Error(p.raw);
        count += p.msg.body.items.length;
        if (p.msg.body.endOfSequence) break;
        ctx = p.msg.body.context!;
      }
      expect(count).toBe(30);
    } finally {
      await e.stop();
    }
  });

  it('enumerates a shell\'s commands only with a ShellId SelectorFilter', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('sleep 30');
    const r = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, filterDialect: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter', filterSelectors: { ShellId: sh.id } }, {}, ResourceURI.ShellCommand);
    expect(r.msg.body.kind === 'EnumerateResponse' && r.msg.body.items).toEqual([{ kind: 'Command', commandId: id, commandLine: 'sleep 30', commandState: 'Running' }]);
    const nofilter = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true }, {}, ResourceURI.ShellCommand);
    expect(faultCode(nofilter.msg)).toBe(2150859200);
    await sh.delete();
  });
});

describe.skipIf(process.getuid?.() !== 0)('--run-as (listener running as root)', () => {
  it('runs a mapped user\'s processes as that account with its home and environment', async () => {
    const ra = await startListener();
    ra.listener.core.users.setRunAs('bob', 'nobody');
    try {
      const sh = await TestShell.create(ra.url, {}, {}, BOB);
      const id = await sh.start('id -u; id -g; echo "$HOME $USER"');
      expect((await sh.collect(id)).stdout.toString()).toBe('65534\n65534\n/nonexistent nobody\n');
      const mine = await TestShell.create(ra.url);
      const id2 = await mine.start('id -u');
      expect((await mine.collect(id2)).stdout.toString()).toBe('0\n');
    } finally {
      await ra.stop();
    }
  });
});

describe('limits, redirect, hostile input', () => {
  it('enforces MaxShellsPerUser with the quota fault', async () => {
    const q = await startListener({ config: { maxEnvelopeSizeKb: 500, maxTimeoutMs: 60000, enumerationTimeoutMs: 60000, clientKeepAliveMs: 0, maxMemoryPerUserMB: 64, configurations: [{ name: 'cmd', resourceUri: ResourceURI.Cmd, idleTimeoutMs: 7_200_000, maxIdleTimeoutMs: 2_147_483_647, outputBufferingMode: 'Block', outputBufferBytes: 1 << 20, maxShellsPerUser: 2, maxConcurrentOperationsPerUser: 100, maxProcessesPerShell: 25, maxMemoryPerShellMB: 1024 }] } });
    try {
      await TestShell.create(q.url);
      await TestShell.create(q.url);
      const r = await call(q.url, Action.Create, { kind: 'Shell', shell: {} });
      expect(faultCode(r.msg)).toBe(2150859173);
      expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.subcode).toBe('w:QuotaLimit');
    } finally {
      await q.stop();
    }
  });

  it('enforces MaxConcurrentOperationsPerUser with the quota fault', async () => {
    const config = defaultConfig();
    config.configurations[0]!.maxConcurrentOperationsPerUser = 2;
    const q = await startListener({ config });
    try {
      const sh = await TestShell.create(q.url);
      const id = await sh.start('sleep 5');
      const pending = [sh.receive(id, { operationTimeout: 1500 }), sh.receive(id, { operationTimeout: 1500 })];
      await new Promise((r) => setTimeout(r, 150));
      const third = await sh.op(Action.Get);
      expect(faultCode(third.msg)).toBe(2150859174);
      expect(third.msg.body.kind === 'Fault' && third.msg.body.fault.subcode).toBe('w:QuotaLimit');
      await Promise.all(pending);
      expect((await sh.op(Action.Get)).status).toBe(200);
    } finally {
      await q.stop();
    }
  });

  it('answers shell Create with 302 and Location under --redirect', async () => {
    const rd = await startListener({ redirect: 'https://elsewhere.example/wsman' });
    try {
      const r = await post(rd.url, envelope(Action.Create, { kind: 'Shell', shell: {} }));
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe('https://elsewhere.example/wsman');
      expect(r.headers['content-length']).toBe('0');
    } finally {
      await rd.stop();
    }
  });

  it('deletes a shell whose IdleTimeOut passes and kills its processes', async () => {
    const sh = await TestShell.create(t.url, { idleTimeOut: 400 });
    const id = await sh.start('sleep 60 & echo $!; wait');
    const first = await sh.receive(id);
    const pid = Number(first.msg.body.kind === 'ReceiveResponse' ? Buffer.concat(first.msg.body.streams.map((s) => s.data)).toString().trim() : NaN);
    expect(await until(() => !alive(pid), 4000)).toBe(true);
    expect(faultCode((await sh.op(Action.Get)).msg)).toBe(2150858843);
  });

  it('survives hostile requests while another shell keeps working', async () => {
    const sh = await TestShell.create(t.url);
    const id = await sh.start('cat');
    const hostile = [
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
      '<'.repeat(5000),
      '<a>' + '<b>'.repeat(2000) + '</b>'.repeat(2000) + '</a>',
      envelope(Action.Send, { kind: 'Send', streams: [] }, { selectors: { ShellId: sh.id } }).replace('<rsp:Send/>', `<rsp:Send><rsp:Stream Name="stdin" CommandId="${id}">!!!not base64!!!</rsp:Stream></rsp:Send>`),
      envelope(Action.Receive, { kind: 'Receive', streams: ['stdout'] }, { selectors: { ShellId: sh.id } }).replace('<rsp:DesiredStream>', '<rsp:DesiredStream CommandId="../../etc">'),
      Buffer.from([0xff, 0xfe, 0x00, 0xd8, 0x41]).toString('latin1'),
    ];
    for (const body of hostile) {
      const r = await post(t.url, body);
      expect([400, 500]).toContain(r.status);
    }
    await sh.send(id, 'still here\n', true);
    expect((await sh.collect(id)).stdout.toString()).toBe('still here\n');
    await sh.delete();
  });
});
