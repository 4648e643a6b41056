/**
 * Negotiate (NTLM) through the listener's per-connection 401 loop, with HTTP message encryption:
 * src/auth's client context authenticates one keep-alive connection, then sends sealed requests;
 * the listener unseals, answers sealed, and refuses unsealed bodies on plain HTTP.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Agent } from 'node:http';
import { Action, ResourceURI, decodeMessage, encodeMessage } from '../../src/core/index.js';
import { NegotiateClientContext } from '../../src/auth/negotiate.js';
import { sealBody, unsealBody } from '../../src/auth/encryption.js';
import { startListener, post, headersFor, faultCode, type TestListener } from './helpers.js';

let t: TestListener;
beforeAll(async () => {
  t = await startListener({ ntlm: true, allowUnencrypted: false });
});
afterAll(async () => {
  await t.stop();
});

function token(h: string | string[] | undefined): Buffer {
  const v = (Array.isArray(h) ? h : [h ?? '']).find((x) => x.startsWith('Negotiate '));
  return Buffer.from(v?.slice('Negotiate '.length) ?? '', 'base64');
}

describe('Negotiate on the listener', () => {
  it('offers Negotiate before Basic', async () => {
    const r = await post(t.url, '', {}, null);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Negotiate, Basic realm="WSMAN"');
  });

  it('authenticates a connection, then serves sealed requests on it and refuses unsealed ones', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ctx = new NegotiateClientContext({ username: 'alice', password: 'secret' });
    const r1 = await post(t.url, '', {}, `Negotiate ${Buffer.from(ctx.step().token!).toString('base64')}`, agent);
    expect(r1.status).toBe(401);
    const leg = ctx.step(token(r1.headers['www-authenticate']));
    const r2 = await post(t.url, '', {}, `Negotiate ${Buffer.from(leg.token!).toString('base64')}`, agent);
    expect(r2.status).toBe(200);
    const last = token(r2.headers['www-authenticate']);
    if (last.length) ctx.step(last);
    expect(ctx.complete).toBe(true);

    const xml = encodeMessage({ headers: headersFor(Action.Create, ResourceURI.Cmd), body: { kind: 'Shell', shell: {} } }, 'request');
    const sealed = sealBody(ctx, Buffer.from(xml));
    const r3 = await post(t.url, Buffer.from(sealed.body), { 'Content-Type': sealed.contentType }, null, agent);
    expect(r3.status).toBe(200);
    expect(r3.headers['content-type']).toMatch(/^multipart\/encrypted/);
    const plain = unsealBody(ctx, r3.raw).plaintext;
    const msg = decodeMessage(Buffer.from(plain));
    expect(msg.body.kind).toBe('ResourceCreated');

    const r4 = await post(t.url, xml, {}, null, agent);
    expect(r4.status).toBe(500);
    expect(faultCode(decodeMessage(r4.body))).toBe(5);
    agent.destroy();
  });

  it('refuses a wrong password with 401', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ctx = new NegotiateClientContext({ username: 'alice', password: 'wrong' });
    const r1 = await post(t.url, '', {}, `Negotiate ${Buffer.from(ctx.step().token!).toString('base64')}`, agent);
    const leg = ctx.step(token(r1.headers['www-authenticate']));
    const r2 = await post(t.url, '', {}, `Negotiate ${Buffer.from(leg.token!).toString('base64')}`, agent);
    expect(r2.status).toBe(401);
    agent.destroy();
  });
});
