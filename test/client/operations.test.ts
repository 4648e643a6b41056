/** Generic operations and Receive-loop edge cases against a scripted endpoint. */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanAuthError, WsmanProtocolError, WsmanFaultError } from '../../src/core/errors.js';
import { WsmanStateError } from '../../src/core/state/index.js';
import { Action, ResourceURI } from '../../src/core/namespaces.js';
import { decodeMessage, encodeMessage, type Body, type Message } from '../../src/core/messages/index.js';
import { responseHeaders } from '../../src/core/envelope.js';
import { el } from '../../src/core/xml.js';
import { startFake, type Fake } from './helpers/fake-winrm.js';

type Script = (req: Message, res: ServerResponse, n: number) => void;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of closers.splice(0)) await c(); });

async function scripted(script: Script): Promise<{ url: string; seen: Message[]; raw: string[] }> {
  const seen: Message[] = [];
  const raw: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      raw.push(text);
      const m = decodeMessage(text);
      seen.push(m);
      script(m, res, seen.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`, seen, raw };
}

function send(res: ServerResponse, req: Message, action: string, body: Body, extra: { relatesTo?: string; status?: number } = {}): void {
  const h = responseHeaders(req.headers, action, 'uuid:11111111-2222-3333-4444-555555555555');
  if (extra.relatesTo !== undefined) h.relatesTo = extra.relatesTo;
  const xml = Buffer.from(encodeMessage({ headers: h, body }, 'response'));
  res.writeHead(extra.status ?? 200, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(xml.length) }).end(xml);
}

async function fake(opts: Parameters<typeof startFake>[0] = {}): Promise<Fake> {
  const f = await startFake(opts);
  closers.push(() => f.close());
  return f;
}

describe('generic operations', () => {
  it('refuses an answer whose RelatesTo names another request', async () => {
    const s = await scripted((req, res) => send(res, req, Action.GetResponse, { kind: 'Empty' }, { relatesTo: 'uuid:00000000-0000-0000-0000-000000000000' }));
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const err = await c.get(ResourceURI.Config).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanProtocolError);
    expect((err as WsmanProtocolError).code).toBe('ERR_RELATES_TO');
  });

  it('accepts RelatesTo in another case or without uuid:', async () => {
    const s = await scripted((req, res) => send(res, req, Action.GetResponse, { kind: 'Empty' }, { relatesTo: (req.headers.messageId ?? '').slice(5).toLowerCase() }));
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const msg = await c.get(ResourceURI.Config);
    await c.close();
    expect(msg.headers.action).toBe(Action.GetResponse);
  });

  it('enumerates with Pull until EndOfSequence', async () => {
    const shell = (id: string): { kind: 'Shell'; shell: { shellId: string } } => ({ kind: 'Shell', shell: { shellId: id } });
    const s = await scripted((req, res, n) => {
      if (n === 1) send(res, req, Action.EnumerateResponse, { kind: 'EnumerateResponse', context: 'ctx-1', items: [shell('A')] });
      else if (n === 2) send(res, req, Action.PullResponse, { kind: 'PullResponse', context: 'ctx-2', items: [shell('B'), shell('C')] });
      else send(res, req, Action.PullResponse, { kind: 'PullResponse', items: [shell('D')], endOfSequence: true });
    });
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const ids: string[] = [];
    for await (const it of c.enumerate(ResourceURI.Shell)) if (it.kind === 'Shell') ids.push(it.shell.shellId ?? '');
    await c.close();
    expect(ids).toEqual(['A', 'B', 'C', 'D']);
    expect(s.seen.map((m) => m.body.kind)).toEqual(['Enumerate', 'Pull', 'Pull']);
    const pulls = s.seen.slice(1).map((m) => (m.body.kind === 'Pull' ? m.body.context : ''));
    expect(pulls).toEqual(['ctx-1', 'ctx-2']);
  });

  it('releases the enumeration context when the caller stops early', async () => {
    const s = await scripted((req, res, n) => {
      if (n === 1) send(res, req, Action.EnumerateResponse, { kind: 'EnumerateResponse', context: 'ctx-1', items: [{ kind: 'Shell', shell: { shellId: 'A' } }] });
      else send(res, req, Action.ReleaseResponse, { kind: 'Empty' });
    });
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    for await (const _ of c.enumerate(ResourceURI.Shell)) break;
    await c.close();
    expect(s.seen.map((m) => m.body.kind)).toEqual(['Enumerate', 'Release']);
  });

  it('put, create, delete and custom actions carry the resource, selectors, options and body', async () => {
    const s = await scripted((req, res) => send(res, req, `${req.headers.action}Response`, { kind: 'Empty' }));
    const c = new WsmanClient({ endpoint: { connectionUri: s.url }, uiCulture: 'de-DE', culture: 'fr-FR', operationTimeout: 42_000 });
    const body = [el('cfg:Config', { 'xmlns:cfg': 'http://schemas.microsoft.com/wbem/wsman/1/config' }, el('cfg:MaxTimeoutms', null, '60000'))];
    await c.put(ResourceURI.Config, body, { selectors: { Name: 'x' }, options: [{ name: 'O', value: 'v' }] });
    await c.create('http://example/r', [], {});
    await c.delete('http://example/r', { selectors: { Id: '1' } });
    await c.invoke('http://example/Custom', 'http://example/r', [el('x:Do', { 'xmlns:x': 'http://example/ns' }, 'it')]);
    await c.close();
    expect(s.seen.map((m) => m.headers.action)).toEqual([Action.Put, Action.Create, Action.Delete, 'http://example/Custom']);
    const [put] = s.seen;
    expect(put?.headers.selectors).toEqual({ Name: 'x' });
    expect(put?.headers.options).toEqual([{ name: 'O', value: 'v' }]);
    expect(put?.headers.locale).toBe('de-DE');
    expect(put?.headers.dataLocale).toBe('fr-FR');
    expect(put?.headers.operationTimeout).toBe(42_000);
    expect(put?.headers.maxEnvelopeSize).toBe(153600);
    expect(put?.headers.sessionId).toBe(c.sessionId);
    expect(s.raw[0]).toMatch(/MaxTimeoutms>60000</);
    expect(s.raw[3]).toMatch(/<x:Do xmlns:x="http:\/\/example\/ns">it<\/x:Do>/);
  });

  it('falls back to MaxEnvelopeSize 153600 when the server refuses a larger one', async () => {
    const s = await scripted((req, res) => {
      if ((req.headers.maxEnvelopeSize ?? 0) > 153600) {
        return send(res, req, Action.WsmanFault, { kind: 'Fault', fault: { soapCode: 'Sender', subcode: 'w:EncodingLimit', wsmanCode: 2150858823, machine: 'm', message: 'The MaxEnvelopeSize is too large.' } }, { status: 500 });
      }
      send(res, req, Action.GetResponse, { kind: 'Empty' });
    });
    const c = new WsmanClient({ endpoint: { connectionUri: s.url }, maxEnvelopeSize: 512000 });
    await c.get(ResourceURI.Config);
    await c.get(ResourceURI.Config);
    await c.close();
    expect(s.seen.map((m) => m.headers.maxEnvelopeSize)).toEqual([512000, 153600, 153600]);
  });

  it('an HTTP 401 to a request without credentials is WsmanAuthError ERR_AUTH_REQUIRED naming the offered schemes', async () => {
    const s = await scripted((_req, res) => res.writeHead(401, { 'WWW-Authenticate': ['Negotiate', 'Basic realm="WSMAN"'], 'Content-Length': '0' }).end());
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const err = await c.get(ResourceURI.Config).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanAuthError);
    expect((err as WsmanAuthError).code).toBe('ERR_AUTH_REQUIRED');
    expect((err as Error).message).toMatch(/requires authentication \(HTTP 401; it offers Negotiate, Basic\)/);
  });

  it('an HTTP 500 without a SOAP body is a protocol error, not a crash', async () => {
    const s = await scripted((_req, res) => res.writeHead(500, { 'Content-Length': '4', 'Content-Type': 'text/plain' }).end('oops'));
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const err = await c.get(ResourceURI.Config).catch((e: unknown) => e);
    await c.close();
    expect((err as WsmanProtocolError).code).toBe('ERR_HTTP_STATUS');
    expect((err as Error).message).toMatch(/answered HTTP 500: a body of type text\/plain, not a SOAP envelope: is it a WS-Management endpoint\?$/);
  });

  it('an HTTP 404 says there is no endpoint at that path; an empty 200 says it is empty', async () => {
    const missing = await scripted((_req, res) => res.writeHead(404, { 'Content-Length': '0' }).end());
    const c = new WsmanClient({ endpoint: { connectionUri: missing.url } });
    const err = await c.get(ResourceURI.Config).catch((e: unknown) => e);
    await c.close();
    expect((err as WsmanProtocolError).code).toBe('ERR_HTTP_STATUS');
    expect((err as Error).message).toMatch(/answered HTTP 404: no WS-Management endpoint at that path \(WinRM's is \/wsman\)$/);
    const empty = await scripted((_req, res) => res.writeHead(200, { 'Content-Length': '0' }).end());
    const d = new WsmanClient({ endpoint: { connectionUri: empty.url } });
    const err2 = await d.get(ResourceURI.Config).catch((e: unknown) => e);
    await d.close();
    expect((err2 as Error).message).toMatch(/answered HTTP 200: an empty body, not a SOAP envelope/);
  });
});

describe('shell and Receive loop edge cases', () => {
  it('splits stdin so that every Send fits MaxEnvelopeSize', async () => {
    const f = await fake();
    const c = new WsmanClient({ endpoint: { connectionUri: f.url }, maxEnvelopeSize: 8192 });
    const shell = await Shell.open(c);
    const cmd = await shell.run('cat');
    const data = Buffer.alloc(50_000, 'abcdefghij');
    await cmd.end(data);
    await cmd.output();
    await shell.close();
    await c.close();
    const sends = f.requests.filter((r) => r.headers.action === Action.Send);
    expect(sends.length).toBeGreaterThan(6);
    const got = Buffer.concat(sends.map((r) => (r.body.kind === 'Send' ? r.body.streams[0]?.data ?? Buffer.alloc(0) : Buffer.alloc(0))));
    expect(got.equals(data)).toBe(true);
    expect(sends.map((r) => (r.body.kind === 'Send' ? r.body.streams[0]?.end === true : false)).filter(Boolean)).toHaveLength(1);
    const sizes = f.requests.map((r) => r.headers.maxEnvelopeSize);
    expect(new Set(sizes)).toEqual(new Set([8192]));
  });

  it('keeps the HTTP timeout above OperationTimeout (a slow Receive is not a client timeout)', async () => {
    const f = await fake({ receiveDelayMs: 1500 });
    const c = new WsmanClient({ endpoint: { connectionUri: f.url }, operationTimeout: 1000 });
    const shell = await Shell.open(c);
    const out = await (await shell.run('x')).output();
    await shell.close();
    await c.close();
    expect(out.stdout.toString()).toBe('ok\n');
  });

  it('asks again with the same SequenceId when a Receive answer is lost on the wire', async () => {
    let drops = 0;
    const s = await scripted((req, res) => {
      switch (req.headers.action) {
        case Action.Create: return send(res, req, Action.CreateResponse, { kind: 'ResourceCreated', address: 'x', selectors: { ShellId: 'S' } });
        case Action.Command: return send(res, req, Action.CommandResponse, { kind: 'CommandResponse', commandId: 'C' });
        case Action.Receive:
          if (drops++ === 0) { res.socket?.destroy(); return; }
          return send(res, req, Action.ReceiveResponse, { kind: 'ReceiveResponse', streams: [{ name: 'stdout', commandId: 'C', data: Buffer.from('once\n') }], commandState: { commandId: 'C', state: 'Done', exitCode: 5 } });
        default: return send(res, req, `${req.headers.action}Response`, req.headers.action === Action.Signal ? { kind: 'SignalResponse' } : { kind: 'Empty' });
      }
    });
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const shell = await Shell.open(c);
    const out = await (await shell.run('x')).output();
    await shell.close();
    await c.close();
    expect(out.stdout.toString()).toBe('once\n');
    expect(out.exitCode).toBe(5);
    const seqs = s.seen.filter((m) => m.body.kind === 'Receive').map((m) => (m.body.kind === 'Receive' ? m.body.sequenceId : -1));
    expect(seqs).toEqual([1, 1]); // numbered from 1: SequenceId 0 means "unnumbered" to a listener, which would not replay it
  });

  it('Signal terminate after Done: Shell.run sends it unless told not to; invokeCommand leaves it to Delete, but not after an abort', async () => {
    const TERMINATE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate';
    const f = await fake({ stdout: 'x' });
    const c = new WsmanClient({ endpoint: { connectionUri: f.url } });
    const shell = await Shell.open(c);
    expect(await (await shell.run('a')).exitCode).toBe(0);
    expect(f.signals).toEqual([TERMINATE]);
    expect(await (await shell.run('b', [], { terminateWhenDone: false })).exitCode).toBe(0);
    expect(f.signals).toEqual([TERMINATE]);
    await shell.close();
    expect((await invokeCommand(c, { command: 'c' })).stdout.toString()).toBe('x');
    expect(f.signals).toEqual([TERMINATE]);
    expect(f.openShells.size).toBe(0);
    const slow = await fake({ stdout: 'x', receiveDelayMs: 5_000 });
    const c2 = new WsmanClient({ endpoint: { connectionUri: slow.url } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await expect(invokeCommand(c2, { command: 'd', signal: ac.signal })).rejects.toThrow('stop');
    expect(slow.signals).toEqual([TERMINATE]);
    expect(slow.openShells.size).toBe(0);
    await c.close();
    await c2.close();
  });

  it('a long Receive loop leaves no abort listeners behind (no MaxListenersExceededWarning after 25 Receives)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(w.name); };
    process.on('warning', onWarning);
    try {
      const f = await fake({ timeouts: 25, stdout: 'late' });
      const c = new WsmanClient({ endpoint: { connectionUri: f.url } });
      const shell = await Shell.open(c);
      const cmd = await shell.run('x');
      cmd.stdout.resume();
      expect(await cmd.exitCode).toBe(0);
      await shell.close();
      await c.close();
      expect(f.requests.filter((m) => m.body.kind === 'Receive').length).toBeGreaterThan(25);
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an aborted Receive loop still sends Signal terminate (without the aborted signal); close deletes the shell', async () => {
    const f = await fake();
    const c = new WsmanClient({ endpoint: { connectionUri: f.url } });
    const shell = await Shell.open(c);
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    const cmd = shell.attachCommand('00000000-0000-0000-0000-00000000BEEF', { signal: ac.signal });
    await expect(cmd.exitCode).rejects.toThrow('gone');
    await shell.close();
    await c.close();
    expect(f.signals).toEqual(['http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate']);
    expect(f.openShells.size).toBe(0);
  });

  it('follows the shared state tables: Terminated after Done, no stdin then, no command on a closed shell', async () => {
    const f = await fake();
    const c = new WsmanClient({ endpoint: { connectionUri: f.url } });
    const shell = await Shell.open(c);
    const cmd = await shell.run('x');
    expect(cmd.state).toBe('Running');
    await cmd.output();
    expect(cmd.state).toBe('Terminated');
    await expect(cmd.write('late')).rejects.toBeInstanceOf(WsmanStateError);
    await shell.close();
    expect(shell.state).toBe('Closed');
    const before = f.requests.length;
    await expect(shell.run('y')).rejects.toThrow(/Command is not valid for a shell in state Closed/);
    expect(f.requests.length).toBe(before);
    await c.close();
  });

  it('a fault on Create is WsmanFaultError with the code explained', async () => {
    const s = await scripted((req, res) => send(res, req, Action.WsmanFault, {
      kind: 'Fault', fault: { soapCode: 'Sender', subcode: 'w:QuotaLimit', wsmanCode: 2150859173, machine: 'm', message: 'too many shells' },
    }, { status: 500 }));
    const c = new WsmanClient({ endpoint: { connectionUri: s.url } });
    const err = await Shell.open(c).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).explanation).toMatch(/MaxShellsPerUser/);
    expect((err as Error).message).toMatch(/2150859173 ERROR_WSMAN_QUOTA_MAX_SHELLS/);
  });
});
