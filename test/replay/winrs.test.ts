/**
 * Replay of real Windows conversations (pypsrp's recordings, Windows Server 2016/2019) through
 * the client: the client must send what pypsrp sent (checked by the replay server) and reach the
 * recorded results byte for byte.
 */
import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanFaultError } from '../../src/core/errors.js';
import { Action } from '../../src/core/namespaces.js';
import { validateEnvelopes } from '../helpers/schema.js';
import { loadConversation, startReplay, type Replay, type Exchange } from './replay-server.js';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/windows-recorded/pypsrp');
const load = (name: string): Exchange[] => loadConversation(path.join(DIR, name));

/** What the recording says the command produced, read straight from the recorded XML. */
function recordedResult(ex: Exchange[]): { stdout: Buffer; stderr: Buffer; exitCode: number } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exitCode = -1;
  for (const x of ex) {
    if (!/ReceiveResponse/.test(x.response ?? '')) continue;
    for (const m of (x.response ?? '').matchAll(/<rsp:Stream Name="(\w+)"[^>]*>([^<]*)</g)) {
      (m[1] === 'stderr' ? err : out).push(Buffer.from(m[2] ?? '', 'base64'));
    }
    const ec = /<rsp:ExitCode>(-?\d+)</.exec(x.response ?? '');
    if (ec) exitCode = Number(ec[1]);
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode };
}

let replay: Replay | undefined;
let client: WsmanClient | undefined;
afterEach(async () => {
  await client?.close();
  await replay?.close();
  client = undefined;
  replay = undefined;
});

async function setup(name: string, relax?: string[]): Promise<{ ex: Exchange[]; r: Replay; c: WsmanClient }> {
  const ex = load(name);
  replay = await startReplay(ex, relax ? { relax } : {});
  client = new WsmanClient({ endpoint: { connectionUri: replay.url }, credential: { username: 'vagrant', password: 'vagrant' }, authentication: 'basic', allowUnencrypted: true });
  return { ex, r: replay, c: client };
}

const simple: [file: string, command: string, args: string[], shell?: Record<string, unknown>, skip?: boolean][] = [
  ['test_winrs_standard.yml', 'cmd.exe', ['/c', 'echo', 'hi']],
  ['test_winrs_stderr_rc.yml', 'cmd.exe', ['/c echo out && echo err>&2 && exit 1']],
  ['test_winrs_unicode.yml', 'powershell.exe', ['Write-Host こんにちは'], { codePage: 65001 }],
  ['test_winrs_environment.yml', 'cmd.exe', ['/c', 'set'], {
    environment: { env1: 'var1', 1234: '5678', '_-(){}[]<>*+-/\\?"!@#$^&|;:i,.`~0': '_-(){}[]<>*+-/\\?"!@#$^&|;:i,.`~0' },
  }],
  ['test_winrs_extra_opts.yml', 'powershell.exe', ['(pwd).Path'], { name: 'shell 1', workingDirectory: 'C:\\Windows', idleTimeout: 60_000, lifetime: 60_000 }],
  ['test_winrs_noprofile.yml', 'cmd.exe', ['/c', 'set'], { noProfile: true }],
];

/**
 * The recorded clients send Signal terminate after Done, before Delete; invokeCommand leaves it
 * out by default (the Delete releases the command), so the replays ask for it to match.
 */
const RECORDED = { terminateWhenDone: true } as const;

