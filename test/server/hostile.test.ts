/**
 * Hostile and malformed input: random mutations of valid requests never crash the listener, always
 * get an HTTP answer of a known kind, and never disturb a shell that another client is using.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { Action, ResourceURI } from '../../src/core/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { startListener, post, envelope, TestShell, type TestListener } from './helpers.js';

let t: TestListener;
let sh: TestShell;
let cid: string;
beforeAll(async () => {
  const config = defaultConfig();
  config.configurations[0]!.maxShellsPerUser = 10_000;
  // A mutated OperationTimeout (PT0.050S with "0." cut out is PT050S) must not hold a Receive past
  // the test's own timeout: every long poll ends within a second (a TimedOut fault, HTTP 500).
  config.maxTimeoutMs = 1_000;
  t = await startListener({ config });
  sh = await TestShell.create(t.url);
  cid = await sh.start('cat');
});
afterAll(async () => {
  await t.stop();
});

describe('mutated requests', () => {
  it('always get 200, 400, 401, 413 or 500, and the listener keeps serving', async () => {
    const sel = { selectors: { ShellId: sh.id } };
    const seeds = [
      envelope(Action.Create, { kind: 'Shell', shell: { name: 'fuzz', environment: { A: 'b' }, idleTimeOut: 60_000 } }),
      envelope(Action.Receive, { kind: 'Receive', commandId: cid, streams: ['stdout'] }, { ...sel, operationTimeout: 50 }),
      envelope(Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId: '00000000-0000-0000-0000-000000000000', data: Buffer.from('x') }] }, sel),
      envelope(Action.Signal, { kind: 'Signal', commandId: '00000000-0000-0000-0000-000000000000', code: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c' }, sel),
      envelope(Action.Enumerate, { kind: 'Enumerate', optimize: true, filterSelectors: { ShellId: sh.id } }, {}, ResourceURI.ShellCommand),
      envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config),
    ];
    const mutation = fc.record({
      seed: fc.nat(seeds.length - 1),
      edits: fc.array(fc.record({ at: fc.nat(4000), len: fc.nat(40), text: fc.string({ maxLength: 12, unit: fc.constantFrom('<', '>', '/', '"', '&', ':', 'a', 'S', '=', ' ', '\u0000', 'é', '?', '!', '-', '1') }) }), { minLength: 1, maxLength: 4 }),
    });
    await fc.assert(fc.asyncProperty(mutation, async ({ seed, edits }) => {
      let body = seeds[seed]!;
      for (const e of edits) {
        const at = e.at % (body.length + 1);
        body = body.slice(0, at) + e.text + body.slice(at + e.len);
      }
      const r = await post(t.url, body);
      expect([200, 400, 401, 413, 500]).toContain(r.status);
    }), { numRuns: 150 });
    await sh.send(cid, 'alive\n', true);
    expect((await sh.collect(cid)).stdout.toString()).toBe('alive\n');
  });
});
