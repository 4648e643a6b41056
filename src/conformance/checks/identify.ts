/** Identify, authenticated and not (DSP0226 §11; MS-WSMV §3.1.4.1.23). */
import { NS } from '../../core/index.js';
import { IDENTIFY_XML as IDENTIFY } from '../context.js';
import { type Check, pass, fail, skip } from '../types.js';
import { describeReply } from './expect.js';

export const identifyChecks: Check[] = [
  {
    id: 'ID-001', title: 'Authenticated Identify names protocol, vendor and version', category: 'identify', severity: 'must',
    spec: 'DSP0226 §11',
    async run(ctx) {
      const r = await ctx.post(IDENTIFY, { label: 'Identify' });
      const b = r.message?.body;
      if (r.status !== 200 || b?.kind !== 'IdentifyResponse') return fail(`expected IdentifyResponse, got ${describeReply(r)}`);
      if (b.protocolVersion !== NS.w) return fail(`ProtocolVersion is '${b.protocolVersion}'`);
      if (!b.productVendor || !b.productVersion) return fail('ProductVendor or ProductVersion is empty');
      return pass(`${b.productVendor}, ${b.productVersion}`);
    },
  },
  {
    id: 'ID-002', title: 'Identify answers in the identity namespace', category: 'identify', severity: 'must',
    spec: 'DSP0226 §11 (wsmanidentity.xsd)',
    async run(ctx) {
      const r = await ctx.post(IDENTIFY, { label: 'Identify' });
      return r.body.includes(NS.wsmid) ? pass() : fail(`the response does not use ${NS.wsmid}`);
    },
  },
  {
    id: 'ID-003', title: 'Unauthenticated Identify (WSMANIDENTIFY header) omits SecurityProfiles', category: 'identify', severity: 'should', profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.1.23',
    async run(ctx) {
      const r = await ctx.post(IDENTIFY, { label: 'unauthenticated Identify', auth: false, headers: { WSMANIDENTIFY: 'unauthenticated' } });
      const b = r.message?.body;
      if (r.status === 401) return skip('the endpoint does not answer unauthenticated Identify');
      if (b?.kind !== 'IdentifyResponse') return fail(`expected IdentifyResponse, got ${describeReply(r)}`);
      return b.securityProfiles === undefined ? pass() : fail('SecurityProfiles is present in an unauthenticated answer');
    },
  },
  {
    id: 'ID-004', title: 'Identify without credentials and without WSMANIDENTIFY is refused', category: 'identify', severity: 'should', profile: 'winrm',
    spec: 'MS-WSMV §3.1.4.1.23',
    async run(ctx) {
      if (!ctx.authenticated) return skip('no credentials given');
      const r = await ctx.post(IDENTIFY, { label: 'anonymous Identify', auth: false });
      return r.status === 401 ? pass() : fail(`expected 401, got ${describeReply(r)}`);
    },
  },
];
