/** The transport and the listener build their contexts through src/auth's one entry point, and they fit. */
import { describe, expect, it } from 'vitest';
import { httpBodySealer, serverAuth, ntHash } from '../../src/auth/index.js';
import { selectAuth } from '../../src/transport/auth.js';
import type { BodySealer } from '../../src/transport/types.js';

const sealer: BodySealer = httpBodySealer; // compile-time: the sealer fits the transport's shape

describe('transport-made and listener-made contexts', () => {
  it('a transport context authenticates against a serverAuth context and seals both ways', async () => {
    for (const authentication of ['negotiate', 'ntlm'] as const) {
      const p = selectAuth({ authentication, credential: { username: 'alice', password: 'pw' }, https: false, host: 'h' });
      if (p.kind !== 'context') throw new Error('expected a context provider');
      expect(p.sealer).toBe(httpBodySealer);
      const client = await p.createContext({});
      const server = serverAuth('Negotiate', { ntlm: { lookup: (u) => (u === 'alice' ? ntHash('pw') : undefined) } })!;
      let r = client.step();
      for (;;) {
        const s = server.step(r.token ?? new Uint8Array());
        if (s.done) {
          if (s.token) client.step(s.token);
          break;
        }
        r = client.step(s.token);
      }
      expect(server.user).toBe('alice');
      const req = sealer.seal(client, new Uint8Array(Buffer.from('<x/>')), 'application/soap+xml;charset=UTF-8');
      expect(sealer.isSealed(req.contentType)).toBe(true);
      expect(Buffer.from(httpBodySealer.unseal(server, req.body, req.contentType)).toString()).toBe('<x/>');
      const resp = httpBodySealer.seal(server, new Uint8Array(Buffer.from('<y/>')), 'application/soap+xml;charset=UTF-8');
      expect(Buffer.from(sealer.unseal(client, resp.body, resp.contentType)).toString()).toBe('<y/>');
    }
  });
});

describe('keyStreamAhead (issue 20)', () => {
  it('generates the next large message key stream in slices on later turns, and sealing still round-trips', async () => {
    const p = selectAuth({ authentication: 'negotiate', credential: { username: 'alice', password: 'pw' }, https: false, host: 'h' });
    if (p.kind !== 'context') throw new Error('expected a context provider');
    const client = await p.createContext({});
    const server = serverAuth('Negotiate', { ntlm: { lookup: (u) => (u === 'alice' ? ntHash('pw') : undefined) } })!;
    let r = client.step();
    for (;;) {
      const s = server.step(r.token ?? new Uint8Array());
      if (s.done) { if (s.token) client.step(s.token); break; }
      r = client.step(s.token);
    }
    const big = new Uint8Array(200_000).map((_, k) => k * 7);
    const type = 'application/soap+xml;charset=UTF-8';
    for (let round = 0; round < 3; round++) {
      const resp = httpBodySealer.seal(server, big, type);
      const turns: (() => void)[] = [];
      httpBodySealer.ahead(server, 'wrap', (f) => turns.push(f));
      httpBodySealer.ahead(client, 'unwrap', (f) => turns.push(f));
      expect(server.prefill?.('wrap', 0)).toBeGreaterThan(0); // nothing generated yet: it waits for a later turn
      let n = 0;
      while (turns.length) { turns.shift()!(); n++; }
      expect(n).toBeGreaterThanOrEqual((round > 0 ? 2 : 1) * Math.ceil(200_008 / 65536)); // sliced (the client from its second message on)
      if (round > 0) expect(client.prefill?.('unwrap', 0)).toBe(0); // the client's side too, once it has seen one
      expect(server.prefill?.('wrap', 0)).toBe(0); // ready
      expect(Buffer.from(sealer.unseal(client, resp.body, resp.contentType)).equals(Buffer.from(big))).toBe(true);
    }
  });
});
