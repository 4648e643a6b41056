/** Authentication behaviour visible on the wire (DSP0226 §C; MS-WSMV §2.2.9, §3.1.4.1.35; protocol.md §8.2). */
import { type Check, pass, fail, skip } from '../types.js';
import { IDENTIFY_XML } from '../context.js';
import { WsmanCode } from '../../core/index.js';

/** Every endpoint must answer an authenticated Identify, whatever resources it serves. */
const identify = { label: 'Identify without credentials', auth: false } as const;

export const authChecks: Check[] = [
  {
    id: 'AUTH-001', title: 'A request without credentials gets 401 with WWW-Authenticate', category: 'auth', severity: 'must',
    spec: 'RFC 7235 §3.1; MS-WSMV §2.2.9',
    async run(ctx) {
      const r = await ctx.post(IDENTIFY_XML, identify);
      if (r.status !== 401) return fail(`expected 401, got HTTP ${r.status}`);
      return r.headers['www-authenticate'] ? pass(r.headers['www-authenticate']) : fail('the 401 has no WWW-Authenticate header');
    },
  },
  {
    id: 'AUTH-002', title: 'The 401 answer has a Content-Length', category: 'auth', severity: 'should',
    spec: 'RFC 9112 §6.3 (keep-alive needs a framed body)',
    async run(ctx) {
      const r = await ctx.post(IDENTIFY_XML, identify);
      if (r.status !== 401) return skip(`no 401 (HTTP ${r.status})`);
      return r.headers['content-length'] !== undefined ? pass() : fail('no Content-Length on the 401');
    },
  },
  {
    id: 'AUTH-003', title: 'Offered schemes are WS-Management ones (Basic, Negotiate, Kerberos, CredSSP)', category: 'auth', severity: 'should', profile: 'winrm',
    spec: 'MS-WSMV §2.2.9.1',
    async run(ctx) {
      const r = await ctx.post(IDENTIFY_XML, identify);
      const offered = (r.headers['www-authenticate'] ?? '').split(/,\s*(?=[A-Za-z]+(?:\s|$))/).map((s) => s.trim().split(/\s/)[0] ?? '').filter(Boolean);
      if (!offered.length) return skip('no schemes offered');
      const unknown = offered.filter((s) => !/^(basic|negotiate|kerberos|credssp)$/i.test(s));
      return unknown.length ? fail(`unexpected scheme(s): ${unknown.join(', ')}`) : pass(offered.join(', '));
    },
  },
  {
    id: 'AUTH-004', title: 'A wrong password is refused with 401', category: 'auth', severity: 'must',
    spec: 'RFC 7617 §2; MS-WSMV §2.2.9',
    async run(ctx) {
      if (!ctx.authenticated || ctx.mechanism === 'certificate' || ctx.mechanism === 'kerberos') return skip('no password given');
      const r = await ctx.post(IDENTIFY_XML, { label: 'wrong password', password: `wrong-${Date.now().toString(36)}` });
      return r.status === 401 ? pass(r.refused ?? 'HTTP 401') : fail(`expected 401, got HTTP ${r.status}`);
    },
  },
  {
    id: 'AUTH-005', title: 'Basic over plain HTTP is refused (AllowUnencrypted=false)', category: 'auth', severity: 'should',
    spec: 'MS-WSMV §2.2.9.1; Windows default AllowUnencrypted=false',
    async run(ctx) {
      if (!ctx.options.url.startsWith('http:')) return skip('the endpoint is HTTPS');
      if (ctx.mechanism !== 'basic') {
        return skip('would disclose the password: to test it, log on with --authentication basic --allow-unencrypted');
      }
      // The right reason: a refused logon (401) or Windows' AccessDenied fault. Any other answer
      // (200, a 503, a fault about the request) means the credentials got through.
      const r = await ctx.post(IDENTIFY_XML, { label: 'Basic over HTTP' });
      const b = r.message?.body;
      if (r.status === 401) return pass('HTTP 401');
      if (b?.kind === 'Fault' && (b.fault.subcode === 'w:AccessDenied' || b.fault.wsmanCode === WsmanCode.AccessDenied)) return pass(`fault ${b.fault.subcode ?? b.fault.wsmanCode}`);
      return fail(`the endpoint accepts Basic over plain HTTP (it answered HTTP ${r.status}${b ? ` ${b.kind}` : ''}, not 401 or AccessDenied)`);
    },
  },
];
