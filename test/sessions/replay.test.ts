/**
 * The recorded Windows disconnect conversations (pypsrp against Windows Server), replayed at the
 * WS-Man level against the client's Disconnect, Reconnect, Connect and Enumerate calls: the
 * client must send what was recorded (checked by the replay server) and read Windows' answers
 * into sessions as PowerShell does. PSRP payloads (creationXml, connectXml, stream data) are
 * opaque: they are passed through from the recording.
 */
import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { SessionManager } from '../../src/client/sessions/index.js';
import { Action } from '../../src/core/namespaces.js';
import { decodeMessage } from '../../src/core/messages/index.js';
import { loadConversation, startReplay, type Replay, type Exchange } from '../replay/replay-server.js';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/windows-recorded/pypsrp');
const PS = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell';

let replay: Replay | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await replay?.close();
  replay = undefined;
});

async function setup(file: string): Promise<{ ex: Exchange[]; r: Replay; options: { endpoint: { connectionUri: string }; credential: { username: string; password: string }; authentication: 'basic'; allowUnencrypted: true } }> {
  const ex = loadConversation(path.join(DIR, file));
  replay = await startReplay(ex);
  return { ex, r: replay, options: { endpoint: { connectionUri: replay.url }, credential: { username: 'vagrant', password: 'vagrant' }, authentication: 'basic', allowUnencrypted: true } };
}

/** The recorded request's opaque PSRP field. */
function recorded(ex: Exchange[], i: number): ReturnType<typeof decodeMessage> {
  return decodeMessage(ex[i]!.request);
}

/** Create a PowerShell shell the way pypsrp did (recorded ShellId and creationXml). */
async function createLike(client: WsmanClient, ex: Exchange[], i: number): Promise<Shell> {
  const m = recorded(ex, i);
  if (m.body.kind !== 'Shell') throw new Error('not a Create');
  return Shell.open(client, {
    resourceUri: PS, shellId: m.body.shell.requestedShellId!, inputStreams: ['stdin', 'pr'], outputStreams: ['stdout'],
    creationXml: m.body.shell.creationXml!,
  });
}

/** A PSRP Receive on the shell (no CommandId) or on a pipeline: opaque output. */
async function psrpReceive(shell: Shell, commandId?: string): Promise<void> {
  const msg = await shell.client.send(Action.Receive, { kind: 'Receive', streams: ['stdout'], ...(commandId ? { commandId } : {}) },
    { resourceUri: PS, selectors: { ShellId: shell.shellId } });
  expect(msg.body.kind).toBe('ReceiveResponse');
}

