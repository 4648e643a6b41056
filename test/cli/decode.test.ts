/**
 * `wsman decode FILE... | -` from outside: the CLI is run as a child process (from source through
 * tsx, so it always matches the tree) on fixture envelopes written to a temporary directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, pypsrp, winrb, ERB_TEXT } from '../helpers/fixtures.js';
import { CLI } from '../helpers/cli.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function wsman(args: string[], stdin?: Buffer | string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(stdin ?? '');
  });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

let dir: string;
const file = (name: string, content: string | Buffer): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

const shellCreate = pypsrp('test_winrs_stderr_rc.yml', 0);
const receive = pypsrp('test_winrs_stderr_rc.yml', 2);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsman-decode-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('wsman decode', () => {
  it('prints one JSON object per file, in order, with action, headers and body; exit 0', { timeout: 20_000 }, async () => {
    const files = [
      file('1-create.xml', shellCreate.request),
      file('2-created.xml', shellCreate.response!),
      file('3-receive.xml', receive.response!),
      file('4-fault.xml', winrb('soap_fault_v2.xml')),
      file('5-omi.xml', winrb('get_omi_command_output_response_not_done.xml.erb')),
    ];
    const r = await wsman(['decode', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout).map((l) => JSON.parse(l) as { file: string; action: string | null; headers: Record<string, unknown>; body: Record<string, unknown> });
    expect(out.map((o) => o.file)).toEqual(files);
    expect(out[0]!.action).toBe('http://schemas.xmlsoap.org/ws/2004/09/transfer/Create');
    expect(out[0]!.headers).toMatchObject({ maxEnvelopeSize: 153600, operationTimeout: 20000, resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd' });
    expect(out[0]!.body).toEqual({ kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } });
    expect(out[1]!.body).toMatchObject({ kind: 'ResourceCreated', selectors: { ShellId: '44AF9A2C-624E-4975-AB20-CEB406E440B9' } });
    // base64 stream data is shown as text where printable
    expect(out[2]!.body).toMatchObject({ kind: 'ReceiveResponse', streams: [{ name: 'stdout', data: { text: 'out \r\n' } }, { name: 'stderr', data: { text: 'err \r\n' } }, {}, {}] });
    expect(out[2]!.body.commandState).toMatchObject({ state: 'Done', exitCode: 1 });
    expect(out[3]!.body).toMatchObject({ kind: 'Fault', fault: { wsmanCode: 2150858778, subcode: 'n:CannotProcessFilter' } });
    expect(out[4]!.body).toMatchObject({ streams: [{ data: { text: ERB_TEXT.stdout } }] });
  });

  it('reads standard input for -', { timeout: 20_000 }, async () => {
    const r = await wsman(['decode', '-'], receive.request);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ file: '-', action: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive', body: { kind: 'Receive', streams: ['stdout', 'stderr'] } });
  });

  it('a hostile file gives one line on stderr and exit 2, after the files before it', { timeout: 20_000 }, async () => {
    const good = file('good.xml', shellCreate.response!);
    const evil = file('evil.xml', `<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>${receive.response!.replace('<s:Body>', '<s:Body>&b;')}`);
    const r = await wsman(['decode', good, evil]);
    expect(r.code).toBe(2);
    expect(lines(r.stdout)).toHaveLength(1);
    const err = lines(r.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('evil.xml');
    expect(err[0]).toContain('ERR_XML_FORBIDDEN');
  });

  it('malformed input and a missing file also exit 2 with one stderr line', { timeout: 20_000 }, async () => {
    const bad = await wsman(['decode', file('bad.xml', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>')]);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toHaveLength(1);
    expect(bad.stderr).toContain('ERR_XML_MALFORMED');
    const missing = await wsman(['decode', path.join(dir, 'no-such-file.xml')]);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toHaveLength(1);
  });

  it('decodes the body of an HTTP message with headers (request and UTF-16 response)', { timeout: 20_000 }, async () => {
    const body = Buffer.from(receive.request, 'utf8');
    const req = Buffer.concat([
      Buffer.from(`POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:5985\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ${body.length}\r\n\r\n`),
      body,
    ]);
    const resBody = Buffer.from(receive.response!, 'utf16le');
    const res = Buffer.concat([
      Buffer.from(`HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-16\r\nContent-Length: ${resBody.length}\r\n\r\n`),
      resBody,
    ]);
    const r = await wsman(['decode', file('req.http', req), file('res.http', res)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [a, b] = lines(r.stdout).map((l) => JSON.parse(l) as { body: { kind: string } });
    expect(a!.body.kind).toBe('Receive');
    expect(b!.body).toMatchObject({ kind: 'ReceiveResponse', streams: [{ data: { text: 'out \r\n' } }, {}, {}, {}] });
  });

  it('decodes every file even when some fail: one stderr line per failure, the others on stdout, exit 2 at the end', { timeout: 20_000 }, async () => {
    const bad1 = file('bad1.xml', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>');
    const good1 = file('good1.xml', shellCreate.response!);
    const bad2 = path.join(dir, 'missing.xml');
    const good2 = file('good2.xml', receive.response!);
    const r = await wsman(['decode', bad1, good1, bad2, good2]);
    expect(r.code).toBe(2);
    expect(lines(r.stdout).map((l) => (JSON.parse(l) as { file: string }).file)).toEqual([good1, good2]);
    const err = lines(r.stderr);
    expect(err).toHaveLength(2);
    expect(err[0]).toContain('bad1.xml');
    expect(err[1]).toContain('missing.xml');
  });

  it('decodes an OperationTimeout of PT-1S as it was on the wire, marked invalid (recorded from a real client)', { timeout: 20_000 }, async () => {
    const ex = pypsrp('test_psrp_is_alive_other_wsman_error.yml', 3);
    expect(ex.request).toContain('<wsman:OperationTimeout>PT-1S</wsman:OperationTimeout>');
    const r = await wsman(['decode', file('pt-1s.xml', ex.request)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(lines(r.stdout)[0]!) as { action: string; headers: Record<string, unknown> };
    expect(out.action).toBe('http://schemas.xmlsoap.org/ws/2004/09/transfer/Get');
    expect(out.headers.operationTimeout).toMatchObject({ invalid: 'PT-1S' });
    expect(out.headers).toMatchObject({ maxEnvelopeSize: 512000, selectors: { ShellId: 'AD18BFC8-67B1-45FC-998A-632796CDF812' } });
  });

  it('keeps the HTTP status of a captured response, and s:NotUnderstood\'s qname', { timeout: 20_000 }, async () => {
    const fault = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>' +
      '<s:NotUnderstood qname="w:Frob" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"/><a:Action>http://schemas.xmlsoap.org/ws/2004/08/addressing/fault</a:Action></s:Header>' +
      '<s:Body><s:Fault><s:Code><s:Value>s:MustUnderstand</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">not understood</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>';
    const msg = `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(fault)}\r\n\r\n${fault}`;
    const r = await wsman(['decode', file('mu.http', msg)]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(lines(r.stdout)[0]!) as { http: unknown; headers: Record<string, unknown>; body: { kind: string } };
    expect(out.http).toEqual({ status: 500, reason: 'Internal Server Error', contentType: 'application/soap+xml;charset=UTF-8' });
    expect(out.headers.notUnderstood).toEqual(['w:Frob']);
    expect(out.body.kind).toBe('Fault');
  });

  it('reports a non-XML body (a text/plain 401) as what it is, and an empty 401 as having no body', { timeout: 20_000 }, async () => {
    const plain = file('401.http', 'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 18\r\n\r\nAccess is denied.\n');
    const empty = file('401-empty.http', 'HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n');
    const r = await wsman(['decode', plain, empty]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [a, b] = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ http: { status: 401, reason: 'Unauthorized', contentType: 'text/plain' }, body: { kind: 'NotXml', contentType: 'text/plain', text: 'Access is denied.\n' } });
    expect(b).toMatchObject({ http: { status: 401 }, body: { kind: 'NoBody' } });
  });
});

