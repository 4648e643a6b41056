/** Redirects of shell creation, as PowerShell handles them. */
import { describe, it, expect, afterEach } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanRedirectError, nextHop } from '../../src/client/redirect.js';
import type { ClientOptions } from '../../src/client/options.js';
import { startFake, type Fake } from './helpers/fake-winrm.js';

const BASIC = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
let fakes: Fake[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

/** A chain of `n` redirecting servers ending at a real one; returns the first URL. */
async function chain(n: number): Promise<{ first: string; final: Fake }> {
  const final = await startFake({ authorization: BASIC, stdout: 'final\n' });
  fakes.push(final);
  let next = final.url;
  for (let i = 0; i < n; i++) {
    const f = await startFake({ authorization: BASIC, redirectTo: next });
    fakes.push(f);
    next = f.url;
  }
  return { first: next, final };
}

function client(url: string, extra: Partial<ClientOptions> = {}): WsmanClient {
  return new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true, ...extra });
}

describe('redirects of shell creation', () => {
  it('are refused by default with an error naming the location and how to allow it', async () => {
    const { first, final } = await chain(1);
    const c = client(first);
    const err = await Shell.open(c).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanRedirectError);
    expect((err as WsmanRedirectError).code).toBe('ERR_REDIRECT_NOT_ALLOWED');
    expect((err as WsmanRedirectError).location).toBe(final.url);
    expect((err as Error).message).toContain(final.url);
    expect((err as Error).message).toMatch(/--allow-redirection/);
    expect(final.requests).toHaveLength(0);
  });

  it('one hop is followed with allowRedirection; later requests go to the new endpoint with the same credentials', async () => {
    const { first, final } = await chain(1);
    const c = client(first, { allowRedirection: true });
    const res = await invokeCommand(c, { command: 'x' });
    await c.close();
    expect(res.stdout.toString()).toBe('final\n');
    expect(final.requests.map((r) => r.headers.action?.split('/').pop())).toEqual(['Create', 'Command', 'Receive', 'Delete']);
    expect(final.headers.every((h) => h.authorization === BASIC)).toBe(true);
    expect(final.openShells.size).toBe(0);
  });

  it('a chain within the limit is followed; one hop more than the limit is refused', async () => {
    const { first } = await chain(3);
    const ok = client(first, { allowRedirection: true, maximumRedirection: 3 });
    expect((await invokeCommand(ok, { command: 'x' })).stdout.toString()).toBe('final\n');
    await ok.close();
    const tooFew = client(first, { allowRedirection: true, maximumRedirection: 2 });
    const err = await Shell.open(tooFew).catch((e: unknown) => e);
    await tooFew.close();
    expect((err as WsmanRedirectError).code).toBe('ERR_REDIRECT_LIMIT');
    expect((err as Error).message).toMatch(/more than 2 time/);
  });

  it('a negative maximum means no limit', async () => {
    const { first } = await chain(7);
    const c = client(first, { allowRedirection: true, maximumRedirection: -1 });
    expect((await invokeCommand(c, { command: 'x' })).stdout.toString()).toBe('final\n');
    await c.close();
  });

  it('a loop is stopped and reported', async () => {
    let bUrl = '';
    const a = await startFake({ redirectTo: () => bUrl });
    const b = await startFake({ redirectTo: a.url });
    bUrl = b.url;
    fakes.push(a, b);
    const c = client(a.url, { allowRedirection: true, maximumRedirection: -1 });
    const err = await Shell.open(c).catch((e: unknown) => e);
    await c.close();
    expect((err as WsmanRedirectError).code).toBe('ERR_REDIRECT_LOOP');
    expect(a.requests.length + b.requests.length).toBe(2);
  });

  it('is not followed for a computer name (PowerShell forces the count to 0)', () => {
    expect(() => nextHop({ allow: true, maximum: 5, byConnectionUri: false }, 'http://a:5985/wsman', 'http://b/wsman', 302, 0, new Set()))
      .toThrow(/--connection-uri/);
  });

  it('resolves a relative Location against the current URL', () => {
    expect(nextHop({ allow: true, maximum: 5, byConnectionUri: true }, 'http://a:5985/wsman', '/other', 302, 0, new Set())).toBe('http://a:5985/other');
  });
});
