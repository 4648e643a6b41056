/**
 * OMI-shaped answers (WinRb's recorded OMI stubs, fixtures/windows-recorded/winrb/*omi*): a
 * CreateResponse with only ResourceCreated, streams and states without CommandId, an empty
 * Running answer, Done without ExitCode, and OMI's fault form.
 */
import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { WsmanClient } from '../../src/client/client.js';
import { Shell } from '../../src/client/shell.js';
import { WsmanFaultError } from '../../src/core/errors.js';
import { Action, ResourceURI } from '../../src/core/namespaces.js';
import { encodeMessage, type Body } from '../../src/core/messages/index.js';
import { startReplay, type Replay, type Exchange } from './replay-server.js';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/windows-recorded/winrb');
const read = (f: string): string => readFileSync(path.join(DIR, f), 'utf8');
const erb = (f: string, vars: Record<string, string>): string => read(f).replace(/<%=\s*(\w+)\s*%>/g, (_, k: string) => vars[k] ?? '');
const SHELL_ID = '74142DC5-E14D-4FCC-86ED-63DA3EE8407E';
const COMMAND_ID = '5F2A3E1C-0000-4000-8000-0000000000AA';

/** OMI writes its own prefixes; these bodies follow its form (SOAP-ENV, wsa, p:). */
function omi(action: string, body: string): string {
  return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">
<SOAP-ENV:Header><wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To><wsa:Action>${action}</wsa:Action>
<wsa:MessageID>uuid:5825BEA8-76AB-0005-0000-000000640001</wsa:MessageID><wsa:RelatesTo>uuid:00000000-0000-0000-0000-000000000000</wsa:RelatesTo></SOAP-ENV:Header>
<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

function request(action: string, body: Body, shell = true): string {
  return encodeMessage({ headers: { action, to: 'x', messageId: 'uuid:0', resourceUri: ResourceURI.Cmd, ...(shell ? { selectors: { ShellId: SHELL_ID } } : {}) }, body }, 'request');
}

const receive = request(Action.Receive, { kind: 'Receive', commandId: COMMAND_ID, streams: ['stdout', 'stderr'] });
const emptyRunning = erb('get_omi_command_output_response_not_done.xml.erb', {}).replace(/<p:Stream[^>]*>\s*<\/p:Stream>/, '');

function conversation(): Exchange[] {
  return [
    { request: request(Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }, false), response: read('open_shell_omi.xml') },
    { request: request(Action.Command, { kind: 'CommandLine', command: 'echo', arguments: [] }),
      response: omi(Action.CommandResponse, `<p:CommandResponse xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><p:CommandId>${COMMAND_ID}</p:CommandId></p:CommandResponse>`) },
    { request: receive, response: erb('get_omi_command_output_response_not_done.xml.erb', { test_data_stdout: Buffer.from('hello ').toString('base64') }) },
    { request: receive, response: emptyRunning },
    { request: receive, response: emptyRunning },
    { request: receive, response: erb('get_omi_command_output_response_not_done.xml.erb', { test_data_stdout: Buffer.from('world\n').toString('base64') }) },
    { request: receive, response: erb('get_omi_command_output_response.xml.erb', {}) },
    { request: request(Action.Signal, { kind: 'Signal', commandId: COMMAND_ID, code: 'x' }),
      response: omi(Action.SignalResponse, '<p:SignalResponse xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"/>') },
    { request: request(Action.Delete, { kind: 'Empty' }), response: omi(Action.DeleteResponse, '') },
  ];
}

let replay: Replay | undefined;
let client: WsmanClient | undefined;
afterEach(async () => {
  await client?.close();
  await replay?.close();
});

describe('OMI-shaped answers', () => {
  it('reads the ShellId from ResourceCreated, keeps polling through empty Running answers, exit code 0 without ExitCode', async () => {
    replay = await startReplay(conversation());
    client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    const shell = await Shell.open(client);
    expect(shell.shellId).toBe(SHELL_ID);
    const cmd = await shell.run('echo');
    const out = await cmd.output();
    await shell.close();
    expect(replay.mismatches).toEqual([]);
    expect(out.stdout.toString()).toBe('hello world\n');
    expect(out.stderr.length).toBe(0);
    expect(out.exitCode).toBe(0);
    expect(replay.served()).toBe(9);
  });

  it('turns OMI\'s fault (no WSManFault detail) into WsmanFaultError', async () => {
    replay = await startReplay([{ request: request(Action.Create, { kind: 'Shell', shell: {} }, false), response: read('soap_fault_omi.xml'), status: 500 }]);
    client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    const err = await Shell.open(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as WsmanFaultError).subcode).toBe('w:InternalError');
    expect((err as WsmanFaultError).message).toMatch(/instance name parameter is missing/);
  });
});
