/** Envelope and addressing rules every response must follow (DSP0226 §5, WS-Addressing 2004/08 §3). */
import { Action, ANONYMOUS, normalizeMessageId, peekMessageId } from '../../core/index.js';
import type { ConformanceContext, Reply } from '../context.js';
import { type Check, pass, fail } from '../types.js';
import { describeReply } from './expect.js';

/** A harmless request that must be answered with full headers: an optimized enumeration of the test resource. */
async function probe(ctx: ConformanceContext, label: string): Promise<{ xml: string; reply: Reply }> {
  const xml = ctx.build({ label, action: Action.Enumerate, resourceUri: ctx.resourceUri, body: { kind: 'Enumerate', optimize: true, maxElements: 32000 } });
  return { xml, reply: await ctx.post(xml, { label }) };
}

function messageIdOf(xml: string): string {
  return peekMessageId(xml) ?? '';
}

export const envelopeChecks: Check[] = [
  {
    id: 'ENV-001', title: 'RelatesTo carries the request MessageID', category: 'envelope', severity: 'must',
    spec: 'DSP0226 §5.4.5; WS-Addressing §3.2',
    async run(ctx) {
      const { xml, reply } = await probe(ctx, 'enumerate');
      const rel = reply.message?.headers.relatesTo;
      if (!reply.message) return fail(`no envelope in the answer (${describeReply(reply)})`);
      if (rel === undefined) return fail('the response has no a:RelatesTo');
      return normalizeMessageId(rel) === normalizeMessageId(messageIdOf(xml)) ? pass() : fail(`RelatesTo ${rel} is not the request's ${messageIdOf(xml)}`);
    },
  },
  {
    id: 'ENV-002', title: 'Response Action is the request Action followed by Response', category: 'envelope', severity: 'must',
    spec: 'DSP0226 §5.4.3',
    async run(ctx) {
      const { reply } = await probe(ctx, 'enumerate');
      const action = reply.message?.headers.action;
      if (reply.status !== 200) return fail(`the enumeration failed: ${describeReply(reply)}`);
      return action === Action.EnumerateResponse ? pass() : fail(`Action is ${action ?? '(missing)'}`);
    },
  },
  {
    id: 'ENV-003', title: 'Response To is the anonymous address', category: 'envelope', severity: 'should',
    spec: 'DSP0226 §5.4.1; MS-WSMV §3.1.4.1.5',
    async run(ctx) {
      const { reply } = await probe(ctx, 'enumerate');
      const to = reply.message?.headers.to;
      return to === ANONYMOUS ? pass() : fail(`To is ${to ?? '(missing)'}`);
    },
  },
  {
    id: 'ENV-004', title: 'Every response has a unique MessageID', category: 'envelope', severity: 'must',
    spec: 'DSP0226 §5.4.4',
    async run(ctx) {
      const a = (await probe(ctx, 'first')).reply.message?.headers.messageId;
      const b = (await probe(ctx, 'second')).reply.message?.headers.messageId;
      if (!a || !b) return fail('a response has no MessageID');
      return a !== b ? pass() : fail(`two responses share MessageID ${a}`);
    },
  },
  {
    id: 'ENV-005', title: 'Envelope carries xml:lang', category: 'envelope', severity: 'should', profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.1.1 (Windows responses)',
    async run(ctx) {
      const { reply } = await probe(ctx, 'enumerate');
      return /<[^>]*Envelope[^>]*xml:lang=/.test(reply.body) ? pass() : fail('the Envelope element has no xml:lang');
    },
  },
  {
    id: 'ENV-006', title: 'Responses are application/soap+xml with a charset', category: 'envelope', severity: 'must',
    spec: 'DSP0226 §13.1; SOAP 1.2 HTTP binding',
    async run(ctx) {
      const { reply } = await probe(ctx, 'enumerate');
      const ct = reply.headers['content-type'] ?? '';
      return /application\/soap\+xml/i.test(ct) && /charset=/i.test(ct) ? pass(ct) : fail(`Content-Type is '${ct}'`);
    },
  },
];
