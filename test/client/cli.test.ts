/** `wsman run` and `wsman identify` as users run them, against our listener. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WsmanClient } from '../../src/client/client.js';
import { ResourceURI } from '../../src/core/namespaces.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startListener, USER, type TestListener } from './helpers/listener.js';
import { startFake } from './helpers/fake-winrm.js';
import { makeCert } from './helpers/certs.js';
import { CLI } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let L: TestListener;
beforeAll(async () => { L = await startListener(); });
afterAll(async () => { await L?.stop(); });

interface Run { code: number | null; stdout: string; stderr: string }

function wsman(args: string[], opts: { stdin?: string; keepStdinOpen?: boolean; env?: Record<string, string>; onSpawn?: (kill: (sig: NodeJS.Signals) => void, out: () => string) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT, env: { ...process.env, WSMAN_PASSWORD: USER.password, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else if (!opts.keepStdinOpen) child.stdin.end();
    opts.onSpawn?.((sig) => child.kill(sig), () => stderr + stdout);
  });
}

async function shellsLeft(): Promise<number> {
  const c = new WsmanClient({ endpoint: { connectionUri: L.httpUrl }, credential: USER, authentication: 'basic', allowUnencrypted: true });
  let n = 0;
  for await (const _ of c.enumerate(ResourceURI.Shell)) n++;
  await c.close();
  return n;
}

describe('wsman run', () => {
  it('prints hello and exits 0 (the issue\'s done criterion)', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--credential', 'alice', '--', 'echo', 'hello']);
    expect(r).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
  });

  it('streams stderr apart and exits with the remote exit code; stdin is forwarded', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--credential', 'alice', '--', 'cat; echo oops >&2; exit 42'], { stdin: 'piped\n' });
    expect(r.stdout).toBe('piped\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.code).toBe(42);
  });

  it('exits when the remote command ends even if local stdin stays open', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--credential', 'alice', '--', 'echo', 'done'], { keepStdinOpen: true });
    expect(r).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
  });

  it('a refused password is one clear line and exit 255', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--credential', 'alice', '--', 'true'], { env: { WSMAN_PASSWORD: 'Not-The-Pa55word' } });
    expect(r.code).toBe(255);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/refused negotiate authentication \(HTTP 401: wrong user name or password/);
    expect(r.stderr).not.toContain('Not-The-Pa55word');
  });

  it('no --credential against a listener that wants one: one line saying what to give, exit 255', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/requires authentication \(HTTP 401; it offers [^)]*Basic[^)]*\): give a credential \(--credential USER\)/);
  });

  it('--json prints the result object', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--credential', 'alice', '--json', '--', 'echo', 'j']);
    expect(JSON.parse(r.stdout)).toEqual({ ComputerName: '127.0.0.1', ExitCode: 0, Stdout: 'j\n', Stderr: '' });
  });

  it('fans out over several computers, prefixing lines, and summarises failures', async () => {
    const port = new URL(L.httpUrl).port;
    const r = await wsman(['run', '--computer-name', '127.0.0.1,localhost,127.0.0.2', '--port', port, '--credential', 'alice', '--', 'printf', "'a\\nb\\n'"]);
    const lines = r.stdout.trim().split('\n').sort();
    expect(lines).toEqual(['[127.0.0.1] a', '[127.0.0.1] b', '[localhost] a', '[localhost] b']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 of 3 succeeded; failed: 127\.0\.0\.2 \(.*refused/);
  });

  it('Ctrl-C terminates the remote command and deletes the shell, exit 130', async () => {
    const before = await shellsLeft();
    const r = await wsman(['run', '--connection-uri', L.httpUrl, '--credential', 'alice', '--', 'sleep 30'], {
      onSpawn: (kill) => {
        const poll = setInterval(() => {
          shellsLeft().then((n) => { if (n > before) { clearInterval(poll); kill('SIGINT'); } }, () => undefined);
        }, 100);
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
    expect(await shellsLeft()).toBe(before);
  });

  it('--certificate-thumbprint finds the certificate in WSMAN_CERT_STORE and authenticates with it', async () => {
    const ca = makeCert({ cn: 'CA', isCa: true });
    const server = makeCert({ cn: '127.0.0.1', ips: ['127.0.0.1'], issuer: ca });
    const alice = makeCert({ cn: 'alice', clientAuth: true, issuer: ca });
    const store = mkdtempSync(path.join(tmpdir(), 'wsman-cli-store-'));
    writeFileSync(path.join(store, 'alice.pem'), alice.cert);
    writeFileSync(path.join(store, 'alice.key'), alice.key);
    const f = await startFake({ tls: { cert: server.cert, key: server.key, requestCert: true, ca: ca.cert }, stdout: 'by cert\n' });
    try {
      const r = await wsman(['run', '--connection-uri', f.url, '--authentication', 'certificate', '--certificate-thumbprint', alice.thumbprint,
        '--server-thumbprint', server.thumbprint, '--', 'x'], { env: { WSMAN_CERT_STORE: store } });
      expect(r.stdout).toBe('by cert\n');
      expect(r.code).toBe(0);
      expect(f.peerCNs.at(-1)).toBe('alice');
      expect(f.headers.at(-1)?.authorization).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual');
      const missing = await wsman(['run', '--connection-uri', f.url, '--authentication', 'certificate', '--certificate-thumbprint', server.thumbprint, '--', 'x'],
        { env: { WSMAN_CERT_STORE: store } });
      expect(missing.code).toBe(255);
      expect(missing.stderr).toMatch(new RegExp(server.thumbprint));
    } finally {
      await f.close();
    }
  });

  it('a remote command\'s option without -- before it: the error says where it goes', async () => {
    const r = await wsman(['run', '--connection-uri', L.httpUrl, 'ls', '-la']);
    expect(r.code).toBe(255);
    expect(r.stderr).toBe("error: unknown option '-la'\n(the remote command and its options go after --: wsman run … -- ls -la)\n");
  });

  it('a missing destination is a usage error', async () => {
    const r = await wsman(['run', '--', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/--connection-uri URI or --computer-name HOST/);
  });
});

describe('wsman identify', () => {
  it('prints what the endpoint says about itself', async () => {
    const r = await wsman(['identify', L.httpUrl, '--unauthenticated']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ProtocolVersion\s+: http:\/\/schemas\.dmtf\.org\/wbem\/wsman\/1\/wsman\.xsd$/m);
    expect(r.stdout).toMatch(/^ProductVendor\s+: /m);
    expect(r.stdout).not.toMatch(/SecurityProfiles/);
    const auth = await wsman(['identify', L.httpUrl, '--credential', 'alice', '--json']);
    expect(JSON.parse(auth.stdout).SecurityProfiles.length).toBeGreaterThan(0);
    // The shared connection options: the endpoint by --connection-uri, as every connecting command takes it.
    const byOption = await wsman(['identify', '--connection-uri', L.httpUrl, '--json']);
    expect(JSON.parse(byOption.stdout).ProductVendor).toBeTruthy();
    const twice = await wsman(['identify', L.httpUrl, '--connection-uri', L.httpUrl]);
    expect([twice.code, twice.stderr]).toEqual([255, 'wsman identify: give the endpoint once: as TARGET, --connection-uri or --computer-name\n']);
  });
});

describe('wsman (the entry point loads only the command asked for)', () => {
  const ALL = ['decode', 'conformance', 'cert', 'identify', 'run', 'listen', 'user', 'session', 'demo', 'get', 'set', 'create', 'delete', 'invoke-method', 'enumerate', 'invoke'];

  it('--version prints the version; --help and `help` list every command', async () => {
    expect(await wsman(['--version'])).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    for (const args of [['--help'], ['help'], ['--help', 'run']]) {
      const r = await wsman(args);
      expect(r.code).toBe(0);
      const listed = [...r.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
      expect(listed).toEqual([...ALL, 'help']);
    }
  });

  it('a command\'s own help; an unknown command or option is refused with 255', async () => {
    const r = await wsman(['session', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wsman session/);
    expect(r.stdout).toMatch(/\bnew\b[^]*\blist\b/);
    const bad = await wsman(['frobnicate']);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/unknown command 'frobnicate'/);
    // A usage error is our own error: 255, never a status a remote command could have given.
    const option = await wsman(['run', '--connection-uri', L.httpUrl, '--bogus', '--', 'true']);
    expect(option.code).toBe(255);
    expect(option.stderr.trim().split('\n')).toEqual(["error: unknown option '--bogus'"]);
  });
});
