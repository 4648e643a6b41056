/**
 * Commands do not outlive their listener (issue 15): however the listener dies (here SIGKILL,
 * which it cannot catch), every process it started is killed within 5 s by the spawn host,
 * which watches it: pooled shells, and direct spawns (WINRS_SKIP_CMD_SHELL, a long command line,
 * another account's command). The regular stop (SIGTERM) still kills them too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userInfo } from 'node:os';
import type { Headers } from '../../src/core/index.js';
import { TestShell, isRunning as alive } from '../server/helpers.js';
import { startCliListener, basic, PASSWORD, isRoot, createAccount, removeAccount, type TestAccount } from './helpers.js';

/** Start `sleep 300` in the background of a shell that waits for it; both pids. */
async function startSleeper(url: string, user: string, how: 'pooled' | 'skip-cmd-shell' | 'long'): Promise<number[]> {
  const sh = await TestShell.create(url, {}, {}, basic(user));
  const script = 'sleep 300 & echo $$ $!; wait';
  const skip: Partial<Headers> = { options: [{ name: 'WINRS_SKIP_CMD_SHELL', value: 'TRUE' }] };
  const id = how === 'skip-cmd-shell' ? await sh.start('/bin/sh', ['-c', script], skip)
    : how === 'long' ? await sh.start(`: ${'x'.repeat(20_000)}; ${script}`)
      : await sh.start(script);
  let out = '';
  while (!out.includes('\n')) {
    const r = await sh.receive(id);
    if (r.msg.body.kind === 'ReceiveResponse') for (const s of r.msg.body.streams) out += s.data.toString();
  }
  const pids = out.trim().split(/\s+/).map(Number);
  expect(pids).toHaveLength(2);
  return pids;
}

async function goneWithin(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

describe('processes of a listener that dies', () => {
  let acct: TestAccount | undefined;
  beforeAll(() => { if (isRoot) acct = createAccount(); });
  afterAll(() => { if (acct) removeAccount(acct); });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`are all gone within 5 s of the listener's ${signal}: pooled, skip-cmd-shell, long line${isRoot ? ', another account' : ''}`, async () => {
      const args = ['--user', `alice:${PASSWORD}`, '--run-as', `alice=${userInfo().username}`];
      if (acct) args.push('--user', `${acct.name}:${PASSWORD}`);
      const l = await startCliListener(args);
      const pids: number[] = [];
      try {
        pids.push(...await startSleeper(l.url, 'alice', 'pooled'));
        pids.push(...await startSleeper(l.url, 'alice', 'skip-cmd-shell'));
        pids.push(...await startSleeper(l.url, 'alice', 'long'));
        if (acct) pids.push(...await startSleeper(l.url, acct.name, 'pooled'));
        expect(pids.every(alive)).toBe(true);
      } finally {
        const exited = new Promise((r) => l.child.once('exit', r));
        l.child.kill(signal);
        await exited;
      }
      expect(await goneWithin(pids, 5000)).toEqual([]);
    }, 60_000);
  }
});
