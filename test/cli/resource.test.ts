/**
 * `wsman get | set | create | delete | enumerate | invoke-method` as users run them: against
 * recorded Windows answers (replayed on 127.0.0.1:0), a scripted endpoint, and our listener.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { Action } from '../../src/core/namespaces.js';
import { formatText } from '../../src/cli/resource.js';
import { parseXml } from '../../src/core/xml.js';
import { loadConversation, startReplay, type Replay } from '../replay/replay-server.js';
import { PYPSRP_DIR } from '../helpers/fixtures.js';
import { startScripted, service, type Scripted } from '../client/helpers/scripted-wsman.js';
import { startListener, type TestListener } from '../server/helpers.js';
import { CLI } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
interface Run { code: number | null; stdout: string; stderr: string }

function wsman(args: string[], onSpawn?: (kill: (sig: NodeJS.Signals) => void, out: () => string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT, env: { ...process.env, WSMAN_PASSWORD: 'secret' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.((sig) => child.kill(sig), () => stdout);
  });
}

const CONFIG = loadConversation(path.join(PYPSRP_DIR, 'test_wsman_update_envelope_size_500.yml'))[0]!;
let replay: Replay | undefined;
let fake: Scripted | undefined;
afterEach(async () => {
  await replay?.close();
  await fake?.close();
  replay = undefined; fake = undefined;
});

describe('output formats (recorded Windows Get of winrm/config)', () => {
  it('text: nested Name = Value lines as winrm get winrm/config prints them', async () => {
    replay = await startReplay([CONFIG]);
    const r = await wsman(['get', 'winrm/config', '--connection-uri', replay.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual(['Config', '    MaxEnvelopeSizekb = 500', '    MaxTimeoutms = 60000', '    MaxBatchItems = 32000',
      '    MaxProviderRequests = 4294967295', '    Client']);
    expect(lines).toContain('        TrustedHosts');
    expect(lines).toContain('        Auth');
    expect(lines).toContain('            CbtHardeningLevel = Relaxed');
    expect(replay.mismatches).toEqual([]);
  });

  it('--json: typed properties; --format xml: the XML as received', async () => {
    replay = await startReplay([CONFIG, CONFIG]);
    const j = await wsman(['get', 'winrm/config', '--connection-uri', replay.url, '--json']);
    expect(j.code).toBe(0);
    const obj = JSON.parse(j.stdout) as { class: string; properties: Record<string, unknown> };
    expect(obj.class).toBe('Config');
    expect(obj.properties.MaxEnvelopeSizekb).toBe(500);
    expect((obj.properties.Winrs as Record<string, unknown>).AllowRemoteShellAccess).toBe(true);
    const x = await wsman(['get', 'http://schemas.microsoft.com/wbem/wsman/1/config', '--connection-uri', replay.url, '--format', 'xml']);
    expect(x.code).toBe(0);
    const recordedBody = /<s:Body>(.*)<\/s:Body>/.exec(CONFIG.response!)![1]!;
    // The same XML; an empty element is written in its short form (<cfg:TrustedHosts/>).
    expect(x.stdout).toBe(`${recordedBody.replace(/<([\w:]+)><\/\1>/g, '<$1/>')}\n`);
    expect(recordedBody).toContain('<cfg:TrustedHosts></cfg:TrustedHosts>');
  });

  it('formatText prints xsi:nil as null and a CIM datetime as its text', () => {
    const e = parseXml(`<root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${service('WinRM')}</root>`).children[0]!;
    const lines = formatText(e);
    expect(lines).toContain('    InstallDate = null');
    expect(lines).toContain('    Since = 2024-01-02T03:04:05Z');
    expect(lines.filter((l) => l.startsWith('    Caps'))).toEqual(['    Caps = 1', '    Caps = 2']);
  });
});

describe('enumerate, faults, invoke-method (scripted endpoint)', () => {
  it('streams one JSON line per item across Pulls; a fault prints its FaultDetail and exits 255', async () => {
    let n = 0;
    fake = await startScripted((m) => {
      if (m.headers.action === Action.Enumerate) {
        return { body: `<n:EnumerateResponse><n:EnumerationContext>c1</n:EnumerationContext><w:Items>${service('a')}</w:Items></n:EnumerateResponse>` };
      }
      if (m.headers.action === Action.Pull) {
        n++;
        return { body: `<n:PullResponse>${n < 2 ? '<n:EnumerationContext>c2</n:EnumerationContext>' : ''}<n:Items>${service(n < 2 ? 'b' : 'c')}</n:Items>${n < 2 ? '' : '<n:EndOfSequence/>'}</n:PullResponse>` };
      }
      return { body: '<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidResourceURI</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request because the resource URI is not valid. </s:Text></s:Reason><s:Detail><w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI</w:FaultDetail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858811" Machine="win1"><f:Message>The WS-Management service cannot process the request because the resource URI is not valid. </f:Message></f:WSManFault></s:Detail></s:Fault>' };
    });
    const r = await wsman(['enumerate', 'wmicimv2/*', '--filter', 'SELECT * FROM Win32_Service', '--connection-uri', fake.url, '--json', '--max-elements', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { properties: { Name: string } }).properties.Name)).toEqual(['a', 'b', 'c']);
    expect(r.stderr).toBe(''); // no progress: stderr is not a terminal
    const g = await wsman(['get', 'wmicimv2/NoSuchClass', '--connection-uri', fake.url]);
    expect(g.code).toBe(255);
    expect(g.stderr).toMatch(/^wsman get: w:InvalidResourceURI \(2150858811 ERROR_WSMAN_INVALID_RESOURCE_URI\) \[InvalidResourceURI\] from win1: The WS-Management service/);
  });

  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal, enumerate counts the items on stderr between responses (needs script(1) for a pty)', async () => {
    let n = 0;
    fake = await startScripted((m) => {
      if (m.headers.action === Action.Enumerate) {
        return { body: `<n:EnumerateResponse><n:EnumerationContext>c1</n:EnumerationContext><w:Items>${service('a')}</w:Items></n:EnumerateResponse>` };
      }
      n++;
      return { body: `<n:PullResponse>${n < 2 ? '<n:EnumerationContext>c2</n:EnumerationContext>' : ''}<n:Items>${service('b')}${service('c')}</n:Items>${n < 2 ? '' : '<n:EndOfSequence/>'}</n:PullResponse>` };
    });
    const cmd = [process.execPath, CLI, 'enumerate', 'wmicimv2/Win32_Service', '--connection-uri', fake.url, '--json']
      .map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('/usr/bin/script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => { text += c.toString(); });
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    expect(out).toContain('\r1 item…');
    expect(out).toContain('\r3 items…');
    expect(out.match(/"Name":"\w"/g)).toEqual(['"Name":"a"', '"Name":"b"', '"Name":"c"', '"Name":"b"', '"Name":"c"']);
  });

  it('Ctrl-C during an enumeration sends Release and exits 130', async () => {
    fake = await startScripted(async (m) => {
      if (m.headers.action === Action.Enumerate) {
        return { body: `<n:EnumerateResponse><n:EnumerationContext>c1</n:EnumerationContext><w:Items>${service('a')}</w:Items></n:EnumerateResponse>` };
      }
      if (m.headers.action === Action.Release) return { body: '' };
      await new Promise((res) => setTimeout(res, 30_000)); // a Pull that hangs until Ctrl-C
      return { body: '<n:PullResponse><n:Items/><n:EndOfSequence/></n:PullResponse>' };
    });
    const r = await wsman(['enumerate', 'wmicimv2/Win32_Service', '--connection-uri', fake.url], (kill, out) => {
      const poll = setInterval(() => {
        if (out().includes('Name = a') && fake!.requests.some((q) => q.msg.headers.action === Action.Pull)) {
          clearInterval(poll);
          kill('SIGINT');
        }
      }, 50);
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^Win32_Service\n {4}Name = a\n/);
    const release = fake.requests.find((q) => q.msg.headers.action === Action.Release);
    expect(release?.msg.body).toEqual({ kind: 'Release', context: 'c1' });
  });

  it('invoke-method and set send what the library sends; usage errors exit 255', async () => {
    const uri = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service';
    fake = await startScripted((m) => {
      if (m.headers.action === `${uri}/StopService`) return { body: `<p:StopService_OUTPUT xmlns:p="${uri}"><p:ReturnValue>0</p:ReturnValue></p:StopService_OUTPUT>` };
      return { body: service('Spooler') };
    });
    const r = await wsman(['invoke-method', 'wmicimv2/Win32_Service', 'StopService', '--selector', 'Name=Spooler', '--param', 'Force=true', '--connection-uri', fake.url]);
    expect(r.stdout).toBe('StopService_OUTPUT\n    ReturnValue = 0\n');
    expect(fake.requests[0]!.raw).toContain(`<p:StopService_INPUT xmlns:p="${uri}"><p:Force>true</p:Force></p:StopService_INPUT>`);
    const s = await wsman(['set', 'wmicimv2/Win32_Service?Name=Spooler', '--value', 'TagId=3', '--connection-uri', fake.url, '--json']);
    expect(s.code).toBe(0);
    expect(fake.requests.slice(1).map((q) => q.msg.headers.action)).toEqual([Action.Get, Action.Put]);
    expect(fake.requests[2]!.raw).toContain('<p:TagId>3</p:TagId>');
    const bad = await wsman(['set', 'wmicimv2/Win32_Service', '--connection-uri', fake.url]);
    expect(bad).toMatchObject({ code: 255, stderr: 'wsman set: say what to change: --value NAME=VALUE\n' });
    const alias = await wsman(['get', 'nosuch/Thing', '--connection-uri', fake.url]);
    expect(alias.code).toBe(255);
    expect(alias.stderr).toMatch(/^wsman get: 'nosuch\/Thing' is neither a URI nor an alias/);
  });
});

describe('against our listener', () => {
  let L: TestListener;
  beforeAll(async () => { L = await startListener(); });
  afterAll(async () => { await L?.stop(); });
  const conn = (): string[] => ['--connection-uri', L.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted'];

  it('get winrm/config reports the listener\'s configuration; enumerate shell lists alice\'s shells', async () => {
    const g = await wsman(['get', 'winrm/config', ...conn(), '--json']);
    expect(g.stderr).toBe('');
    const cfg = JSON.parse(g.stdout) as { properties: { MaxEnvelopeSizekb: number; Winrs: Record<string, unknown> } };
    expect(cfg.properties.MaxEnvelopeSizekb).toBe(L.listener.core.config.maxEnvelopeSizeKb);
    expect(cfg.properties.Winrs.AllowRemoteShellAccess).toBe(true);
    const e = await wsman(['enumerate', 'shell', ...conn()]);
    expect(e).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('set, create, delete and invoke-method get a fault from the listener and exit 255', async () => {
    for (const args of [['set', 'winrm/config', '--value', 'MaxEnvelopeSizekb=1'], ['create', 'wmicimv2/Win32_Process', '--value', 'Name=x'],
      ['delete', 'winrm/config/Listener?Address=*+Transport=HTTP'], ['invoke-method', 'wmicimv2/Win32_Process', 'Create', '--param', 'CommandLine=id']]) {
      const r = await wsman([...args, ...conn()]);
      expect(r.code, args.join(' ')).toBe(255);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^wsman ${args[0]}: [aw]:\\w+ \\(\\d+`));
    }
  });
});
