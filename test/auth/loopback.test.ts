/**
 * Our client contexts against our server contexts in memory, hop by hop (NTLM, Negotiate with SPNEGO
 * and mechListMIC, Negotiate with bare NTLMSSP), with sealing both ways; refusals for wrong
 * password, wrong domain, NTLMv1, tampering and replay; no secret in any printed form.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createClientAuthSync, createServerAuth, offeredSchemes, sealBody, unsealBody, ntHash,
  type ClientAuth, type ServerAuth, type ServerAuthConfig,
} from '../../src/auth/index.js';
import { NegState, OID, decodeSpnego, encodeNegTokenInit, encodeNegTokenResp } from '../../src/auth/spnego.js';
import { NtlmClientContext } from '../../src/auth/ntlm/client.js';
import { NtlmServerContext } from '../../src/auth/ntlm/server.js';
import { decodeAuthenticate, encodeAuthenticate } from '../../src/auth/ntlm/messages.js';
import { WsmanAuthError } from '../../src/core/errors.js';

const PASSWORD = 'S3cret-Pässword!';
const USERS = new Map([['alice', ntHash(PASSWORD)]]);

function config(extra: Partial<NonNullable<ServerAuthConfig['ntlm']>> = {}): ServerAuthConfig {
  return {
    ntlm: { lookup: (u) => USERS.get(u.toLowerCase()), netbiosDomain: 'CORP', netbiosComputer: 'LISTENER', ...extra },
    basic: (u, p) => u === 'alice' && p === PASSWORD,
  };
}

/** Run the handshake the way the HTTP layer would; returns the server context. */
async function connect(client: ClientAuth, cfg: ServerAuthConfig = config()): Promise<ServerAuth> {
  let server: ServerAuth | undefined;
  let r = await client.stepAsync();
  for (let hop = 0; hop < 5; hop++) {
    server ??= createServerAuth(client.scheme, cfg);
    if (!server) throw new Error(`scheme ${client.scheme} not offered`);
    const s = await server.stepAsync(r.token);
    if (s.done) {
      if (s.token) await client.stepAsync(s.token); // the token in the 200 response
      return server;
    }
    r = await client.stepAsync(s.token);
  }
  throw new Error('handshake did not finish');
}

function exchange(client: ClientAuth, server: ServerAuth, n = 3): void {
  for (let i = 0; i < n; i++) {
    const req = new Uint8Array(Buffer.from(`<s:Envelope>request ${i} ✓</s:Envelope>`));
    const sealed = sealBody(client, req);
    expect(Buffer.from(unsealBody(server, sealed.body).plaintext).toString()).toBe(`<s:Envelope>request ${i} ✓</s:Envelope>`);
    const resp = sealBody(server, new Uint8Array(Buffer.from(`response ${i}`)));
    expect(Buffer.from(unsealBody(client, resp.body).plaintext).toString()).toBe(`response ${i}`);
  }
}