describe('replay of recorded Windows disconnect conversations', () => {
  it('test_psrp_disconnect_runspaces.yml: Disconnect, Reconnect, Disconnect; another client enumerates, Connects, deletes', async () => {
    const { ex, r, options } = await setup('test_psrp_disconnect_runspaces.yml');
    const a = new WsmanClient(options);
    closers.push(() => a.close());
    const one = await createLike(a, ex, 0);
    for (let i = 0; i < 3; i++) await psrpReceive(one);
    await one.disconnect();
    expect(one.state).toBe('Disconnected');
    await one.reconnect();
    expect(one.state).toBe('Connected');
    await one.disconnect();
    const two = await createLike(a, ex, 7);
    for (let i = 0; i < 2; i++) await psrpReceive(two);
    await two.disconnect();

    // Another client: Get-PSSession -ComputerName, then Connect-PSSession.
    const b = new SessionManager();
    closers.push(() => b.closeConnections());
    const found = await b.getSessions(options);
    expect(found.map((s) => [s.instanceId, s.name, s.state, s.availability, s.configurationName, s.idleTimeout, s.outputBufferingMode])).toEqual([
      ['B6631D8E-65A0-49F2-9053-A1B156C95777', 'B6631D8E-65A0-49F2-9053-A1B156C95777', 'Disconnected', 'None', 'Microsoft.PowerShell', 7_200_000, 'Block'],
      ['01AA3E43-9E21-424B-A7FC-BC16AA34F4CE', '01AA3E43-9E21-424B-A7FC-BC16AA34F4CE', 'Disconnected', 'None', 'Microsoft.PowerShell', 7_200_000, 'Block'],
    ]);
    // ShellInactivity 0: disconnected "now", expiring after IdleTimeOut.
    const first = found[0]!;
    expect(first.expiresOn!.getTime() - first.disconnectedOn!.getTime()).toBe(7_200_000);
    // Get-PSSession enumerated each shell's commands (none here) with the SelectorFilter.
    for (const s of found) expect(s.remoteCommands).toEqual([]);
    for (const [s, i] of [[found[0]!, 14], [found[1]!, 16]] as const) {
      const m = recorded(ex, i);
      const resp = await s.shell.connect({ connectXml: m.body.kind === 'Connect' ? m.body.connectXml! : '' });
      expect(resp.inputStreams).toEqual(['stdin', 'pr']);
      expect(resp.outputStreams).toEqual(['stdout']);
      expect(resp.connectResponseXml).toMatch(/^AAAAAAAAAAQ/);
      await psrpReceive(s.shell);
    }
    for (const s of found) await b.remove(s);
    expect(r.mismatches).toEqual([]);
    expect(r.served()).toBe(ex.length);
  });

  it('test_psrp_disconnected_commands.yml: Get-PSSession lists each shell\'s commands with the SelectorFilter; Connect of shell then pipeline; Reconnect', async () => {
    const { ex, r, options } = await setup('test_psrp_disconnected_commands.yml');
    const a = new WsmanClient(options);
    closers.push(() => a.close());
    const shells: Shell[] = [];
    for (const [create, cmd] of [[0, 3], [5, 8]] as const) {
      const sh = await createLike(a, ex, create);
      for (let i = 0; i < 2; i++) await psrpReceive(sh);
      const m = recorded(ex, cmd);
      if (m.body.kind !== 'CommandLine') throw new Error('not a Command');
      const id = await sh.start(m.body.command, m.body.arguments, { commandId: m.body.commandId! });
      expect(id).toBe(m.body.commandId);
      await sh.disconnect();
      shells.push(sh);
    }
    const b = new SessionManager();
    closers.push(() => b.closeConnections());
    const found = await b.getSessions(options);
    expect(found.map((s) => [s.instanceId, s.state, s.availability])).toEqual([
      ['BCEF62AD-380E-4314-B2A4-EB6748019B41', 'Disconnected', 'None'],
      ['B2E1C91B-A3AA-41B4-B346-405E6A90005B', 'Disconnected', 'None'],
    ]);
    const commands = found.map((s) => s.remoteCommands);
    expect(commands).toEqual([
      [{ commandId: 'DB4E8DCF-51CC-423F-A7DF-5D0EA0D6FA08', commandLine: '', state: 'Running' }],
      [{ commandId: '356E6DC2-6889-4305-9FE6-8B03F44D7210', commandLine: '', state: 'Running' }],
    ]);
    for (const [k, s] of found.entries()) {
      const connectAt = k === 0 ? 13 : 18;
      const m = recorded(ex, connectAt);
      await s.shell.connect({ connectXml: m.body.kind === 'Connect' ? m.body.connectXml! : '' });
      await psrpReceive(s.shell);
      const commandId = commands[k]![0]!.commandId;
      const ack = await s.shell.connect({ commandId });
      expect(ack).toEqual({ kind: 'ConnectResponse' });
      for (let i = 0; i < 2; i++) await psrpReceive(s.shell, commandId);
    }
    for (const s of found) {
      await s.shell.reconnect();
      await b.remove(s);
    }
    expect(r.mismatches).toEqual([]);
    expect(r.served()).toBe(ex.length);
  });
});
