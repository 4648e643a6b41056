/**
 * Authentication failures over loopback: wrong password and wrong domain refused through our client
 * with Negotiate; every refusal is the same bare 401; a tampered or replayed sealed message is
 * rejected and its connection closed; unsealed NTLM on plain HTTP refused unless allowed; repeated
 * failures per (address, user) are answered with Retry-After (FailureThrottle, with an injected clock: no timing).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Agent } from 'node:http';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanAuthError, WsmanFaultError } from '../../src/core/errors.js';
import { Action, ResourceURI, decodeMessage, encodeMessage, ANONYMOUS } from '../../src/core/index.js';
import { NegotiateClientContext } from '../../src/auth/negotiate.js';
import { sealBody, unsealBody } from '../../src/auth/encryption.js';
import { FailureThrottle } from '../../src/server/auth-throttle.js';
import { startE2e, post, closedWithin, IDENTIFY, type E2eListener } from './helpers.js';

let L: E2eListener;
beforeAll(async () => {
  L = await startE2e({ httpsPort: null, authThrottle: false });
});
afterAll(async () => {
  await L?.stop();
});

function negotiate(username: string, password: string, extra: { noEncryption?: boolean; allowUnencrypted?: boolean } = {}, url = L.http!): WsmanClient {
  return new WsmanClient({ endpoint: { connectionUri: url }, credential: { username, password }, authentication: 'negotiate', ...extra });
}

async function attempt(c: WsmanClient): Promise<unknown> {
  try {
    return await invokeCommand(c, { command: 'echo in' });
  } catch (e) {
    return e;
  } finally {
    await c.close();
  }
}

const negotiateHeader = (h: string | string[] | undefined): Buffer => {
  const v = (Array.isArray(h) ? h : [h ?? '']).find((x) => x.startsWith('Negotiate '));
  return Buffer.from(v?.slice('Negotiate '.length) ?? '', 'base64');
};

/** Run the two NTLM legs on one keep-alive connection; returns the final reply and the context. */
async function handshake(url: string, username: string, password: string, agent: Agent) {
  const ctx = new NegotiateClientContext({ username, password });
  const r1 = await post(url, '', { Authorization: `Negotiate ${Buffer.from(ctx.step().token!).toString('base64')}` }, agent);
  expect(r1.status).toBe(401);
  const leg = ctx.step(negotiateHeader(r1.headers['www-authenticate']));
  const r2 = await post(url, '', { Authorization: `Negotiate ${Buffer.from(leg.token!).toString('base64')}` }, agent);
  if (r2.status === 200) {
    const last = negotiateHeader(r2.headers['www-authenticate']);
    if (last.length) ctx.step(last);
  }
  return { reply: r2, ctx };
}

const createShell = (): string => encodeMessage({
  headers: {
    to: 'http://127.0.0.1/wsman', replyTo: ANONYMOUS, action: Action.Create, messageId: `uuid:${crypto.randomUUID()}`,
    resourceUri: ResourceURI.Cmd, maxEnvelopeSize: 153600, operationTimeout: 20000,
  },
  body: { kind: 'Shell', shell: {} },
}, 'request');

describe('Negotiate refusals through our client', () => {
  it('accepts the right password (sealed over HTTP), with user, .\\user and WORKGROUP\\user', async () => {
    for (const name of ['alice', '.\\alice', 'WORKGROUP\\alice']) {
      const r = await attempt(negotiate(name, 'secret'));
      expect((r as { stdout: Buffer }).stdout?.toString()).toBe('in\n');
    }
  });

  it('refuses a wrong password: WsmanAuthError (401) that does not repeat the password', async () => {
    const err = await attempt(negotiate('alice', 'not-the-secret'));
    expect(err).toBeInstanceOf(WsmanAuthError);
    expect((err as Error).message).toMatch(/401/);
    expect((err as Error).message).not.toContain('not-the-secret');
  });

  it('refuses the right password in a foreign domain', async () => {
    for (const name of ['OTHERDOM\\alice', 'alice@other.example']) {
      const err = await attempt(negotiate(name, 'secret'));
      expect(err).toBeInstanceOf(WsmanAuthError);
    }
  });

  it('refuses unsealed NTLM on plain HTTP by default (AccessDenied), accepts it with --allow-unencrypted', async () => {
    // The client refuses first (its own AllowUnencrypted); allowed there, the listener refuses.
    expect(await attempt(negotiate('alice', 'secret', { noEncryption: true, allowUnencrypted: false }))).toMatchObject({ code: 'ERR_AUTH_UNENCRYPTED' });
    const err = await attempt(negotiate('alice', 'secret', { noEncryption: true, allowUnencrypted: true }));
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).wsmanCode).toBe(5);
    expect((err as Error).message).toMatch(/unencrypted/i);
    const open = await startE2e({ httpsPort: null, allowUnencrypted: true, authThrottle: false });
    try {
      const r = await attempt(negotiate('alice', 'secret', { noEncryption: true, allowUnencrypted: true }, open.http!));
      expect((r as { stdout: Buffer }).stdout.toString()).toBe('in\n');
    } finally {
      await open.stop();
    }
  });
});

