/** Disconnected operation (MS-WSMV §3.1.4.15–3.1.4.17; protocol.md §4–5). Destructive. */
import { randomUUID } from 'node:crypto';
import { Action, ResourceURI, WsmanCode } from '../../core/index.js';
import type { ConformanceContext, Reply } from '../context.js';
import { type Check, pass, fail, skip } from '../types.js';
import { describeReply, expectFault, expectOk } from './expect.js';
import { command, receiveAll, signal } from './shell-ops.js';

function disconnect(ctx: ConformanceContext, shellId: string, body: { idleTimeOut?: number; bufferMode?: 'Block' | 'Drop' } = {}): Promise<Reply> {
  return ctx.send({ label: 'Disconnect', action: Action.Disconnect, selectors: { ShellId: shellId }, body: { kind: 'Disconnect', ...body } });
}

/** Another client: a different SessionId on the same credentials. */
function asOtherClient(ctx: ConformanceContext, spec: Parameters<ConformanceContext['build']>[0]): Promise<Reply> {
  const xml = ctx.build({ ...spec, headers: { ...spec.headers, sessionId: `uuid:${randomUUID().toUpperCase()}` } });
  return ctx.post(xml, { label: `${spec.label} (second client)` });
}

async function enumerateShell(ctx: ConformanceContext, shellId: string): Promise<Record<string, unknown> | undefined> {
  const r = await ctx.send({ label: 'Enumerate shells', action: Action.Enumerate, resourceUri: ResourceURI.Shell, body: { kind: 'Enumerate', optimize: true, maxElements: 32000 } });
  const b = r.message?.body;
  if (b?.kind !== 'EnumerateResponse') return undefined;
  const item = b.items?.find((i) => i.kind === 'Shell' && i.shell.shellId?.toUpperCase() === shellId.toUpperCase());
  return item?.kind === 'Shell' ? (item.shell as Record<string, unknown>) : undefined;
}

/** Skip (not fail) when the endpoint does not implement Disconnect at all. */
function unsupported(r: Reply): boolean {
  const b = r.message?.body;
  return b?.kind === 'Fault' && (b.fault.subcode === 'a:ActionNotSupported' || b.fault.wsmanCode === WsmanCode.ActionNotSupported);
}

export const disconnectChecks: Check[] = [
  {
    id: 'DIS-001', title: 'Disconnect is accepted and the shell enumerates as Disconnected', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.15; protocol.md §4.1, §4.4',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create', { name: 'wsman-conformance' });
      const d = await disconnect(ctx, shellId);
      if (unsupported(d)) return skip('the endpoint does not implement Disconnect');
      if (d.status !== 200) return fail(`Disconnect answered ${describeReply(d)}`);
      const s = await enumerateShell(ctx, shellId);
      if (!s) return fail('the disconnected shell is missing from the enumeration');
      return s.state === 'Disconnected' ? pass() : fail(`State is ${String(s.state)}`);
    },
  },
  {
    id: 'DIS-002', title: 'Reconnect by the same client, then Receive delivers output produced meanwhile', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.16; MS-PSRP §3.1.4.10.2',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, `${ctx.options.command} wsman-reconnected`);
      const d = await disconnect(ctx, shellId);
      if (unsupported(d)) return skip('the endpoint does not implement Disconnect');
      const rc = await ctx.send({ label: 'Reconnect', action: Action.Reconnect, selectors: { ShellId: shellId }, body: { kind: 'Empty' } });
      if (rc.status !== 200) return fail(`Reconnect answered ${describeReply(rc)}`);
      const r = await receiveAll(ctx, shellId, commandId);
      await signal(ctx, shellId, commandId);
      return r.stdout.toString('utf8').includes('wsman-reconnected') ? pass() : fail('the output produced while disconnected did not arrive');
    },
  },
  {
    id: 'DIS-003', title: 'Connect from a second client to a disconnected shell is accepted', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.17',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const d = await disconnect(ctx, shellId);
      if (unsupported(d)) return skip('the endpoint does not implement Disconnect');
      const c = await asOtherClient(ctx, { label: 'Connect', action: Action.Connect, selectors: { ShellId: shellId }, body: { kind: 'Connect' } });
      return expectOk(c, 'ConnectResponse');
    },
  },
  {
    id: 'DIS-004', title: 'Connect to a shell held by another client gets the in-use fault 2150859213', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.17; protocol.md §4.3',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const c = await asOtherClient(ctx, { label: 'Connect', action: Action.Connect, selectors: { ShellId: shellId }, body: { kind: 'Connect' } });
      if (unsupported(c)) return skip('the endpoint does not implement Connect');
      return expectFault(c, { wsmanCode: [WsmanCode.ShellConnectedToDifferentClient, WsmanCode.ReconnectNotValid] });
    },
  },
  {
    id: 'DIS-005', title: 'Enumerated shells carry Windows-formatted fields', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §2.2.4.37; protocol.md §5.1–5.2',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create', { name: 'wsman-conformance-fields' });
      const r = await ctx.send({ label: 'Enumerate shells', action: Action.Enumerate, resourceUri: ResourceURI.Shell, body: { kind: 'Enumerate', optimize: true, maxElements: 32000 } });
      const start = r.body.indexOf(shellId);
      if (start === -1) return fail('the shell is missing from the enumeration');
      const end = r.body.indexOf('</', r.body.indexOf('Shell>', start));
      const item = r.body.slice(start, end === -1 ? undefined : end + 200);
      const missing = ['Name', 'ResourceUri', 'State', 'IdleTimeOut', 'ShellRunTime', 'ShellInactivity'].filter((f) => !new RegExp(`:${f}>`).test(item));
      if (missing.length) return fail(`missing: ${missing.join(', ')}`);
      const idle = /IdleTimeOut>([^<]*)</.exec(item)?.[1] ?? '';
      const run = /ShellRunTime>([^<]*)</.exec(item)?.[1] ?? '';
      if (!/^PT\d+\.\d{3}S$/.test(idle)) return fail(`IdleTimeOut '${idle}' is not PT<n>.<mmm>S`);
      if (!/^P\d+DT\d+H\d+M\d+S$/.test(run)) return fail(`ShellRunTime '${run}' is not P<d>DT<h>H<m>M<s>S`);
      return pass();
    },
  },
  {
    id: 'DIS-006', title: 'Disconnect with BufferMode Drop is reported in the enumeration', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §2.2.4.10 (DisconnectType); protocol.md §4.1',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const d = await disconnect(ctx, shellId, { bufferMode: 'Drop' });
      if (unsupported(d)) return skip('the endpoint does not implement Disconnect');
      if (d.status !== 200) return fail(`Disconnect answered ${describeReply(d)}`);
      const s = await enumerateShell(ctx, shellId);
      return s?.bufferMode === 'Drop' ? pass() : fail(`BufferMode is ${String(s?.bufferMode)}`);
    },
  },
  {
    id: 'DIS-007', title: 'A disconnected shell is deleted once its IdleTimeOut passes', category: 'disconnect', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.15 (step 5); protocol.md §4.1',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const d = await disconnect(ctx, shellId, { idleTimeOut: 3000 });
      if (unsupported(d)) return skip('the endpoint does not implement Disconnect');
      const b = d.message?.body;
      if (b?.kind === 'Fault') return skip(`the endpoint refuses a 3 s IdleTimeOut (${describeReply(d)})`);
      await new Promise((r) => setTimeout(r, 6000));
      const s = await enumerateShell(ctx, shellId);
      if (s) return fail('the shell still exists 6 s after a 3 s idle timeout');
      ctx.forgetShell(shellId);
      return pass();
    },
  },
];
