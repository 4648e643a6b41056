/** The WinRS shell lifecycle (MS-WSMV §3.1.4.5–3.1.4.14; protocol.md §3). Destructive: runs commands. */
import { Action, ResourceURI, SignalURI, WsmanCode } from '../../core/index.js';
import { type Check, pass, fail } from '../types.js';
import { describeReply, expectFault, expectOk } from './expect.js';
import { command, receiveAll, signal, deleteShell } from './shell-ops.js';

const TIMEOUT_FORM = /^PT\d+\.\d{3}S$/;

export const shellChecks: Check[] = [
  {
    id: 'SH-001', title: 'Create returns ShellId, InputStreams and OutputStreams', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.5.2',
    async run(ctx) {
      const { reply } = await ctx.createShell('Create');
      const b = reply.message?.body;
      if (b?.kind !== 'ResourceCreated') return fail(`expected ResourceCreated, got ${describeReply(reply)}`);
      if (!b.selectors || !Object.keys(b.selectors).some((k) => k.toLowerCase() === 'shellid')) return fail('ResourceCreated has no ShellId selector');
      const s = b.shell;
      if (!s) return fail('no rsp:Shell in the CreateResponse');
      if (!s.shellId || !s.inputStreams || !s.outputStreams) return fail('rsp:Shell lacks ShellId, InputStreams or OutputStreams');
      return pass(s.shellId);
    },
  },
  {
    id: 'SH-002', title: 'IdleTimeOut is formatted PT<seconds>.<3 digits>S', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §2.2.4.37; protocol.md §1.5 (PowerShell parses 3 digits)',
    async run(ctx) {
      const { reply } = await ctx.createShell('Create');
      const m = /IdleTimeOut>([^<]*)</.exec(reply.body);
      if (!m) return fail('the CreateResponse has no IdleTimeOut');
      return TIMEOUT_FORM.test(m[1] ?? '') ? pass(m[1]) : fail(`IdleTimeOut is '${m[1]}'`);
    },
  },
  {
    id: 'SH-003', title: 'Command output and exit code 0 arrive through Receive', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.11, §3.1.4.14',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, `${ctx.options.command} wsman-conformance`);
      const r = await receiveAll(ctx, shellId, commandId);
      await signal(ctx, shellId, commandId);
      if (!r.done) return fail(`no CommandState Done after ${r.receives} Receives`);
      if (!r.stdout.toString('utf8').includes('wsman-conformance')) return fail(`stdout was '${r.stdout.toString('utf8').slice(0, 80)}'`);
      return r.exitCode === 0 ? pass() : fail(`ExitCode ${r.exitCode ?? '(missing)'}`);
    },
  },
  {
    id: 'SH-004', title: 'A non-zero exit code is reported', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §2.2.4.7 (CommandStateType/ExitCode)',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, 'exit 3');
      const r = await receiveAll(ctx, shellId, commandId);
      await signal(ctx, shellId, commandId);
      return r.exitCode === 3 ? pass() : fail(`ExitCode ${r.exitCode ?? '(missing)'}, expected 3`);
    },
  },
  {
    id: 'SH-005', title: 'Receive answers w:TimedOut 2150858793 when OperationTimeout passes', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.14; protocol.md §3.4.1',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, await ctx.waitCommand());
      // A first answer may report the Running state; after that, silence must end in the fault.
      let r = undefined as Awaited<ReturnType<typeof ctx.send>> | undefined;
      for (let i = 1; i <= 3; i++) {
        r = await ctx.send({ label: `Receive ${i} (2 s timeout)`, action: Action.Receive, selectors: { ShellId: shellId },
          headers: { operationTimeout: 2000 }, body: { kind: 'Receive', sequenceId: i - 1, commandId, streams: ['stdout', 'stderr'] } });
        const b = r.message?.body;
        if (b?.kind !== 'ReceiveResponse' || b.streams.some((s) => s.data.length > 0)) break;
      }
      await signal(ctx, shellId, commandId, SignalURI.CtrlC, 'Signal ctrl_c');
      await signal(ctx, shellId, commandId);
      if (!r) return fail('no answer');
      return expectFault(r, { subcode: ['w:TimedOut'], wsmanCode: [WsmanCode.TimedOut] });
    },
  },
  {
    id: 'SH-006', title: 'Every Receive response fits the request\'s MaxEnvelopeSize', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'DSP0226 §6.2; MS-WSMV §3.1.4.1.8',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, await ctx.bigOutputCommand(3000));
      const r = await receiveAll(ctx, shellId, commandId, { maxEnvelopeSize: 8192 });
      await signal(ctx, shellId, commandId);
      if (!r.done) return fail(`no Done after ${r.receives} Receives`);
      const lines = r.stdout.toString('utf8').split(/\r?\n/).filter((l) => l.startsWith('wsman-conformance-output-line-')).length;
      if (lines !== 3000) return fail(`${lines} of 3000 output lines arrived`);
      return r.largest <= 8192 ? pass(`${r.receives} Receives, largest ${r.largest} bytes`) : fail(`a response of ${r.largest} bytes exceeded MaxEnvelopeSize 8192`);
    },
  },
  {
    id: 'SH-007', title: 'Signal terminate is accepted after Done', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.13',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, `${ctx.options.command} x`);
      await receiveAll(ctx, shellId, commandId);
      const r = await signal(ctx, shellId, commandId);
      return expectOk(r, 'SignalResponse');
    },
  },
  {
    id: 'SH-008', title: 'Signal codes are compared without regard to case', category: 'shell', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §2.2.4.38 (Terminate) vs §2.2.5 (terminate)',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const { commandId } = await command(ctx, shellId, `${ctx.options.command} x`);
      await receiveAll(ctx, shellId, commandId);
      const r = await signal(ctx, shellId, commandId, SignalURI.Terminate.replace('terminate', 'Terminate'), 'Signal Terminate');
      return expectOk(r, 'SignalResponse');
    },
  },
  {
    id: 'SH-009', title: 'Send delivers stdin to the command', category: 'shell', severity: 'should', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.12',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const windows = (await ctx.platform()) === 'windows';
      const { commandId } = await command(ctx, shellId, windows ? 'findstr x*' : 'cat');
      const send = await ctx.send({ label: 'Send', action: Action.Send, selectors: { ShellId: shellId },
        body: { kind: 'Send', streams: [{ name: 'stdin', commandId, end: true, data: Buffer.from('wsman-stdin\n') }] } });
      const ok = expectOk(send, 'SendResponse');
      if (ok.status !== 'pass') return ok;
      const r = await receiveAll(ctx, shellId, commandId);
      await signal(ctx, shellId, commandId);
      return r.stdout.toString('utf8').includes('wsman-stdin') ? pass() : fail(`stdout was '${r.stdout.toString('utf8').slice(0, 80)}'`);
    },
  },
  {
    id: 'SH-010', title: 'A deleted shell is gone: Get answers w:InvalidSelectors', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.6',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const d = await deleteShell(ctx, shellId);
      if (d.status !== 200) return fail(`Delete answered ${describeReply(d)}`);
      const r = await ctx.send({ label: 'Get deleted shell', action: Action.Get, resourceUri: ResourceURI.Cmd, selectors: { ShellId: shellId } });
      return expectFault(r, { subcode: ['w:InvalidSelectors'], wsmanCode: [WsmanCode.UnexpectedSelectors] });
    },
  },
  {
    id: 'SH-011', title: 'Receive for an unknown CommandId gets w:InvalidSelectors', category: 'shell', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.14; protocol.md §3.4.1',
    async run(ctx) {
      const { shellId } = await ctx.createShell('Create');
      const r = await ctx.send({ label: 'Receive unknown command', action: Action.Receive, selectors: { ShellId: shellId },
        body: { kind: 'Receive', commandId: '00000000-0000-0000-0000-000000000001', streams: ['stdout'] } });
      return expectFault(r, { subcode: ['w:InvalidSelectors'], wsmanCode: [WsmanCode.UnexpectedSelectors] });
    },
  },
];
