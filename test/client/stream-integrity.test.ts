/**
 * Issue 20: a large stdout through our listener arrives complete and in order, whatever the fast
 * paths do (the listener's fill wait and pooled envelopes, the client's bulk decode and its next
 * Receive sent while the last answer is delivered). The client hashes what it receives; the same
 * command run locally gives the expected hash. Not timed: speed is measured by bench/stream.bench.ts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import type { ClientOptions } from '../../src/client/options.js';
import { startListener, USER, type TestListener } from './helpers/listener.js';

let L: TestListener;
beforeAll(async () => { L = await startListener(); });
afterAll(async () => { await L?.stop(); });

/** Numbers, one a line: every byte position differs from its neighbours', so a lost, doubled or swapped piece changes the hash. */
const line = (bytes: number): string => `seq 1 30000000 | head -c ${bytes}`;

/** SHA-256 and length of what `sh -c cmd` writes when run here. */
async function local(cmd: string): Promise<{ sha: string; bytes: number }> {
  const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] });
  const hash = createHash('sha256');
  let bytes = 0;
  child.stdout.on('data', (c: Buffer) => { hash.update(c); bytes += c.length; });
  await new Promise((resolve) => child.on('close', resolve));
  return { sha: hash.digest('hex'), bytes };
}

async function remote(cmd: string, extra: Partial<ClientOptions>): Promise<{ sha: string; bytes: number; stderr: string; exitCode: number }> {
  const c = new WsmanClient({ endpoint: { connectionUri: L.httpUrl }, credential: USER, allowUnencrypted: true, ...extra });
  const hash = createHash('sha256');
  let bytes = 0;
  let stderr = '';
  try {
    const r = await invokeCommand(c, {
      command: cmd,
      onData: (stream, chunk) => {
        if (stream === 'stdout') {
          hash.update(chunk);
          bytes += chunk.length;
        } else stderr += chunk.toString();
      },
    });
    return { sha: hash.digest('hex'), bytes, stderr, exitCode: r.exitCode };
  } finally {
    await c.close();
  }
}

describe('a large stdout through the listener arrives whole and in order', () => {
  it('100 MB at MaxEnvelopeSize 512000 (Basic): same length and SHA-256 as run locally', async () => {
    const cmd = line(100_000_000);
    const want = await local(cmd);
    expect(want.bytes).toBe(100_000_000);
    const got = await remote(cmd, { authentication: 'basic', maxEnvelopeSize: 512_000 });
    expect({ bytes: got.bytes, sha: got.sha, stderr: got.stderr, exitCode: got.exitCode }).toEqual({ ...want, stderr: '', exitCode: 0 });
  }, 300_000);

  it('20 MB at Windows\' default 153600: same length and SHA-256 as run locally', async () => {
    const cmd = line(20_000_000);
    const want = await local(cmd);
    const got = await remote(cmd, { authentication: 'basic', maxEnvelopeSize: 153_600 });
    expect({ bytes: got.bytes, sha: got.sha, exitCode: got.exitCode }).toEqual({ ...want, exitCode: 0 });
  }, 120_000);

  it('20 MB NTLM-sealed over HTTP (Negotiate) at 512000: same length and SHA-256 as run locally', async () => {
    const cmd = line(20_000_000);
    const want = await local(cmd);
    const got = await remote(cmd, { authentication: 'negotiate', maxEnvelopeSize: 512_000 });
    expect({ bytes: got.bytes, sha: got.sha, exitCode: got.exitCode }).toEqual({ ...want, exitCode: 0 });
  }, 120_000);

  it('output that stops before an envelope is full is answered, not held for more: a line, then 0.3 s later another, come in two answers', async () => {
    const c = new WsmanClient({ endpoint: { connectionUri: L.httpUrl }, credential: USER, authentication: 'basic', allowUnencrypted: true, maxEnvelopeSize: 512_000 });
    const chunks: string[] = [];
    try {
      const r = await invokeCommand(c, { command: 'echo one; sleep 0.3; echo two', onData: (_s, chunk) => chunks.push(chunk.toString()) });
      expect(r.exitCode).toBe(0);
    } finally {
      await c.close();
    }
    expect(chunks).toEqual(['one\n', 'two\n']);
  }, 60_000);
});
