/**
 * Issue 15, output memory: one user cannot make the listener hold unbounded command output.
 * MaxProcessesPerShell refuses the command past the quota with Windows' QuotaLimit fault;
 * MaxMemoryPerShellMB and MaxMemoryPerUserMB pause producers (Block) without losing a byte and
 * without failing the command, or discard the oldest output (Drop); Delete gives the memory back.
 * Driven over loopback as a client would; buffered bytes are read from the listener's state.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Action, ResourceURI, type BufferMode } from '../../src/core/index.js';
import { parseConfig, defaultConfig } from '../../src/server/config.js';
import { OUTPUT_RESERVE, OutputBuffer } from '../../src/server/output.js';
import { MemoryBudget } from '../../src/server/budget.js';
import { startListener, call, faultCode, TestShell, BOB, type TestListener } from '../server/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KB = 1024;
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `seq 1 N` as the process prints it: deterministic, and order or loss shows in a comparison. */
const N = 300_000;
const SEQ = Buffer.from(Array.from({ length: N }, (_, i) => `${i + 1}\n`).join(''));

const listeners: TestListener[] = [];
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
});

async function listen(config: Record<string, unknown>): Promise<TestListener> {
  const l = await startListener({ config: parseConfig({ ClientKeepAliveMs: 0, ...config }) });
  listeners.push(l);
  return l;
}

/** Bytes of output the listener holds for these shells' commands. */
function held(l: TestListener, shells: TestShell[]): number {
  let n = 0;
  for (const sh of shells) for (const c of l.listener.core.store.get(sh.id)!.commands.values()) n += c.output.size;
  return n;
}

/**
 * Wait until the held output is at least `min` and has not changed for 3 samples 150 ms apart
 * (producers paused or finished); returns it.
 */
async function settled(l: TestListener, shells: TestShell[], min = 1): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 200; i++) {
    await sleep(150);
    const now = held(l, shells);
    same = now === last ? same + 1 : 0;
    if (same >= 3 && now >= min) return now;
    last = now;
  }
  throw new Error('output never settled');
}

function create(l: TestListener, auth?: string, bufferMode?: BufferMode): Promise<TestShell> {
  return TestShell.create(l.url, bufferMode ? { bufferMode } : {}, {}, auth);
}

describe('budget rules (OutputBuffer with a shell budget under a user budget)', () => {
  function setup(mode: BufferMode = 'Block') {
    const user = new MemoryBudget(300 * KB);
    const shell = new MemoryBudget(0, user);
    const events: string[] = [];
    const buf = (name: string) => new OutputBuffer(mode, 8 * MB, () => events.push(`${name} paused`), () => events.push(`${name} resumed`), shell);
    return { user, shell, events, a: buf('a'), b: buf('b') };
  }
  const data = (n: number) => Buffer.alloc(n, 0x61);

  it('Block: pauses a producer past its reserve while the user budget is full, resumes it as output is taken', () => {
    const { user, events, a, b } = setup();
    for (let i = 0; i < 5; i++) a.push('stdout', data(64 * KB));
    expect(events).toEqual(['a paused']);
    expect(user.used).toBe(320 * KB);
    b.push('stdout', data(32 * KB)); // within b's reserve: b goes on
    expect(events).toEqual(['a paused']);
    b.push('stdout', data(64 * KB));
    expect(events).toEqual(['a paused', 'b paused']);
    const taken = a.take(200 * KB, 100).reduce((n, c) => n + c.data.length, 0);
    expect(taken).toBeGreaterThan(100 * KB);
    expect(user.used).toBe(320 * KB + 96 * KB - taken);
    expect(events.slice(2).sort()).toEqual(['a resumed', 'b resumed']);
  });

  it('Drop: keeps the budget by discarding the oldest bytes of the producer, down to its reserve', () => {
    const { user, events, a } = setup('Drop');
    for (let i = 0; i < 10; i++) a.push('stdout', Buffer.alloc(64 * KB, 0x30 + i));
    expect(events).toEqual([]);
    expect(user.used).toBeLessThanOrEqual(300 * KB);
    expect(a.dropped).toBe(640 * KB - a.size);
    const out = Buffer.concat(a.take(1024 * KB, 100).map((c) => c.data));
    expect(out.at(-1)).toBe(0x39); // the newest bytes are kept
  });

  it('clear (Delete) gives every byte back and resumes nobody', () => {
    const { user, shell, events, a } = setup();
    for (let i = 0; i < 6; i++) a.push('stdout', data(64 * KB));
    a.clear();
    expect(shell.used).toBe(0);
    expect(user.used).toBe(0);
    a.push('stdout', data(64 * KB));
    expect(user.used).toBe(0);
    expect(events).toEqual(['a paused']);
  });
});

