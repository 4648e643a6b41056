/** Hostile input must be refused without taking the endpoint down; redirects must be well formed. */
import { Action, ResourceURI } from '../../core/index.js';
import { type ConformanceContext, IDENTIFY_XML as IDENTIFY } from '../context.js';
import { type Check, type Outcome, pass, fail, skip } from '../types.js';
import { describeReply } from './expect.js';

async function stillServes(ctx: ConformanceContext): Promise<boolean> {
  try {
    const r = await ctx.post(IDENTIFY, { label: 'Identify afterwards' });
    return r.status === 200 && r.message?.body.kind === 'IdentifyResponse';
  } catch {
    return false;
  }
}

/**
 * The hostile request must be answered with an error status (not 200), and the endpoint must go on
 * serving. A dropped connection is a refusal only where `closeRefuses` says so (an oversize body,
 * which a server may stop reading): elsewhere it is what a crash looks like, never a pass.
 */
async function refusedAndAlive(ctx: ConformanceContext, label: string, body: string | Buffer, forbidden?: RegExp, closeRefuses = false): Promise<Outcome> {
  let status: number | undefined;
  let text: string;
  try {
    const r = await ctx.post(body, { label });
    status = r.status;
    text = r.body;
  } catch (err) {
    if (!closeRefuses) {
      const alive = await stillServes(ctx);
      return fail(`no answer, the connection failed (${(err as Error).message})${alive ? '' : '; the endpoint no longer answers Identify'}`);
    }
    text = (err as Error).message;
  }
  if (status === 200) return fail(`the hostile request was accepted (HTTP 200)`);
  if (forbidden && forbidden.test(text)) return fail('the response contains expanded entity content');
  if (!(await stillServes(ctx))) return fail('the endpoint no longer answers Identify');
  return pass(status === undefined ? 'connection closed' : `HTTP ${status}`);
}

export const robustnessChecks: Check[] = [
  {
    id: 'ROB-001', title: 'An entity expansion bomb is refused and the endpoint keeps serving', category: 'robustness', severity: 'must',
    spec: 'SOAP 1.2 §5 (no DTD); XML 1.0 §4',
    run(ctx) {
      let dtd = '<!ENTITY a0 "wsmanwsmanwsman">';
      for (let i = 1; i < 10; i++) dtd += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
      return refusedAndAlive(ctx, 'billion laughs', `<?xml version="1.0"?><!DOCTYPE s:Envelope [${dtd}]>${IDENTIFY.replace('<wsmid:Identify/>', '<wsmid:Identify>&a9;</wsmid:Identify>')}`);
    },
  },
  {
    id: 'ROB-002', title: 'An external entity is not resolved', category: 'robustness', severity: 'must',
    spec: 'SOAP 1.2 §5 (no DTD)',
    run(ctx) {
      return refusedAndAlive(ctx, 'external entity', `<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>${IDENTIFY.replace('<wsmid:Identify/>', '<wsmid:Identify>&x;</wsmid:Identify>')}`, /root:.*:0:0:/);
    },
  },
  {
    id: 'ROB-003', title: 'A body far over MaxEnvelopeSizekb is refused (413 or EncodingLimit)', category: 'robustness', severity: 'must',
    spec: 'MS-WSMV §3.1.4.1.8; protocol.md §8.2',
    run(ctx) {
      const filler = 'A'.repeat(4 * 1024 * 1024);
      return refusedAndAlive(ctx, '4 MB body', IDENTIFY.replace('<s:Header/>', `<s:Header><x:Pad xmlns:x="urn:pad">${filler}</x:Pad></s:Header>`), undefined, true);
    },
  },
  {
    id: 'ROB-004', title: 'Deeply nested elements are refused and the endpoint keeps serving', category: 'robustness', severity: 'should',
    spec: 'DSP0226 §13 (limits)',
    run(ctx) {
      const depth = 20000;
      return refusedAndAlive(ctx, 'deep nesting', IDENTIFY.replace('<wsmid:Identify/>', `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`));
    },
  },
  {
    id: 'RED-001', title: 'A redirect on shell Create is a 302 with a Location', category: 'redirect', severity: 'must', destructive: true, profile: 'winrm',
    spec: 'protocol.md §8.4; PowerShell -AllowRedirection',
    async run(ctx) {
      const r = await ctx.send({ label: 'Create', action: Action.Create, resourceUri: ResourceURI.Cmd,
        body: { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } } });
      if (r.status === 200) {
        const b = r.message?.body;
        const id = b?.kind === 'ResourceCreated' ? b.shell?.shellId : undefined;
        if (id) await ctx.send({ label: 'Delete', action: Action.Delete, selectors: { ShellId: id } });
        return skip('the endpoint does not redirect');
      }
      if (r.status >= 300 && r.status < 400) {
        if (r.status !== 302) return fail(`redirect with HTTP ${r.status}; WinRM clients follow only 302`);
        return r.headers.location ? pass(`to ${r.headers.location}`) : fail('a 302 without Location');
      }
      return skip(`Create answered ${describeReply(r)}`);
    },
  },
];
