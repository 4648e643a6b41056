/**
 * Work before authentication (issue 15): an unauthenticated client (WSMANIDENTIFY) gets a small
 * body cap checked before reading or parsing, and slow headers or bodies are cut off. Driven over
 * loopback with raw sockets, as an attacker would.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect, type Socket } from 'node:net';
import { decodeMessage } from '../../src/core/index.js';
import { createLogger } from '../../src/server/log.js';
import { PRE_AUTH_BODY_LIMIT } from '../../src/server/http.js';
import { startListener, post, TestShell, type TestListener } from '../server/helpers.js';

const IDENTIFY = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';
/** A well-formed Identify of about `size` bytes (padding in a comment, which a parser must read). */
function bigIdentify(size: number): string {
  return IDENTIFY.replace('<s:Header/>', `<s:Header/><!--${'x'.repeat(size - IDENTIFY.length)}-->`);
}

interface RawReply { text: string; closed: boolean }

/** Write `parts` on a fresh connection; resolves with what came back once the server closes or answers. */
function raw(port: number, parts: string[], opts: { endAfterAnswer?: boolean } = {}): { done: Promise<RawReply>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  const done = new Promise<RawReply>((resolve) => {
    let text = '';
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
    });
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (opts.endAfterAnswer && /\r\n\r\n/.test(text)) {
        socket.destroy();
        resolve({ text, closed: false });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, closed: true }));
  });
  return { done, socket };
}

let t: TestListener;
const lines: string[] = [];
beforeAll(async () => {
  t = await startListener({ logger: createLogger('info', (l) => lines.push(l)) });
});
afterAll(async () => {
  await t.stop();
});

describe('unauthenticated body cap', () => {
  it('answers a 100 KB unauthenticated Identify with 413 from its Content-Length, before the body is sent', async () => {
    const size = 100 * 1024;
    // Only the headers: the answer must come without waiting for (or reading) the body.
    const head = `POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nWSMANIDENTIFY: unauthenticated\r\nContent-Length: ${size}\r\n\r\n`;
    const r = await raw(t.port, [head], { endAfterAnswer: true }).done;
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(lines.some((l) => l.includes('pre-authentication limit'))).toBe(true);
  }, 5000);

  it('stops reading a chunked unauthenticated body past the cap (413), where it used to parse it whole', async () => {
    const body = Buffer.from(bigIdentify(100 * 1024));
    // Sanity: this body is a valid Identify, answered when authenticated.
    const authed = await post(t.url, body);
    expect(authed.status).toBe(200);
    expect(decodeMessage(authed.body).body.kind).toBe('IdentifyResponse');
    const head = 'POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nWSMANIDENTIFY: unauthenticated\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunks: string[] = [];
    for (let i = 0; i < body.length; i += 4096) {
      const c = body.subarray(i, i + 4096);
      chunks.push(`${c.length.toString(16)}\r\n${c.toString('latin1')}\r\n`);
    }
    const r = await raw(t.port, [head, ...chunks, '0\r\n\r\n']).done;
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).not.toContain('IdentifyResponse');
  }, 5000);

  it('still answers an unauthenticated Identify just under the cap', async () => {
    const r = await post(t.url, bigIdentify(PRE_AUTH_BODY_LIMIT - 100), { WSMANIDENTIFY: 'unauthenticated' }, null);
    expect(r.status).toBe(200);
    expect(decodeMessage(r.body).body.kind).toBe('IdentifyResponse');
  });

  it('keeps MaxEnvelopeSize, not the small cap, for authenticated requests', async () => {
    const r = await post(t.url, bigIdentify(200 * 1024), { WSMANIDENTIFY: 'unauthenticated' });
    expect(r.status).toBe(200);
  });
});

describe('slow clients', () => {
  let slow: TestListener;
  const slowLines: string[] = [];
  beforeAll(async () => {
    slow = await startListener({ headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckMs: 50, logger: createLogger('info', (l) => slowLines.push(l)) });
  });
  afterAll(async () => {
    await slow.stop();
  });

  it('cuts off a body that never finishes (slowloris) with 408', async () => {
    const { done, socket } = raw(slow.port, [
      `POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nWSMANIDENTIFY: unauthenticated\r\nContent-Length: 2000\r\n\r\n<s:Envelope`,
    ]);
    // A byte now and then keeps the socket busy, as slowloris does.
    const drip = setInterval(() => socket.write(' '), 100);
    const r = await done;
    clearInterval(drip);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    // Logged as the client's doing, not as an internal error.
    await new Promise((res) => setTimeout(res, 50));
    expect(slowLines.some((l) => l.includes('body incomplete'))).toBe(true);
    expect(slowLines.some((l) => l.includes('"error"'))).toBe(false);
  }, 5000);

  it('cuts off headers that never finish with 408', async () => {
    const { done, socket } = raw(slow.port, ['POST /wsman HTTP/1.1\r\nHost: x\r\n']);
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    const r = await done;
    clearInterval(drip);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
  }, 5000);

  it('closes a connection that never sends a byte', async () => {
    const r = await raw(slow.port, []).done;
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
  }, 5000);

  it('does not cut a Receive that waits longer than the request timeout for its answer', async () => {
    const shell = await TestShell.create(slow.url);
    const id = await shell.start('sleep 1; echo late');
    const out = await shell.collect(id, { operationTimeout: 5000 });
    expect(out.stdout.toString()).toBe('late\n');
    expect(out.receives).toBeGreaterThanOrEqual(1);
    await shell.delete();
  }, 10_000);
});
