/**
 * A default install, without the optional native `kerberos` package: the package is made
 * unloadable here (vi.mock), so these run whether or not it is installed on this machine
 * (test/auth-e2e/kerberos.test.ts covers Kerberos with it).
 */
import { describe, expect, it, vi } from 'vitest';
import { createClientAuth, createServerAuth, ntHash, type ClientAuth, type ServerAuth } from '../../src/auth/index.js';
import { loadKerberos } from '../../src/auth/kerberos.js';
import { FeatureMissingError } from '../../src/core/errors.js';

vi.mock('kerberos', () => {
  throw new Error('Cannot find package \'kerberos\'');
});

const PASSWORD = 'S3cret-Pässword!';
const USERS = new Map([['alice', ntHash(PASSWORD)]]);

async function connect(client: ClientAuth): Promise<ServerAuth> {
  let server: ServerAuth | undefined;
  let r = await client.stepAsync();
  for (let hop = 0; hop < 5; hop++) {
    server ??= createServerAuth(client.scheme, {
      ntlm: { lookup: (u) => USERS.get(u.toLowerCase()), netbiosDomain: 'CORP', netbiosComputer: 'LISTENER' },
    });
    if (!server) throw new Error(`scheme ${client.scheme} not offered`);
    const s = await server.stepAsync(r.token);
    if (s.done) {
      if (s.token) await client.stepAsync(s.token);
      return server;
    }
    r = await client.stepAsync(s.token);
  }
  throw new Error('handshake did not finish');
}

describe('Kerberos without the optional kerberos package', () => {
  it('loading it is a FeatureMissingError that says how to install it', async () => {
    const err = await loadKerberos().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeatureMissingError);
    expect(String((err as Error).message)).toMatch(/npm install kerberos/);
  });

  it('kerberos is a FeatureMissingError', async () => {
    await expect(createClientAuth({ mechanism: 'kerberos', host: 'win.example', username: 'a', password: 'b' }))
      .rejects.toBeInstanceOf(FeatureMissingError);
  });

  it('negotiate falls back to NTLM, unless Kerberos is required', async () => {
    const ctx = await createClientAuth({ mechanism: 'negotiate', host: 'win.example', username: 'alice', password: PASSWORD });
    expect(ctx.mechanism).toBe('negotiate');
    const server = await connect(ctx);
    expect(server.user).toBe('alice');
    await expect(createClientAuth({ mechanism: 'negotiate', host: 'win.example', kerberos: 'require', username: 'a', password: 'b' }))
      .rejects.toBeInstanceOf(FeatureMissingError);
  });
});
