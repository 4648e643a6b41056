/** Fan-out over many endpoints with a throttle limit (Invoke-Command -ThrottleLimit). */
import { describe, it, expect, afterAll } from 'vitest';
import { getEventListeners } from 'node:events';
import { invokeOnComputers, type FanOutResult } from '../../src/client/invoke.js';
import { WsmanAuthError } from '../../src/core/errors.js';
import type { ClientOptions } from '../../src/client/options.js';
import { startFake, type Fake } from './helpers/fake-winrm.js';

const fakes: Fake[] = [];
afterAll(async () => { await Promise.all(fakes.map((f) => f.close())); });

describe('fan-out', () => {
  it('runs on every computer, never more than throttleLimit at once, and reports each result', async () => {
    let live = 0;
    let peak = 0;
    for (let i = 0; i < 10; i++) fakes.push(await startFake({ receiveDelayMs: 60, stdout: `host${i}\n`, exitCode: i === 7 ? 7 : 0 }));
    const targets: ClientOptions[] = fakes.map((f) => ({ endpoint: { computerName: '127.0.0.1', port: f.port } }));
    const seen: string[] = [];
    const results = await invokeOnComputers(targets, { command: 'x' }, {
      throttleLimit: 3,
      onStart: () => { live++; peak = Math.max(peak, live); },
      onDone: () => { live--; },
      onData: (_name, stream, chunk) => { if (stream === 'stdout') seen.push(chunk.toString()); },
    });
    expect(peak).toBe(3);
    expect(results.map((r: FanOutResult) => r.exitCode)).toEqual([0, 0, 0, 0, 0, 0, 0, 7, 0, 0]);
    expect(seen.sort()).toEqual(fakes.map((_, i) => `host${i}\n`).sort());
    // Every server saw its whole conversation, with the shell deleted at the end.
    for (const f of fakes) expect(f.openShells.size).toBe(0);
    const events = fakes.flatMap((f) => f.requests.filter((r) => /Create$|Delete$/.test(r.headers.action ?? '')).map((r) => r.headers.action));
    expect(events.length).toBe(20);
  });

  it('a fan-out to 40 computers with one abort signal prints no MaxListenersExceededWarning', async () => {
    const many: Fake[] = [];
    for (let i = 0; i < 40; i++) many.push(await startFake({ receiveDelayMs: 50, stdout: `h${i}\n` }));
    fakes.push(...many);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => { warnings.push(w); };
    process.on('warning', onWarning);
    try {
      const ac = new AbortController();
      const results = await invokeOnComputers(many.map((f) => ({ endpoint: { computerName: '127.0.0.1', port: f.port } })),
        { command: 'x', stdin: 'input' }, { throttleLimit: 32, signal: ac.signal });
      expect(results.map((r) => r.exitCode)).toEqual(many.map(() => 0));
      // Nothing stays subscribed to the caller's signal.
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });

  it('aborting the fan-out stops every computer', async () => {
    const slow: Fake[] = [];
    for (let i = 0; i < 3; i++) slow.push(await startFake({ receiveDelayMs: 60_000 }));
    fakes.push(...slow);
    const ac = new AbortController();
    const running = invokeOnComputers(slow.map((f) => ({ endpoint: { computerName: '127.0.0.1', port: f.port } })), { command: 'x' }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort(new Error('stop'));
    const results = await running;
    expect(results.map((r) => r.error?.message)).toEqual(['stop', 'stop', 'stop']);
  });

  it('a failing computer does not stop the others', async () => {
    const bad = await startFake({ authorization: 'Basic nope' });
    const good = await startFake();
    fakes.push(bad, good);
    const results = await invokeOnComputers([
      { endpoint: { connectionUri: bad.url }, credential: { username: 'a', password: 'b' }, authentication: 'basic', allowUnencrypted: true },
      { endpoint: { connectionUri: good.url } },
    ], { command: 'x' }, { throttleLimit: 32 });
    expect(results[0]?.error).toBeInstanceOf(WsmanAuthError);
    expect(results[1]?.exitCode).toBe(0);
  });
});
