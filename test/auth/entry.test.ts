/**
 * src/auth's one way in: the one decision on Negotiate and Kerberos, the one mechanism list (which
 * the CLI reads), and the transport building its contexts through `clientAuth`.
 */
import { describe, expect, it, vi, beforeEach } from 'vitest';
import { Command } from 'commander';

const kerberosCreate = vi.fn(async () => { throw new Error('the Kerberos package would have been used'); });
vi.mock('../../src/auth/kerberos.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/auth/kerberos.js')>();
  return { ...real, KerberosClientContext: { create: kerberosCreate } };
});

const { clientAuth, serverAuth, offeredSchemes, AUTHENTICATION_MECHANISMS, NegotiateClientContext, NtlmClientContext } = await import('../../src/auth/index.js');
const { selectAuth } = await import('../../src/transport/auth.js');
const { addConnectionOptions } = await import('../../src/cli/connection.js');

beforeEach(() => { kerberosCreate.mockClear(); });

describe('Negotiate and Kerberos: one decision', () => {
  it('negotiate and default never try Kerberos, even with a host name (NTLM with the credential given)', async () => {
    for (const mechanism of ['negotiate', 'default'] as const) {
      const ctx = await clientAuth({ mechanism, host: 'win.example.com', username: 'alice', password: 'pw' });
      expect(ctx).toBeInstanceOf(NegotiateClientContext);
    }
    const p = selectAuth({ authentication: 'negotiate', credential: { username: 'alice', password: 'pw' }, https: true, host: 'win.example.com' });
    if (p.kind !== 'context') throw new Error('expected a context provider');
    expect(await p.createContext({})).toBeInstanceOf(NegotiateClientContext);
    expect(kerberosCreate).not.toHaveBeenCalled();
  });

  it('Kerberos runs only when asked for by name', async () => {
    await expect(clientAuth({ mechanism: 'kerberos', host: 'win.example.com' })).rejects.toThrow(/would have been used/);
    await expect(clientAuth({ mechanism: 'negotiate', kerberos: 'require', host: 'win.example.com', username: 'a', password: 'b' })).rejects.toThrow(/would have been used/);
    expect(kerberosCreate).toHaveBeenCalledTimes(2);
  });

  it('ntlm is bare NTLMSSP in the Negotiate scheme', async () => {
    const ctx = await clientAuth({ mechanism: 'ntlm', username: 'alice', password: 'pw' });
    expect(ctx).toBeInstanceOf(NtlmClientContext);
    expect(ctx.scheme).toBe('Negotiate');
  });
});

describe('the server side', () => {
  it('serverAuth makes a context only for an offered scheme; offeredSchemes lists them in Windows order', () => {
    const config = { ntlm: { lookup: () => undefined }, basic: () => false, kerberos: {} };
    expect(offeredSchemes(config)).toEqual(['Negotiate', 'Kerberos', 'Basic realm="WSMAN"']);
    expect(serverAuth('NTLM', config)?.mechanism).toBe('negotiate');
    expect(serverAuth('basic', config)?.mechanism).toBe('basic');
    expect(serverAuth('Basic', { ntlm: config.ntlm })).toBeUndefined();
    expect(serverAuth('Digest', config)).toBeUndefined();
  });
});

describe('one mechanism list', () => {
  it('is what the CLI offers for --authentication', () => {
    const cmd = addConnectionOptions(new Command('x'));
    const opt = cmd.options.find((o) => o.long === '--authentication');
    expect(opt?.argChoices).toEqual([...AUTHENTICATION_MECHANISMS]);
    expect(cmd.options.some((o) => o.long === '--allow-unencrypted')).toBe(true);
  });
});
