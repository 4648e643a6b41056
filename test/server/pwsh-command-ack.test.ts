/**
 * The PowerShell backend answers a Command without waiting for pwsh's acks: the Command packet
 * goes to pwsh at once, the pipeline's CREATE_PIPELINE Data only after its CommandAck (MS-PSRP's
 * out-of-process transport), and what the client sends for the pipeline meanwhile (Send) queues
 * behind it in order. Served by test/server/fake-pwsh.mjs, which acks Commands only when told.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Action } from '../../src/core/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { withPowerShell } from '../../src/server/pwsh-find.js';
import { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { startListener, call, faultCode, isRunning, type TestListener } from './helpers.js';
import { PS } from './pwsh-helpers.js';

const FAKE = fileURLToPath(new URL('./fake-pwsh.mjs', import.meta.url));
let t: TestListener;
let dir: string;
let logFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsman-fake-pwsh-'));
  logFile = join(dir, 'packets.log');
  const config = withPowerShell(defaultConfig(), process.execPath);
  for (const c of config.configurations) if (c.backend === 'pwsh') c.pwsh = { path: process.execPath, args: [FAKE, logFile] };
  t = await startListener({ config });
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (): string[] => {
  try {
    return readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** Wait (on the log's content, up to 10 s) until `pred` holds. */
async function until(pred: (l: string[]) => boolean, what: string): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const l = lines();
    if (pred(l)) return l;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}; log:\n${lines().join('\n')}`);
}

async function createShell(): Promise<{ id: string; pid: number }> {
  writeFileSync(logFile, '');
  const r = await call(t.url, Action.Create, {
    kind: 'Shell', shell: { inputStreams: ['stdin', 'pr'], outputStreams: ['stdout'], creationXml: Buffer.from('pool').toString('base64') },
  }, {}, PS);
  if (r.msg.body.kind !== 'ResourceCreated') throw new Error(`create failed: ${r.raw}`);
  const id = r.msg.body.selectors!.ShellId!;
  const pid = (t.listener.core.store.get(id)!.session as PwshSession).pid!;
  return { id, pid };
}

describe('PowerShell Command without waiting for pwsh\'s acks', () => {
  it('answers the Command before CommandAck; Data goes only after it, the Send behind it, in order', async () => {
    const { id, pid } = await createShell();
    const pipeline = randomUUID();
    const guid = pipeline.toLowerCase();
    const args = Buffer.from('create-pipeline').toString('base64');
    const r = await call(t.url, Action.Command, { kind: 'CommandLine', commandId: pipeline.toUpperCase(), command: '', arguments: [args] }, { selectors: { ShellId: id } }, PS);
    expect(r.msg.body.kind).toBe('CommandResponse');
    await until((l) => l.includes(`got Command ${guid}`), 'the Command packet');
    // Input for the pipeline before pwsh acked its Command: answered once it is handed on, after the ack.
    const session = t.listener.core.store.get(id)!.session as PwshSession;
    const queued = vi.spyOn(session, 'send');
    const written = vi.spyOn(session.child.stdin!, 'write');
    const input = Buffer.from('pipeline-input').toString('base64');
    let sent = false;
    const send = call(t.url, Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId: pipeline.toUpperCase(), data: Buffer.from('pipeline-input') }] }, { selectors: { ShellId: id } }, PS)
      .then((s) => { sent = true; return s; });
    // The Send's packet is queued in the listener; nothing was written after the Command.
    for (let i = 0; i < 500 && queued.mock.calls.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
    expect(queued.mock.calls.map(([p]) => [p.kind, p.psGuid])).toEqual([['Data', guid]]);
    expect(written).not.toHaveBeenCalled();
    expect(sent).toBe(false);
    expect(lines().filter((l) => l.includes(guid))).toEqual([`got Command ${guid}`]);
    process.kill(pid, 'SIGUSR2');
    const l = await until((x) => x.includes(`got Data ${guid} ${input}`), 'the input');
    expect(l.filter((x) => x.includes(guid))).toEqual([
      `got Command ${guid}`, `sent CommandAck ${guid}`, `got Data ${guid} ${args}`, `sent DataAck ${guid}`, `got Data ${guid} ${input}`, `sent DataAck ${guid}`,
    ]);
    expect((await send).msg.body.kind).toBe('SendResponse');
    queued.mockRestore();
    written.mockRestore();
    await call(t.url, Action.Delete, { kind: 'Empty' }, { selectors: { ShellId: id } }, PS);
  }, 30_000);

  it('a Command to a shell whose pwsh has ended is refused like Windows (fault 50)', async () => {
    const { id, pid } = await createShell();
    const session = t.listener.core.store.get(id)!.session as PwshSession;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 500 && !session.exited; i++) await new Promise((res) => setTimeout(res, 20));
    expect(session.exited).toBe(true);
    expect(isRunning(pid)).toBe(false);
    const r = await call(t.url, Action.Command, { kind: 'CommandLine', commandId: randomUUID().toUpperCase(), command: '', arguments: ['AAAA'] }, { selectors: { ShellId: id } }, PS);
    expect(faultCode(r.msg)).toBe(50);
  }, 30_000);
});
