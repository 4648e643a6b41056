/** The adapters for the transport's registerClientMechanism and the listener's ContextAuthenticator. */
import { describe, expect, it } from 'vitest';
import { httpBodySealer, negotiateClientMechanism, negotiateServerContext, ntlmClientMechanism, ntHash } from '../../src/auth/index.js';
import type { ClientMechanismFactory } from '../../src/transport/auth.js';
import type { BodySealer } from '../../src/transport/types.js';

// Compile-time: the adapters fit the transport's shapes.
const factories: ClientMechanismFactory[] = [negotiateClientMechanism, ntlmClientMechanism];
const sealer: BodySealer = httpBodySealer;

describe('plug adapters', () => {
  it('a transport-made context authenticates against a listener-made context and seals both ways', async () => {
    expect(factories).toHaveLength(2);
    for (const f of factories) {
      const client = await f.createContext({ username: 'alice', password: 'pw' }, { host: 'h', service: 'WSMAN', https: false });
      const server = negotiateServerContext({ lookup: (u) => (u === 'alice' ? ntHash('pw') : undefined) });
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
