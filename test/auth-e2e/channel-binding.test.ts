/**
 * Channel binding (tls-server-end-point, RFC 5929) on the default listener's HTTPS endpoint: our
 * client binds Negotiate to the listener's certificate and is accepted; a client whose bindings name
 * another certificate (what a TLS-intercepting relay would produce) is refused; a client that sends
 * none is accepted (CbtHardeningLevel Relaxed, Windows' default).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Agent } from 'node:https';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { NegotiateClientContext } from '../../src/auth/negotiate.js';
import { tlsServerEndPoint } from '../../src/auth/certificate.js';
import { selfSigned } from '../../src/server/tls.js';
import { startE2e, post, listenerTls, IDENTIFY, type E2eListener } from './helpers.js';

let L: E2eListener;
beforeAll(async () => {
  L = await startE2e({ httpPort: null, authThrottle: false });
});
afterAll(async () => {
  await L?.stop();
});

const negotiateToken = (h: string | string[] | undefined): Buffer => {
  const v = (Array.isArray(h) ? h : [h ?? '']).find((x) => x.startsWith('Negotiate '));
  return Buffer.from(v?.slice('Negotiate '.length) ?? '', 'base64');
};

async function logon(channelBinding: Uint8Array | undefined): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  try {
    const ctx = new NegotiateClientContext({ username: 'alice', password: 'secret', ...(channelBinding ? { channelBinding } : {}) });
    const r1 = await post(L.https!, '', { Authorization: `Negotiate ${Buffer.from(ctx.step().token!).toString('base64')}` }, agent);
    const leg = ctx.step(negotiateToken(r1.headers['www-authenticate']));
    const r2 = await post(L.https!, IDENTIFY, { Authorization: `Negotiate ${Buffer.from(leg.token!).toString('base64')}` }, agent);
    return r2.status;
  } finally {
    agent.destroy();
  }
}

describe('channel binding on the HTTPS endpoint', () => {
  it('our client (bindings to the listener certificate) runs a command with Negotiate over HTTPS', async () => {
    const c = new WsmanClient({ endpoint: { connectionUri: L.https! }, credential: { username: 'alice', password: 'secret' },
      authentication: 'negotiate', serverThumbprint: L.thumbprint });
    try {
      const r = await invokeCommand(c, { command: 'echo bound' });
      expect(r.stdout.toString()).toBe('bound\n');
    } finally {
      await c.close();
    }
  });

  it('accepts bindings of its own certificate and none at all; refuses bindings of another certificate', async () => {
    expect(await logon(tlsServerEndPoint(listenerTls().cert))).toBe(200);
    expect(await logon(undefined)).toBe(200);
    expect(await logon(tlsServerEndPoint(selfSigned(['127.0.0.1']).cert))).toBe(401);
  });
});
