/** Every kind of answer the listener writes validates against the project's WS-Man schemas. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI, SignalURI } from '../../src/core/index.js';
import { validateEnvelopes } from '../helpers/schema.js';
import { startListener, call, post, TestShell, type TestListener } from './helpers.js';

let t: TestListener;
beforeAll(async () => {
  t = await startListener();
});
afterAll(async () => {
  await t.stop();
});

describe('listener responses are schema-valid', () => {
  it('Identify, Create, Command, Send, Receive, Signal, Get, Enumerate, Pull, config, Disconnect, Reconnect, Delete and faults', async () => {
    const xmls: string[] = [];
    const identify = await post(t.url, '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>');
    xmls.push(identify.body);
    const created = await call(t.url, Action.Create, { kind: 'Shell', shell: { name: 'schema', environment: { A: 'b' }, inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }, { sessionId: 'uuid:AAAAAAAA-0000-0000-0000-000000000001' });
    xmls.push(created.raw);
    const id = created.msg.body.kind === 'ResourceCreated' ? created.msg.body.selectors!.ShellId! : '';
    const sh = new TestShell(t.url, id, undefined, 'uuid:AAAAAAAA-0000-0000-0000-000000000001');
    const cmd = await sh.run('cat');
    xmls.push(cmd.raw);
    const cid = cmd.msg.body.kind === 'CommandResponse' ? cmd.msg.body.commandId : '';
    xmls.push((await sh.send(cid, 'x\n', true)).raw);
    for (;;) {
      const r = await sh.receive(cid, {}, xmls.length);
      xmls.push(r.raw);
      if (r.msg.body.kind !== 'ReceiveResponse' || r.msg.body.commandState?.state === 'Done') break;
    }
    xmls.push((await sh.signal(cid, SignalURI.Terminate)).raw);
    xmls.push((await sh.op(Action.Get)).raw);
    xmls.push((await call(t.url, Action.Enumerate, { kind: 'Enumerate', optimize: true }, {}, ResourceURI.Shell)).raw);
    const ctx = await call(t.url, Action.Enumerate, { kind: 'Enumerate' }, {}, ResourceURI.Shell);
    xmls.push(ctx.raw);
    const context = ctx.msg.body.kind === 'EnumerateResponse' ? ctx.msg.body.context : '';
    xmls.push((await call(t.url, Action.Pull, { kind: 'Pull', context, maxElements: 5 }, {}, ResourceURI.Shell)).raw);
    xmls.push((await call(t.url, Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config)).raw);
    xmls.push((await sh.op(Action.Disconnect, { kind: 'Disconnect' })).raw);
    xmls.push((await sh.op(Action.Receive, { kind: 'Receive', commandId: cid, streams: ['stdout'] })).raw);
    xmls.push((await sh.op(Action.Reconnect, { kind: 'Reconnect' })).raw);
    xmls.push((await sh.delete()).raw);
    xmls.push((await sh.op(Action.Get)).raw);
    xmls.push((await call(t.url, 'http://example/none', { kind: 'Empty' }, {}, ResourceURI.Config)).raw);
    const results = await validateEnvelopes(xmls);
    const bad = results.flatMap((r, i) => (r.valid ? [] : [`#${i}: ${r.errors.join('; ')}\n${xmls[i]!.slice(0, 400)}`]));
    expect(bad).toEqual([]);
  });
});