describe('in-memory handshakes', () => {
  it('NTLM: user, DOMAIN\\user and user@domain all log in and seal both ways', async () => {
    for (const username of ['alice', 'CORP\\alice', 'alice@corp', 'LISTENER\\Alice']) {
      const client = createClientAuthSync({ mechanism: 'ntlm', username, password: PASSWORD });
      const server = await connect(client);
      expect(server.complete && client.complete).toBe(true);
      expect(server.user?.toLowerCase()).toBe('alice');
      exchange(client, server);
    }
  });

  it('Negotiate (SPNEGO): the client opens with NegTokenInit [NTLM] and gets the CHALLENGE in a NegTokenResp', () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const first = client.step();
    const init = decodeSpnego(first.token!);
    expect(init.kind === 'init' && init.mechTypes).toEqual([OID.ntlm]);
    expect(init.kind === 'init' && Buffer.from(init.mechToken!).subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
    const server = createServerAuth('Negotiate', config())!;
    const ch = decodeSpnego(server.step(first.token!).token!);
    expect(ch).toMatchObject({ kind: 'resp', negState: NegState.acceptIncomplete, supportedMech: OID.ntlm });
    expect(ch.kind === 'resp' && Buffer.from(ch.responseToken!)[8]).toBe(2);
  });

  it('Negotiate (SPNEGO) completes with mechListMIC and seals both ways', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const server = createServerAuth('Negotiate', config())!;
    const t1 = client.step();
    const t2 = server.step(t1.token!);
    const t3 = client.step(t2.token);
    const resp3 = decodeSpnego(t3.token!);
    expect(resp3.kind === 'resp' && resp3.mechListMIC?.length).toBe(16);
    const t4 = server.step(t3.token!);
    expect(t4.done).toBe(true);
    const final = decodeSpnego(t4.token!);
    expect(final).toMatchObject({ kind: 'resp', negState: NegState.acceptCompleted });
    expect(final.kind === 'resp' && final.mechListMIC?.length).toBe(16);
    expect(client.step(t4.token).done).toBe(true);
    exchange(client, server, 4);
  });

  it('Negotiate with bare NTLMSSP (pywinrm style) works and the server answers bare NTLMSSP', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD, rawNtlm: true });
    const server = await connect(client);
    expect(server.user).toBe('alice');
    exchange(client, server);
  });

  it('a tampered mechListMIC is refused', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const server = createServerAuth('Negotiate', config())!;
    const t2 = server.step(client.step().token!);
    const t3 = decodeSpnego(client.step(t2.token).token!);
    if (t3.kind !== 'resp') throw new Error('expected NegTokenResp');
    const mic = new Uint8Array(t3.mechListMIC!);
    mic[5] = (mic[5] ?? 0) ^ 1;
    expect(() => server.step(encodeNegTokenResp({ responseToken: t3.responseToken!, mechListMIC: mic })))
      .toThrow(expect.objectContaining({ reason: 'mech-list-mic' }));
  });

  it('a client offering Kerberos first is asked for NTLM and must then send a mechListMIC', () => {
    const server = createServerAuth('Negotiate', config())!;
    const r1 = decodeSpnego(server.step(encodeNegTokenInit({ mechTypes: [OID.msKerberos, OID.kerberos, OID.ntlm], mechToken: new Uint8Array([1, 2, 3]) })).token!);
    expect(r1).toMatchObject({ kind: 'resp', negState: NegState.acceptIncomplete, supportedMech: OID.ntlm });
    expect(r1.kind === 'resp' && r1.responseToken).toBeUndefined();
    const ntlm = new NtlmClientContext({ username: 'alice', password: PASSWORD });
    const r2 = decodeSpnego(server.step(encodeNegTokenResp({ responseToken: ntlm.step().token! })).token!);
    const auth = ntlm.step(r2.kind === 'resp' ? r2.responseToken : undefined);
    expect(() => server.step(encodeNegTokenResp({ responseToken: auth.token! }))).toThrow(expect.objectContaining({ reason: 'mech-list-mic' }));
  });

  it('a client offering no NTLM is refused', () => {
    const server = createServerAuth('Negotiate', config())!;
    expect(() => server.step(encodeNegTokenInit({ mechTypes: [OID.kerberos], mechToken: new Uint8Array([1]) })))
      .toThrow(expect.objectContaining({ reason: 'no-common-mechanism' }));
  });

  it('Basic: right and wrong password, async verifier', async () => {
    const ok = await connect(createClientAuthSync({ mechanism: 'basic', username: 'alice', password: PASSWORD }));
    expect(ok.user).toBe('alice');
    await expect(connect(createClientAuthSync({ mechanism: 'basic', username: 'alice', password: 'nope' })))
      .rejects.toMatchObject({ code: 'ERR_AUTH_FAILED' });
    const asyncCfg: ServerAuthConfig = { basic: async (u, p) => u === 'alice' && p === PASSWORD };
    const s = createServerAuth('basic', asyncCfg)!;
    await expect(s.stepAsync(new Uint8Array(Buffer.from(`alice:${PASSWORD}`)))).resolves.toEqual({ done: true });
    expect(offeredSchemes(config())).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
    expect(createServerAuth('Kerberos', config())).toBeUndefined();
  });
});