describe('MaxProcessesPerShell', () => {
  it('refuses a command past the quota with w:QuotaLimit 0x803381E9, and takes one again when a command ends', async () => {
    const l = await listen({ SessionConfigurations: [{ Name: 'cmd', MaxProcessesPerShell: 2 }] });
    const sh = await create(l);
    const a = await sh.start('sleep 30');
    await sh.start('sleep 30');
    const r = await sh.run('sleep 30');
    expect(r.status).toBe(500);
    expect(faultCode(r.msg)).toBe(0x803381e9);
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.subcode).toBe('w:QuotaLimit');
    expect(l.listener.core.store.get(sh.id)!.commands.size).toBe(2);
    expect((await sh.signal(a, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate')).status).toBe(200);
    expect((await sh.run('sleep 30')).msg.body.kind).toBe('CommandResponse');
    await sh.delete();
  });

  it('has Windows defaults, is read from --config and reported by winrm/config', async () => {
    const d = defaultConfig();
    expect(d.configurations[0]!.maxProcessesPerShell).toBe(25);
    expect(d.configurations[0]!.maxMemoryPerShellMB).toBe(1024);
    expect(d.maxMemoryPerUserMB).toBe(64);
    const l = await listen({ MaxMemoryPerUserMB: 48, SessionConfigurations: [{ Name: 'cmd', MaxProcessesPerShell: 7, MaxMemoryPerShellMB: 300 }] });
    const r = await call(l.url, Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config);
    if (r.msg.body.kind !== 'Config') throw new Error(r.raw);
    expect(r.msg.body.config.Winrs).toMatchObject({ MaxProcessesPerShell: '7', MaxMemoryPerShellMB: '300', MaxMemoryPerUserMB: '48' });
  });
});

describe('memory budgets, Block mode', () => {
  it('MaxMemoryPerShellMB pauses the producers, loses no byte and fails no command', async () => {
    const l = await listen({ MaxMemoryPerUserMB: 0, SessionConfigurations: [{ Name: 'cmd', MaxMemoryPerShellMB: 1 }] });
    const sh = await create(l);
    const ids = [await sh.start(`seq 1 ${N}`), await sh.start(`seq 1 ${N}`), await sh.start(`seq 1 ${N}`)];
    const total = await settled(l, [sh], 1 * MB);
    // 5.7 MB produced; held: the budget, plus per command its reserve and the chunk that filled it.
    expect(total).toBeLessThanOrEqual(1 * MB + ids.length * (OUTPUT_RESERVE + 128 * KB));
    const cmds = [...l.listener.core.store.get(sh.id)!.commands.values()];
    expect(cmds.some((c) => !c.isDone)).toBe(true); // waiting for the client, not finished
    for (const id of ids) {
      const out = await sh.collect(id);
      expect(out.exitCode).toBe(0);
      expect(out.stdout.equals(SEQ)).toBe(true);
    }
    await sh.delete();
  });

  it("MaxMemoryPerUserMB bounds all of one user's shells, and another user's commands go on", async () => {
    const l = await listen({ MaxMemoryPerUserMB: 1 });
    const shells = [await create(l), await create(l)];
    const ids = await Promise.all(shells.flatMap((sh) => [sh.start(`seq 1 ${N}`), sh.start(`seq 1 ${N}`)]));
    const total = await settled(l, shells, 1 * MB);
    expect(total).toBeLessThanOrEqual(1 * MB + ids.length * (OUTPUT_RESERVE + 128 * KB));
    expect(l.listener.core.store.budgetOf('alice').used).toBe(total);
    // Bob has his own budget: his command runs to the end while alice's budget is full.
    const bob = await create(l, BOB);
    const b = await bob.collect(await bob.start(`seq 1 ${N}`));
    expect(b.stdout.equals(SEQ)).toBe(true);
    expect(held(l, shells)).toBe(total);
    for (const [i, id] of ids.entries()) {
      const out = await shells[i >> 1]!.collect(id);
      expect(out.exitCode).toBe(0);
      expect(out.stdout.equals(SEQ)).toBe(true);
    }
    expect(l.listener.core.store.budgetOf('alice').used).toBe(0);
    for (const sh of [...shells, bob]) await sh.delete();
  });

  it('a command being read goes on while another command of the user holds the budget', async () => {
    const l = await listen({ MaxMemoryPerUserMB: 1 });
    const sh = await create(l);
    await sh.start('yes');
    await settled(l, [sh], 1 * MB);
    const out = await sh.collect(await sh.start(`seq 1 ${N}`));
    expect(out.stdout.equals(SEQ)).toBe(true);
    await sh.delete();
  });
});

describe('memory budgets, Drop mode', () => {
  it('keeps the shell within its budget by discarding the oldest output; the processes finish', async () => {
    const l = await listen({ MaxMemoryPerUserMB: 0, SessionConfigurations: [{ Name: 'cmd', MaxMemoryPerShellMB: 1 }] });
    const sh = await create(l, undefined, 'Drop');
    const ids = [await sh.start(`seq 1 ${N}`), await sh.start(`seq 1 ${N}`)];
    const shell = l.listener.core.store.get(sh.id)!;
    for (let i = 0; i < 100 && [...shell.commands.values()].some((c) => !c.isDone); i++) await sleep(100);
    expect([...shell.commands.values()].every((c) => c.isDone)).toBe(true);
    expect(held(l, [sh])).toBeLessThanOrEqual(1 * MB + ids.length * (OUTPUT_RESERVE + 128 * KB));
    const out = await sh.collect(ids[0]!);
    expect(out.stdout.length).toBeLessThan(SEQ.length);
    expect(SEQ.subarray(SEQ.length - out.stdout.length).equals(out.stdout)).toBe(true); // the newest output, whole
    await sh.delete();
  });
});

/** What held output can occupy: the JavaScript heap (where it is kept) and Buffers (how it arrives). */
function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * memory() once what earlier tests left is gone: the least of a few collections 50 ms apart (backing
 * stores are freed on a background thread after a GC, so one taken at once can still count them,
 * and the growth measured from it came out negative on a fresh clone).
 */
async function baseMemory(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(50);
    least = Math.min(least, memory());
  }
  return least;
}

describe('memory after Delete', () => {
  it('holds at most the user budget while 20 producers run, and gives it back on Delete', async () => {
    const l = await listen({ MaxMemoryPerUserMB: 16 });
    const base = await baseMemory();
    const sh = await create(l);
    for (let i = 0; i < 20; i++) await sh.start('yes');
    const total = await settled(l, [sh], 16 * MB);
    expect(total).toBeLessThanOrEqual(16 * MB + 20 * (OUTPUT_RESERVE + 128 * KB));
    gc();
    const peak = memory() - base;
    expect(peak, 'held while running').toBeGreaterThan(8 * MB);
    expect(peak, 'held while running').toBeLessThan(48 * MB); // 20 commands x 8 MiB (160 MB) without the budget
    await sh.delete();
    expect(l.listener.core.store.budgetOf('alice').used).toBe(0);
    // Backing stores are freed by a GC, some on a background thread just after it.
    let after = Infinity;
    for (let i = 0; i < 20 && after >= 8 * MB; i++) {
      gc();
      await sleep(100);
      after = memory() - base;
    }
    expect(after, 'left after Delete').toBeLessThan(8 * MB);
  });

  it('has the heap collected within seconds of a Delete that frees much output, without a forced collection', async () => {
    const l = await listen({ MaxMemoryPerUserMB: 32 });
    const sh = await create(l);
    for (let i = 0; i < 20; i++) await sh.start('yes');
    await settled(l, [sh], 32 * MB);
    gc();
    const full = process.memoryUsage().heapUsed;
    await sh.delete();
    let now = full;
    for (let i = 0; i < 40 && now > full - 24 * MB; i++) {
      await sleep(250);
      now = process.memoryUsage().heapUsed;
    }
    expect(now).toBeLessThan(full - 24 * MB);
  }, 20_000);
});
