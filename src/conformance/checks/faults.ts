/** Faults for bad requests: status, subcode and WSManFault code (DSP0226 §14; MS-WSMV §2.2.4.43; protocol.md §7). */
import { randomUUID } from 'node:crypto';
import { Action, ResourceURI, WsmanCode, peekMessageId } from '../../core/index.js';
import type { ConformanceContext, RequestSpec } from '../context.js';
import { type Check, pass, fail } from '../types.js';
import { expectFault } from './expect.js';

/** A harmless request on the test resource: an optimized Enumerate. */
function enumerate(ctx: ConformanceContext): { action: string; resourceUri: string; body: { kind: 'Enumerate'; optimize: boolean; maxElements: number } } {
  return { action: Action.Enumerate, resourceUri: ctx.resourceUri, body: { kind: 'Enumerate', optimize: true, maxElements: 32000 } };
}

async function withHeader(ctx: ConformanceContext, label: string, header: string): Promise<Awaited<ReturnType<ConformanceContext['post']>>> {
  const xml = ctx.build({ label, ...enumerate(ctx) }).replace('<s:Header>', `<s:Header>${header}`);
  return ctx.post(xml, { label });
}

export const faultChecks: Check[] = [
  {
    id: 'FLT-001', title: 'Unknown ShellId selector gets w:InvalidSelectors 2150858843', category: 'faults', severity: 'must', profile: 'winrm',
    spec: 'DSP0226 §14.6.2; MS-WSMV §3.1.4.1.30',
    async run(ctx) {
      const r = await ctx.send({ label: 'Get unknown shell', action: Action.Get, resourceUri: ResourceURI.Cmd, selectors: { ShellId: randomUUID().toUpperCase() } });
      return expectFault(r, { subcode: ['w:InvalidSelectors'], soapCode: ['Sender'], wsmanCode: [WsmanCode.UnexpectedSelectors] }, ctx.profile);
    },
  },
  {
    id: 'FLT-002', title: 'Unknown Action gets a:ActionNotSupported', category: 'faults', severity: 'must',
    spec: 'DSP0226 §14.6.1; WS-Addressing §6.4',
    async run(ctx) {
      const r = await ctx.send({ label: 'unknown action', action: 'http://schemas.example.invalid/wsman/NoSuchAction', resourceUri: ResourceURI.Cmd });
      return expectFault(r, { subcode: ['a:ActionNotSupported'], soapCode: ['Sender'] }, ctx.profile);
    },
  },
  {
    id: 'FLT-003', title: 'MaxEnvelopeSize under 8192 gets w:EncodingLimit', category: 'faults', severity: 'must',
    spec: 'DSP0226 §6.2; MS-WSMV §3.1.4.1.8',
    async run(ctx) {
      const r = await ctx.send({ label: 'MaxEnvelopeSize 4096', ...enumerate(ctx), headers: { maxEnvelopeSize: 4096 } });
      return expectFault(r, { subcode: ['w:EncodingLimit'], wsmanCode: [WsmanCode.EncodingLimit] }, ctx.profile);
    },
  },
  {
    id: 'FLT-004', title: 'Malformed XML gets a Sender fault', category: 'faults', severity: 'must',
    spec: 'SOAP 1.2 §5.4.6; DSP0226 §14.6',
    async run(ctx) {
      const xml = ctx.build({ label: 'malformed', ...enumerate(ctx) });
      const r = await ctx.post(xml.slice(0, Math.floor(xml.length * 0.6)), { label: 'truncated envelope' });
      return expectFault(r, { status: [400, 500], soapCode: ['Sender'] }, ctx.profile);
    },
  },
  {
    id: 'FLT-005', title: 'Unknown header marked mustUnderstand gets s:MustUnderstand', category: 'faults', severity: 'must',
    spec: 'SOAP 1.2 §5.4.8; DSP0226 §5.2',
    async run(ctx) {
      const r = await withHeader(ctx, 'unknown mustUnderstand header', '<c:Unheard xmlns:c="urn:wsman-conformance" s:mustUnderstand="true">1</c:Unheard>');
      return expectFault(r, { soapCode: ['MustUnderstand'] }, ctx.profile);
    },
  },
  {
    id: 'FLT-006', title: 'Unknown header without mustUnderstand is ignored', category: 'faults', severity: 'should',
    spec: 'SOAP 1.2 §5.2.3',
    async run(ctx) {
      const r = await withHeader(ctx, 'unknown optional header', '<c:Unheard xmlns:c="urn:wsman-conformance">1</c:Unheard>');
      return r.status === 200 ? pass() : fail(`expected HTTP 200, got ${r.status}`);
    },
  },
  {
    id: 'FLT-007', title: 'Missing ReplyTo gets a:MessageInformationHeaderRequired', category: 'faults', severity: 'should',
    spec: 'DSP0226 §5.4.2; MS-WSMV §3.1.4.1.4',
    async run(ctx) {
      const r = await ctx.send({ label: 'no ReplyTo', ...enumerate(ctx), headers: { replyTo: undefined } });
      return expectFault(r, { subcode: ['a:MessageInformationHeaderRequired', 'a:InvalidMessageInformationHeader'] }, ctx.profile);
    },
  },
  {
    id: 'FLT-008', title: 'Negative OperationTimeout gets a:InvalidMessageInformationHeader 2150858767', category: 'faults', severity: 'should', profile: 'winrm',
    spec: 'DSP0226 §6.1; recorded Windows answer',
    async run(ctx) {
      const r = await ctx.send({ label: 'OperationTimeout PT-1S', ...enumerate(ctx), headers: { operationTimeout: -1000 } });
      return expectFault(r, { subcode: ['a:InvalidMessageInformationHeader'], wsmanCode: [WsmanCode.InvalidMessageInformationHeader] }, ctx.profile);
    },
  },
  {
    id: 'FLT-009', title: 'Missing MessageID gets a:InvalidMessageInformationHeader or MessageInformationHeaderRequired', category: 'faults', severity: 'should',
    spec: 'DSP0226 §5.4.4; MS-WSMV §3.1.4.1.3',
    async run(ctx) {
      const r = await ctx.send({ label: 'no MessageID', ...enumerate(ctx), headers: { messageId: undefined } });
      return expectFault(r, { subcode: ['a:InvalidMessageInformationHeader', 'a:MessageInformationHeaderRequired'] }, ctx.profile);
    },
  },
  {
    id: 'FLT-010', title: 'Faults carry a WSManFault with Code and Machine', category: 'faults', severity: 'must', profile: 'winrm',
    spec: 'MS-WSMV §2.2.4.43',
    async run(ctx) {
      const r = await ctx.send({ label: 'Get unknown shell', action: Action.Get, resourceUri: ResourceURI.Cmd, selectors: { ShellId: randomUUID().toUpperCase() } });
      const b = r.message?.body;
      if (b?.kind !== 'Fault') return fail('no fault to inspect');
      if (b.fault.wsmanCode === undefined) return fail('the fault has no WSManFault Code');
      if (!b.fault.machine) return fail('the WSManFault has no Machine');
      return pass(`Code ${b.fault.wsmanCode}, Machine ${b.fault.machine}`);
    },
  },
  {
    id: 'FLT-011', title: 'A fault answers with the RelatesTo of the request', category: 'faults', severity: 'must',
    spec: 'DSP0226 §14.3',
    async run(ctx) {
      const get: RequestSpec = ctx.profile === 'winrm'
        ? { label: 'Get unknown shell', action: Action.Get, resourceUri: ResourceURI.Cmd, selectors: { ShellId: randomUUID().toUpperCase() } }
        : { label: 'Get unknown instance', action: Action.Get, resourceUri: ctx.resourceUri, selectors: { Name: `wsman-conformance-${randomUUID()}` } };
      const xml = ctx.build(get);
      const r = await ctx.post(xml, { label: get.label });
      if (r.message?.body.kind !== 'Fault') return fail(`expected a fault to inspect, got HTTP ${r.status}`);
      const id = peekMessageId(xml);
      const rel = r.message?.headers.relatesTo;
      return rel !== undefined && id !== undefined && rel.toUpperCase() === id.toUpperCase() ? pass() : fail(`RelatesTo is ${rel ?? '(missing)'}`);
    },
  },
];