describe('replay of recorded Windows WinRS conversations', () => {
  for (const [file, command, args, shell, skip] of simple) {
    it.skipIf(skip)(`${file}: same requests, same stdout/stderr/exit code`, async () => {
      const { ex, r, c } = await setup(file, ['Signal.code']);
      const res = await invokeCommand(c, { command, args, run: RECORDED, ...(shell ? { shell } : {}) });
      const want = recordedResult(ex);
      expect(r.mismatches).toEqual([]);
      expect(res.stdout.equals(want.stdout)).toBe(true);
      expect(res.stderr.equals(want.stderr)).toBe(true);
      expect(res.exitCode).toBe(want.exitCode);
      expect(r.served()).toBe(ex.length);
    });
  }

  it('test_winrs_stderr_rc.yml: exact bytes and exit code 1', async () => {
    const { c, r } = await setup('test_winrs_stderr_rc.yml');
    const res = await invokeCommand(c, { command: 'cmd.exe', args: ['/c echo out && echo err>&2 && exit 1'], run: RECORDED });
    expect(res.stdout.toString('latin1')).toBe('out \r\n');
    expect(res.stderr.toString('latin1')).toBe('err \r\n');
    expect(res.exitCode).toBe(1);
    // Done is followed by Signal terminate and Delete.
    expect(r.received.map((m) => m.headers.action?.split('/').pop())).toEqual(['Create', 'Command', 'Receive', 'Signal', 'Delete']);
    const sig = r.received[3]?.body;
    expect(sig?.kind === 'Signal' && sig.code.endsWith('/signal/terminate')).toBe(true);
  });

  it('the replay server notices a request that differs from the recording', async () => {
    const { r, c } = await setup('test_winrs_standard.yml');
    await invokeCommand(c, { command: 'cmd.exe', args: ['/c', 'echo', 'ho'], run: RECORDED });
    expect(r.mismatches.join('\n')).toMatch(/arguments: sent .*"ho".*recorded .*"hi"/);
  });

  it('test_client_execute_cmd.yml: two commands, two shells', async () => {
    const { ex, c, r } = await setup('test_client_execute_cmd.yml');
    const a = await invokeCommand(c, { command: 'dir', run: RECORDED });
    const b = await invokeCommand(c, { command: 'echo abc', run: RECORDED });
    expect(r.mismatches).toEqual([]);
    const first = recordedResult(ex.slice(0, 5));
    expect(a.stdout.equals(first.stdout)).toBe(true);
    expect(b.stdout.toString()).toBe('abc\r\n');
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
  });

  it('test_winrs_operation_timeout.yml: retries after each w:TimedOut fault and gets all output', async () => {
    const { c, r } = await setup('test_winrs_operation_timeout.yml');
    const shell = await Shell.open(c);
    let timedOut = 0;
    const cmd = await shell.run('powershell.exe', ['Write-Host hi; Start-Sleep 30; Write-Host hi again'], { onTimedOut: () => timedOut++ });
    const out = await cmd.output();
    await shell.close();
    expect(r.mismatches).toEqual([]);
    expect(timedOut).toBe(2);
    expect(out.stdout.toString()).toBe('hi\nhi again\n');
    expect(out.exitCode).toBe(0);
    expect(r.received.filter((m) => m.headers.action === Action.Receive)).toHaveLength(4);
  });

  it('test_winrs_send.yml: stdin goes out as recorded, output follows', async () => {
    const { c, r } = await setup('test_winrs_send.yml');
    const shell = await Shell.open(c);
    const cmd = await shell.run('powershell.exe', ['-']);
    await cmd.write('Write-Host "output 1";');
    await cmd.end('Write-Host "output 2";');
    const out = await cmd.output();
    await shell.close();
    expect(r.mismatches).toEqual([]);
    expect(out.stdout.toString()).toBe('output 1\noutput 2\n');
    expect(out.exitCode).toBe(0);
  });

  it('test_winrs_bad_cmd_id.yml: a Receive for an unknown command becomes WsmanFaultError 2150858843 with an explanation', async () => {
    const { c, r } = await setup('test_winrs_bad_cmd_id.yml', ['Signal.commandId']);
    const shell = await Shell.open(c);
    await c.send(Action.Command, { kind: 'CommandLine', command: 'cmd.exe', arguments: ['/c', 'echo', 'hi'] },
      { resourceUri: shell.resourceUri, selectors: { ShellId: shell.shellId } });
    const cmd = shell.attachCommand('87E77BEB-6761-4C48-9D70-A00266B8459A');
    const err = await cmd.exitCode.catch((e: unknown) => e);
    await shell.close();
    expect(err).toBeInstanceOf(WsmanFaultError);
    const f = err as WsmanFaultError;
    expect(f.wsmanCode).toBe(2150858843);
    expect(f.subcode).toBe('w:InvalidSelectors');
    expect(f.explanation).toMatch(/does not exist/);
    expect(f.message).toMatch(/command identifier that does not exist/);
    expect(r.mismatches).toEqual([]);
    expect(r.served()).toBe(5);
  });

  it('test_winrs_no_cmd_shell.yml: a failed Command is a fault; the shell still works', async () => {
    const { c, r } = await setup('test_winrs_no_cmd_shell.yml', ['Signal.code']);
    const shell = await Shell.open(c);
    const bad = await shell.run('powershell.exe', ['Write-Host', 'hi'], { skipCmdShell: true }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(WsmanFaultError);
    const cmd = await shell.run('C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\powershell.exe', ['Write-Host', 'hi'], { skipCmdShell: true });
    const out = await cmd.output();
    await shell.close();
    expect(r.mismatches).toEqual([]);
    expect(out.stdout.toString()).toBe('hi\n');
  });

  it('test_winrs_open_already_opened.yml: create then delete', async () => {
    const { c, r } = await setup('test_winrs_open_already_opened.yml');
    const shell = await Shell.open(c);
    expect(shell.shellId).toMatch(/^[0-9A-F-]{36}$/);
    expect(shell.info.owner).toBeDefined();
    await shell.close();
    await shell.close(); // idempotent: no second Delete
    expect(r.mismatches).toEqual([]);
    expect(r.served()).toBe(2);
  });

  it('test_psrp_is_alive_invalid_selectors.yml: Get of a shell that is gone is the shell-not-found fault', async () => {
    const { c, r } = await setup('test_psrp_is_alive_invalid_selectors.yml');
    const resourceUri = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell';
    const shell = await Shell.open(c, {
      resourceUri, shellId: '6F1903CA-E06A-4A8B-BDFC-B44203149D55', inputStreams: ['stdin', 'pr'], outputStreams: ['stdout'], idleTimeout: 60_000,
    });
    // The two PSRP Receives of the recording (shell-level, no CommandId), sent raw.
    for (let i = 0; i < 2; i++) {
      await c.send(Action.Receive, { kind: 'Receive', streams: ['stdout'] }, { resourceUri, selectors: { ShellId: shell.shellId } });
    }
    const alive = await shell.get();
    expect(alive.state).toBe('Connected');
    expect(alive.memoryUsed).toBe('58MB');
    const err = await shell.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanFaultError);
    const f = err as WsmanFaultError;
    expect(f.wsmanCode).toBe(2150858843);
    expect(f.subcode).toBe('w:InvalidSelectors');
    expect(f.faultDetail).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors');
    expect(f.providerFault?.provider).toBe('Shell provider');
    expect(f.explanation).toMatch(/does not exist/);
    expect(r.mismatches).toEqual([]);
  });

  it('every request the client sent in a replay validates against schemas/', async () => {
    const { r, c } = await setup('test_winrs_send.yml');
    const shell = await Shell.open(c, { environment: { A: 'b' }, workingDirectory: 'C:\\x', idleTimeout: 60_000, name: 'n' });
    const cmd = await shell.run('powershell.exe', ['-']);
    await cmd.write('Write-Host "output 1";');
    await cmd.end('Write-Host "output 2";');
    await cmd.output();
    await shell.close();
    const results = await validateEnvelopes(r.rawRequests);
    expect(results.flatMap((v) => v.errors)).toEqual([]);
    expect(results.every((v) => v.valid)).toBe(true);
    expect(results).toHaveLength(7);
  });

  it('test_wsman_update_envelope_size_*.yml: maxEnvelopeSize auto reads cfg:MaxEnvelopeSizekb', async () => {
    for (const [file, kb] of [['test_wsman_update_envelope_size_150.yml', 150], ['test_wsman_update_envelope_size_500.yml', 500], ['test_wsman_update_envelope_size_4096.yml', 4096]] as const) {
      const ex = load(file);
      const r = await startReplay(ex);
      const c = new WsmanClient({ endpoint: { connectionUri: r.url }, maxEnvelopeSize: 'auto' });
      expect(c.maxEnvelopeSize).toBe(153600);
      expect(await c.negotiateEnvelopeSize()).toBe(kb * 1024);
      expect(r.mismatches).toEqual([]);
      await c.close();
      await r.close();
    }
  });
});