describe('refusals', () => {
  it('wrong password', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: 'wrong' });
    await expect(connect(client)).rejects.toMatchObject({ code: 'ERR_AUTH_FAILED', reason: 'bad-password' });
  });

  it('wrong domain (DOMAIN\\user and user@domain)', async () => {
    for (const username of ['EVIL\\alice', 'alice@evil.example']) {
      const client = createClientAuthSync({ mechanism: 'ntlm', username, password: PASSWORD });
      await expect(connect(client)).rejects.toMatchObject({ reason: 'domain' });
    }
    // ...unless the listener accepts that domain explicitly.
    const client = createClientAuthSync({ mechanism: 'ntlm', username: 'EVIL\\alice', password: PASSWORD });
    expect((await connect(client, config({ acceptDomains: ['evil'] }))).user).toBe('alice');
  });

  it('the refusal message does not say which part was wrong', async () => {
    const err = await connect(createClientAuthSync({ mechanism: 'ntlm', username: 'alice', password: 'wrong' })).catch((e: unknown) => e);
    const err2 = await connect(createClientAuthSync({ mechanism: 'ntlm', username: 'bob', password: PASSWORD })).catch((e: unknown) => e);
    expect((err as Error).message).toBe((err2 as Error).message);
  });

  it('NTLMv1 (24-byte NT response) is refused', () => {
    const server = new NtlmServerContext(config().ntlm!);
    const client = new NtlmClientContext({ username: 'alice', password: PASSWORD });
    const ch = server.step(client.step().token!);
    const auth = decodeAuthenticate(client.step(ch.token).token!);
    const v1 = encodeAuthenticate({ ...auth, ntChallengeResponse: new Uint8Array(24), mic: undefined as never });
    expect(() => server.step(v1)).toThrow(expect.objectContaining({ reason: 'ntlmv1' }));
  });

  it('tampered and replayed sealed messages are refused in both directions', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const server = await connect(client);
    const m1 = sealBody(client, new Uint8Array(Buffer.from('one')));
    expect(Buffer.from(unsealBody(server, m1.body).plaintext).toString()).toBe('one');
    expect(() => unsealBody(server, m1.body)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_REPLAY' }));

    const client2 = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const server2 = await connect(client2);
    const r = sealBody(server2, new Uint8Array(Buffer.from('reply')));
    const bad = new Uint8Array(r.body);
    bad[bad.length - 26] = (bad[bad.length - 26] ?? 0) ^ 0xff;
    expect(() => unsealBody(client2, bad)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_INTEGRITY' }));
  });

  it('channel binding: matching accepted, different refused, Strict requires it', async () => {
    const cb = new Uint8Array(Buffer.from('tls-server-end-point:' + 'ab'.repeat(32)));
    const other = new Uint8Array(Buffer.from('tls-server-end-point:' + 'cd'.repeat(32)));
    const mk = (channelBinding?: Uint8Array): ClientAuth =>
      createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD, ...(channelBinding ? { channelBinding } : {}) });
    expect((await connect(mk(cb), config({ channelBinding: cb }))).user).toBe('alice');
    await expect(connect(mk(other), config({ channelBinding: cb }))).rejects.toMatchObject({ reason: 'channel-binding' });
    expect((await connect(mk(), config({ channelBinding: cb }))).user).toBe('alice');
    await expect(connect(mk(), config({ channelBinding: cb, cbtHardening: 'strict' }))).rejects.toMatchObject({ reason: 'channel-binding' });
  });
});

describe('secrets stay out of printed forms', () => {
  it('contexts print no password, hash or key', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const server = await connect(client);
    const key = Buffer.from(client.sessionKey()!).toString('hex');
    const hash = Buffer.from(ntHash(PASSWORD)).toString('hex');
    const basic = createClientAuthSync({ mechanism: 'basic', username: 'alice', password: PASSWORD });
    for (const obj of [client, server, basic]) {
      const spread = inspect({ ...obj }, { depth: 10, showHidden: true }); // bypasses the custom inspect
      for (const text of [inspect(obj, { depth: 10, showHidden: true }), String(obj), JSON.stringify(obj), spread]) {
        expect(text).not.toContain(PASSWORD);
        expect(text.toLowerCase()).not.toContain(key);
        expect(text.toLowerCase()).not.toContain(hash);
        expect(text).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
      }
    }
  });

  it('no secret is reachable through the contexts\' own properties (only # private fields hold them)', async () => {
    const client = createClientAuthSync({ mechanism: 'negotiate', username: 'alice', password: PASSWORD });
    const server = await connect(client);
    const basic = createClientAuthSync({ mechanism: 'basic', username: 'alice', password: PASSWORD });
    const secrets = [client.sessionKey()!, ntHash(PASSWORD), new Uint8Array(Buffer.from(`alice:${PASSWORD}`))].map((b) => Buffer.from(b).toString('hex'));
    const seen = new Set<unknown>();
    const found: string[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (depth > 8 || v === null || seen.has(v)) return;
      if (typeof v === 'string') { if (v.includes(PASSWORD)) found.push(v); return; }
      if (typeof v !== 'object') return;
      seen.add(v);
      if (v instanceof Uint8Array) { const h = Buffer.from(v).toString('hex'); if (secrets.some((x) => h.includes(x))) found.push(h); return; }
      for (const k of Object.getOwnPropertyNames(v)) walk((v as Record<string, unknown>)[k], depth + 1);
    };
    walk([client, server, basic], 0);
    expect(found).toEqual([]);
    // The walk does find secrets when they are plain properties.
    walk({ leaked: client.sessionKey() }, 0);
    expect(found).toHaveLength(1);
  });

  it('auth errors carry no secret', async () => {
    const err = (await connect(createClientAuthSync({ mechanism: 'ntlm', username: 'alice', password: 'wrong-pw-123' })).catch((e: unknown) => e)) as WsmanAuthError;
    expect(err).toBeInstanceOf(WsmanAuthError);
    expect(`${err.message} ${err.stack ?? ''} ${inspect(err)}`).not.toContain('wrong-pw-123');
  });
});
