/**
 * A command whose final Done answer reached one client, which then disconnected before Signal
 * terminate: the next client to connect must still learn that the command is Done.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI } from '../../src/core/index.js';
import { TestShell, startListener, call, faultCode, type TestListener } from '../server/helpers.js';

let t: TestListener;
beforeAll(async () => { t = await startListener(); });
afterAll(async () => { await t.stop(); });

const A = 'uuid:AAAAAAAA-0000-0000-0000-00000000000A';
const B = 'uuid:BBBBBBBB-0000-0000-0000-00000000000B';

describe('listener: a command whose Done was delivered to the client that then disconnected', () => {
  it('answers a Receive from the next client with Done at once, instead of TimedOut for ever', async () => {
    const sh = await TestShell.create(t.url, { name: 'done-twice' }, { sessionId: A });
    const id = await sh.start('echo hi');
    // Client A receives to Done (its final answer was delivered) and disconnects before it could
    // send Signal terminate (what happens when Disconnect-PSSession races the last answer).
    const got = await sh.collect(id);
    expect(got.stdout.toString()).toBe('hi\n');
    await sh.op(Action.Disconnect, { kind: 'Disconnect' });
    // Client B sees the command listed (Done) and connects to receive it.
    const b = new TestShell(sh.url, sh.id, sh.auth, B);
    expect((await b.op(Action.Connect, { kind: 'Connect' })).status).toBe(200);
    const listed = await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, filterSelectors: { ShellId: sh.id },
      filterDialect: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter' }, { sessionId: B }, ResourceURI.ShellCommand);
    expect(listed.msg.body.kind === 'EnumerateResponse' && listed.msg.body.items?.[0]?.kind === 'Command' && listed.msg.body.items[0].commandState).toBe('Done');
    const r = await b.receive(id, { operationTimeout: 1500 }, 1);
    // Not TimedOut (2150858793) for ever: B must learn that the command is Done.
    expect(faultCode(r.msg)).toBeUndefined();
    expect(r.msg.body.kind === 'ReceiveResponse' && r.msg.body.commandState?.state).toBe('Done');
    await b.delete();
  });
});