describe('a 401 does not say which part was wrong', () => {
  it('unknown user, wrong password and wrong domain get byte-identical NTLM refusals', async () => {
    const replies = [];
    for (const [u, p] of [['nobody', 'secret'], ['alice', 'wrong'], ['OTHERDOM\\alice', 'secret']] as const) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      replies.push((await handshake(L.http!, u, p, agent)).reply);
      agent.destroy();
    }
    for (const r of replies) {
      expect(r.status).toBe(401);
      expect(r.body.length).toBe(0);
      expect(r.headers['www-authenticate']).toEqual(replies[0]!.headers['www-authenticate']);
      expect(r.headers['content-length']).toBe('0');
    }
    const reasons = L.lines.map((l) => JSON.parse(l) as { reason?: string }).map((l) => l.reason ?? '').join(' ');
    expect(reasons).not.toMatch(/secret|wrong/);
  });

  it('unknown user and wrong password get identical Basic refusals', async () => {
    const b = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');
    const a = await post(L.http!, IDENTIFY, { Authorization: b('nobody:secret') });
    const c = await post(L.http!, IDENTIFY, { Authorization: b('alice:wrong') });
    expect([a.status, c.status]).toEqual([401, 401]);
    expect(a.headers['www-authenticate']).toEqual(c.headers['www-authenticate']);
    expect(a.body.length + c.body.length).toBe(0);
  });
});

describe('sealed messages', () => {
  it('rejects a tampered sealed message and closes the connection; a new connection works', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { reply, ctx } = await handshake(L.http!, 'alice', 'secret', agent);
    expect(reply.status).toBe(200);
    const sealed = sealBody(ctx, Buffer.from(createShell()));
    const body = Buffer.from(sealed.body);
    const at = body.lastIndexOf('--Encrypted Boundary--') - 10; // inside the ciphertext
    body[at] = body[at]! ^ 0x01;
    const r = await post(L.http!, body, { 'Content-Type': sealed.contentType }, agent);
    expect(r.status).toBe(400);
    expect(r.body.length).toBe(0);
    expect(await closedWithin(r.socket, 2000)).toBe(true);
    agent.destroy();
    const again = await attempt(negotiate('alice', 'secret'));
    expect((again as { stdout: Buffer }).stdout.toString()).toBe('in\n');
  });

  it('rejects a replayed sealed message and closes the connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { ctx } = await handshake(L.http!, 'alice', 'secret', agent);
    const sealed = sealBody(ctx, Buffer.from(createShell()));
    const first = await post(L.http!, Buffer.from(sealed.body), { 'Content-Type': sealed.contentType }, agent);
    expect(first.status).toBe(200);
    expect(decodeMessage(Buffer.from(unsealBody(ctx, first.body).plaintext)).body.kind).toBe('ResourceCreated');
    const replay = await post(L.http!, Buffer.from(sealed.body), { 'Content-Type': sealed.contentType }, agent);
    expect(replay.status).toBe(400);
    expect(await closedWithin(replay.socket, 2000)).toBe(true);
    agent.destroy();
  });
});

describe('backoff of failed logons per (address, user)', () => {
  it('lets a few failures through, then answers 401 with Retry-After at once; a success starts over', async () => {
    let now = 1_000_000;
    const throttle = new FailureThrottle({ free: 2, baseMs: 1000, maxMs: 8000, now: () => now });
    const T = await startE2e({ httpsPort: null, allowUnencrypted: true, authThrottle: throttle });
    const bad = 'Basic ' + Buffer.from('alice:wrong').toString('base64');
    const good = 'Basic ' + Buffer.from('alice:secret').toString('base64');
    try {
      const retries: (string | undefined)[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await post(T.http!, IDENTIFY, { Authorization: bad });
        expect(r.status).toBe(401);
        retries.push(r.headers['retry-after'] as string | undefined);
      }
      expect(retries).toEqual([undefined, '1', '1']); // the second failure blocks 1 s, and says so; the third is not looked at
      // Blocked: even the right password is not looked at, and the client is told when to come back.
      const blocked = await post(T.http!, IDENTIFY, { Authorization: good });
      expect([blocked.status, blocked.headers['retry-after']]).toEqual([401, '1']);
      now += 1000;
      expect((await post(T.http!, IDENTIFY, { Authorization: bad })).headers['retry-after']).toBe('2'); // failure 4: 2 s
      now += 2000;
      expect((await post(T.http!, IDENTIFY, { Authorization: good })).status).toBe(200);
      expect((await post(T.http!, IDENTIFY, { Authorization: bad })).headers['retry-after']).toBeUndefined(); // started over
      // Requests without credentials are not failures.
      for (let i = 0; i < 3; i++) expect((await post(T.http!, IDENTIFY, {})).headers['retry-after']).toBeUndefined();
    } finally {
      await T.stop();
    }
  });

  it('keeps memory bounded and forgets quiet keys', () => {
    let now = 0;
    const t = new FailureThrottle({ free: 1, baseMs: 10, maxEntries: 3, forgetAfterMs: 1000, now: () => now });
    for (let i = 0; i < 10; i++) t.failed(`10.0.0.${i}`, 'u');
    expect(t.size).toBe(3);
    expect(t.delayFor('10.0.0.0', 'u')).toBe(0); // evicted
    expect(t.delayFor('10.0.0.9', 'u')).toBe(10);
    now = 2000;
    expect(t.delayFor('10.0.0.9', 'u')).toBe(0);
  });
});
