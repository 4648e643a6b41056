/** WS-Transfer Get of the configuration, and WS-Enumeration of shells (DSP0226 §7–8; MS-WSMV §3.1.4.x; protocol.md §5). */
import { Action, ResourceURI, WsmanCode, SELECTOR_FILTER_DIALECT, configNumber } from '../../core/index.js';
import type { ConformanceContext, Reply } from '../context.js';
import { type Check, pass, fail, skip } from '../types.js';
import { describeReply, expectFault, expectOk } from './expect.js';

async function enumerate(ctx: ConformanceContext, label: string, maxElements?: number): Promise<{ reply: Reply; context?: string }> {
  const reply = await ctx.send({ label, action: Action.Enumerate, resourceUri: ctx.resourceUri, body: { kind: 'Enumerate', ...(maxElements ? { maxElements } : {}) } });
  const b = reply.message?.body;
  return b?.kind === 'EnumerateResponse' ? { reply, context: b.context } : { reply };
}

function pull(ctx: ConformanceContext, label: string, context: string, maxElements?: number): Promise<Reply> {
  return ctx.send({ label, action: Action.Pull, resourceUri: ctx.resourceUri, body: { kind: 'Pull', context, ...(maxElements ? { maxElements } : {}) } });
}

export const enumerationChecks: Check[] = [
  {
    id: 'XFR-001', title: 'Get of the configuration returns MaxEnvelopeSizekb and MaxTimeoutms', category: 'transfer', severity: 'should', profile: 'winrm',
    spec: 'DSP0226 §7.1; MS-WSMV §3.1.4.4',
    async run(ctx) {
      const r = await ctx.send({ label: 'Get config', action: Action.Get, resourceUri: ResourceURI.Config });
      const b = r.message?.body;
      if (b?.kind === 'Fault' && (b.fault.wsmanCode === WsmanCode.AccessDenied || b.fault.wsmanCode === 2147942405)) return skip('access denied (configuration needs an administrator)');
      if (b?.kind !== 'Config') return fail(`expected cfg:Config, got ${describeReply(r)}`);
      const size = configNumber(b.config, 'MaxEnvelopeSizekb');
      const timeout = configNumber(b.config, 'MaxTimeoutms');
      if (size === undefined || timeout === undefined) return fail('MaxEnvelopeSizekb or MaxTimeoutms is missing or not a number');
      return pass(`MaxEnvelopeSizekb ${size}, MaxTimeoutms ${timeout}`);
    },
  },
  {
    id: 'ENUM-001', title: 'Enumerate returns a context; Pull ends with EndOfSequence', category: 'enumeration', severity: 'must',
    spec: 'DSP0226 §8.2–8.3; WS-Enumeration §3',
    async run(ctx) {
      const { reply, context } = await enumerate(ctx, 'Enumerate shells');
      const ok = expectOk(reply, 'EnumerateResponse');
      if (ok.status !== 'pass') return ok;
      if (!context) return fail('EnumerateResponse has no EnumerationContext');
      let ctxId = context;
      for (let i = 0; i < 100; i++) {
        const p = await pull(ctx, `Pull ${i + 1}`, ctxId);
        const b = p.message?.body;
        if (b?.kind !== 'PullResponse') return fail(`expected PullResponse, got ${describeReply(p)}`);
        if (b.endOfSequence) return pass(`EndOfSequence after ${i + 1} Pull(s)`);
        if (!b.context) return fail('a PullResponse without EndOfSequence has no new EnumerationContext');
        ctxId = b.context;
      }
      return fail('no EndOfSequence after 100 Pulls');
    },
  },
  {
    id: 'ENUM-002', title: 'OptimizeEnumeration returns the items in the EnumerateResponse', category: 'enumeration', severity: 'should',
    spec: 'DSP0226 §8.2.3',
    async run(ctx) {
      const r = await ctx.send({ label: 'optimized Enumerate', action: Action.Enumerate, resourceUri: ctx.resourceUri, body: { kind: 'Enumerate', optimize: true, maxElements: 32000 } });
      const b = r.message?.body;
      if (b?.kind !== 'EnumerateResponse') return fail(`expected EnumerateResponse, got ${describeReply(r)}`);
      return b.items !== undefined || b.endOfSequence ? pass(`${b.items?.length ?? 0} item(s)`) : fail('neither w:Items nor w:EndOfSequence in the response');
    },
  },
  {
    id: 'ENUM-003', title: 'Release of an enumeration context is accepted', category: 'enumeration', severity: 'must',
    spec: 'DSP0226 §8.4; WS-Enumeration §3.5',
    async run(ctx) {
      const { context } = await enumerate(ctx, 'Enumerate shells');
      if (!context) return fail('no context to release');
      const r = await ctx.send({ label: 'Release', action: Action.Release, resourceUri: ctx.resourceUri, body: { kind: 'Release', context } });
      return r.status === 200 ? pass() : fail(`Release answered ${describeReply(r)}`);
    },
  },
  {
    id: 'ENUM-004', title: 'Pull of a released context gets n:InvalidEnumerationContext', category: 'enumeration', severity: 'must',
    spec: 'DSP0226 §8.3; WS-Enumeration §3.3',
    async run(ctx) {
      const { context } = await enumerate(ctx, 'Enumerate shells');
      if (!context) return fail('no context');
      await ctx.send({ label: 'Release', action: Action.Release, resourceUri: ctx.resourceUri, body: { kind: 'Release', context } });
      const r = await pull(ctx, 'Pull after Release', context);
      return expectFault(r, { subcode: ['n:InvalidEnumerationContext'] }, ctx.profile);
    },
  },
  {
    id: 'ENUM-005', title: 'Pull honours MaxElements', category: 'enumeration', severity: 'must', profile: 'winrm', destructive: true,
    spec: 'DSP0226 §8.3',
    async run(ctx) {
      await ctx.createShell('Create shell 1');
      await ctx.createShell('Create shell 2');
      const { context } = await enumerate(ctx, 'Enumerate shells');
      if (!context) return fail('no context');
      const p = await pull(ctx, 'Pull MaxElements 1', context, 1);
      const b = p.message?.body;
      if (b?.kind !== 'PullResponse') return fail(`expected PullResponse, got ${describeReply(p)}`);
      if (b.items.length !== 1) return fail(`${b.items.length} items for MaxElements 1`);
      if (b.endOfSequence) return fail('EndOfSequence after one of at least two shells');
      return pass();
    },
  },
  {
    id: 'ENUM-006', title: 'Enumerating commands without a ShellId SelectorFilter is refused', category: 'enumeration', severity: 'should', profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.1.31; protocol.md §5.2',
    async run(ctx) {
      const r = await ctx.send({ label: 'Enumerate commands without filter', action: Action.Enumerate, resourceUri: ResourceURI.ShellCommand, body: { kind: 'Enumerate', optimize: true, maxElements: 32000 } });
      return expectFault(r, { wsmanCode: [WsmanCode.ShellCommandsFilterExpected] }, ctx.profile);
    },
  },
  {
    id: 'ENUM-007', title: 'Enumerating a shell\'s commands with a SelectorFilter works', category: 'enumeration', severity: 'should', profile: 'winrm', destructive: true,
    spec: 'MS-WSMV §3.1.4.1.31',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create shell');
      const r = await ctx.send({ label: 'Enumerate commands', action: Action.Enumerate, resourceUri: ResourceURI.ShellCommand,
        body: { kind: 'Enumerate', optimize: true, maxElements: 32000, filterDialect: SELECTOR_FILTER_DIALECT, filterSelectors: { ShellId: shellId } } });
      return expectOk(r, 'EnumerateResponse');
    },
  },
];
