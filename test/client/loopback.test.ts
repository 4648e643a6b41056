/** The client against our own listener (src/server) over loopback: commands, stdin, exit codes, signals, big output, TLS. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanFaultError, WsmanTlsError } from '../../src/core/errors.js';
import { ResourceURI } from '../../src/core/namespaces.js';
import { WsmanRedirectError } from '../../src/client/redirect.js';
import type { ClientOptions } from '../../src/client/options.js';
import { startListener, USER, type TestListener } from './helpers/listener.js';

let L: TestListener;
beforeAll(async () => { L = await startListener(); });
afterAll(async () => { await L?.stop(); });

function client(extra: Partial<ClientOptions> = {}, url = L.httpUrl): WsmanClient {
  return new WsmanClient({ endpoint: { connectionUri: url }, credential: USER, authentication: 'basic', allowUnencrypted: true, ...extra });
}

async function sh(command: string, extra: Partial<ClientOptions> = {}, stdin?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const c = client(extra);
  try {
    const r = await invokeCommand(c, { command, ...(stdin !== undefined ? { stdin } : {}) });
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode };
  } finally {
    await c.close();
  }
}

describe('client against our listener', () => {
  it('identifies (unauthenticated and authenticated)', async () => {
    const c = client();
    const anon = await c.identify({ unauthenticated: true });
    const auth = await c.identify();
    await c.close();
    expect(anon.protocolVersion).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd');
    expect(anon.securityProfiles).toBeUndefined();
    expect(auth.securityProfiles?.length).toBeGreaterThan(0);
  });

  it('runs echo hello: stdout, exit code 0', async () => {
    expect(await sh('echo hello')).toEqual({ stdout: 'hello\n', stderr: '', exitCode: 0 });
  });

  it('keeps stderr apart and returns the exit code', async () => {
    expect(await sh('echo out; echo err >&2; exit 3')).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('unicode output arrives byte for byte', async () => {
    expect((await sh("printf 'こんにちは ünïcødé\\n'")).stdout).toBe('こんにちは ünïcødé\n');
  });

  it('sends stdin, split across several Sends when larger than an envelope', async () => {
    const big = 'x'.repeat(300_000) + '\nend\n';
    const r = await sh('wc -c', {}, big);
    expect(r.stdout.trim()).toBe(String(Buffer.byteLength(big)));
    expect(r.exitCode).toBe(0);
  });

  it('receives big output (8 MB) intact across many Receives', async () => {
    const c = client();
    const shell = await Shell.open(c);
    const cmd = await shell.run('head -c 8000000 /dev/urandom | tee /tmp/.wsman-client-big.$$ | sha256sum >&2; cat /tmp/.wsman-client-big.$$; rm -f /tmp/.wsman-client-big.$$');
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of cmd.stdout) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const err: Buffer[] = [];
    for await (const chunk of cmd.stderr) err.push(chunk as Buffer);
    expect(await cmd.exitCode).toBe(0);
    await shell.close();
    await c.close();
    expect(bytes).toBe(8_000_000);
    expect(Buffer.concat(err).toString().split(' ')[0]).toBe(hash.digest('hex'));
  });

  it('keeps polling through TimedOut answers of a long command', async () => {
    const c = client({ operationTimeout: 1000 });
    const shell = await Shell.open(c);
    let timedOut = 0;
    const cmd = await shell.run('sleep 2.5; echo late', [], { onTimedOut: () => timedOut++ });
    const out = await cmd.output();
    await shell.close();
    await c.close();
    expect(out.stdout.toString()).toBe('late\n');
    expect(timedOut).toBeGreaterThanOrEqual(1);
  });

  it('an aborted command is terminated and its shell deleted', async () => {
    const c = client();
    const ac = new AbortController();
    const p = invokeCommand(c, { command: 'sleep 30', signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 300);
    const t0 = Date.now();
    const err = await p.catch((e: unknown) => e);
    expect((err as Error).message).toBe('stop');
    expect(Date.now() - t0).toBeLessThan(10_000);
    // The shell is gone: enumerating our shells finds none.
    const items = [];
    for await (const it of c.enumerate(ResourceURI.Shell)) items.push(it);
    await c.close();
    expect(items).toHaveLength(0);
  });

  it('ctrl_c stops a running command', async () => {
    const c = client();
    const shell = await Shell.open(c);
    const cmd = await shell.run('sleep 30; echo never');
    await new Promise((r) => setTimeout(r, 200));
    await cmd.stop();
    const out = await cmd.output();
    await shell.close();
    await c.close();
    expect(out.stdout.toString()).toBe('');
    expect(out.exitCode).not.toBe(0);
  });

  it('a deleted shell answers the shell-not-found fault, explained', async () => {
    const c = client();
    const shell = await Shell.open(c);
    const info = await shell.get();
    expect(info.shellId).toBe(shell.shellId);
    await c.delete(shell.resourceUri, { selectors: { ShellId: shell.shellId } });
    const gone = await shell.get().catch((e: unknown) => e);
    expect((gone as WsmanFaultError).wsmanCode).toBe(2150858843);
    const err = await shell.run('echo x').catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).wsmanCode).toBe(2150858843);
    expect((err as WsmanFaultError).explanation).toMatch(/does not exist/);
  });

  it('a client-chosen ShellId, environment and working directory are honoured', async () => {
    const c = client();
    const id = 'A1B2C3D4-0000-4000-8000-00000000ABCD';
    const shell = await Shell.open(c, { shellId: id.toLowerCase(), environment: { FOO: 'bar baz' }, workingDirectory: '/tmp' });
    expect(shell.shellId).toBe(id);
    const out = await (await shell.run('echo "$FOO"; pwd')).output();
    await shell.close();
    await c.close();
    expect(out.stdout.toString()).toBe('bar baz\n/tmp\n');
  });

  it('reads MaxEnvelopeSizekb when asked', async () => {
    const c = client({ maxEnvelopeSize: 'auto' });
    const size = await c.negotiateEnvelopeSize();
    await c.close();
    expect(size).toBeGreaterThanOrEqual(8192);
  });

  it('HTTPS: the self-signed certificate is refused by default, accepted pinned or with skip options', async () => {
    const c0 = client({}, L.httpsUrl);
    const err = await invokeCommand(c0, { command: 'echo tls' }).catch((e: unknown) => e);
    await c0.close();
    expect(err).toBeInstanceOf(WsmanTlsError);
    for (const extra of [{ serverThumbprint: L.thumbprint }, { skipCACheck: true, skipCNCheck: true }]) {
      const c = client(extra, L.httpsUrl);
      const r = await invokeCommand(c, { command: 'echo tls' });
      await c.close();
      expect(r.stdout.toString()).toBe('tls\n');
    }
  });

  it('follows our listener\'s redirect only when allowed', async () => {
    const R = await startListener({ redirect: L.httpUrl });
    try {
      const refused = client({}, R.httpUrl);
      const err = await invokeCommand(refused, { command: 'echo x' }).catch((e: unknown) => e);
      await refused.close();
      expect((err as WsmanRedirectError).code).toBe('ERR_REDIRECT_NOT_ALLOWED');
      expect((err as WsmanRedirectError).location).toBe(L.httpUrl);
      const ok = client({ allowRedirection: true }, R.httpUrl);
      const r = await invokeCommand(ok, { command: 'echo redirected' });
      await ok.close();
      expect(r.stdout.toString()).toBe('redirected\n');
    } finally {
      await R.stop();
    }
  });

  it('a custom action the server does not know is an ActionNotSupported fault', async () => {
    const c = client();
    const err = await c.invoke('http://example.com/NoSuchAction', ResourceURI.Cmd, []).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).subcode).toBe('a:ActionNotSupported');
  });
});
