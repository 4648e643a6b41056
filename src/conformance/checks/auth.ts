/** Authentication behaviour visible on the wire (DSP0226 §C; MS-WSMV §2.2.9, §3.1.4.1.35; protocol.md §8.2). */
import { type Check, pass, fail, skip } from '../types.js';
import { Action, ResourceURI } from '../../core/index.js';

const enumerate = { action: Action.Enumerate, resourceUri: ResourceURI.Shell, body: { kind: 'Enumerate' as const, optimize: true, maxElements: 32000 } };

export const authChecks: Check[] = [
  {
    id: 'AUTH-001', title: 'A request without credentials gets 401 with WWW-Authenticate', category: 'auth', severity: 'must',
    spec: 'RFC 7235 §3.1; MS-WSMV §2.2.9',
    async run(ctx) {
      const r = await ctx.send({ label: 'no credentials', ...enumerate }, { auth: false });
      if (r.status !== 401) return fail(`expected 401, got HTTP ${r.status}`);
      return r.headers['www-authenticate'] ? pass(r.headers['www-authenticate']) : fail('the 401 has no WWW-Authenticate header');
    },
  },
  {
    id: 'AUTH-002', title: 'The 401 answer has a Content-Length', category: 'auth', severity: 'should',
    spec: 'RFC 9112 §6.3 (keep-alive needs a framed body)',
    async run(ctx) {
      const r = await ctx.send({ label: 'no credentials', ...enumerate }, { auth: false });
      if (r.status !== 401) return skip(`no 401 (HTTP ${r.status})`);
      return r.headers['content-length'] !== undefined ? pass() : fail('no Content-Length on the 401');
    },
  },
  {
    id: 'AUTH-003', title: 'Offered schemes are WS-Management ones (Basic, Negotiate, Kerberos, CredSSP)', category: 'auth', severity: 'should',
    spec: 'MS-WSMV §2.2.9.1',
    async run(ctx) {
      const r = await ctx.send({ label: 'no credentials', ...enumerate }, { auth: false });
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
      if (ctx.options.username === undefined) return skip('no credentials given');
      const xml = ctx.build({ label: 'wrong password', ...enumerate });
      const r = await ctx.post(xml, { label: 'wrong password', password: `${ctx.options.password ?? ''}-wrong` });
      return r.status === 401 ? pass() : fail(`expected 401, got HTTP ${r.status}`);
    },
  },
  {
    id: 'AUTH-005', title: 'Basic over plain HTTP is refused (AllowUnencrypted=false)', category: 'auth', severity: 'should',
    spec: 'MS-WSMV §2.2.9.1; Windows default AllowUnencrypted=false',
    async run(ctx) {
      if (!ctx.options.url.startsWith('http:')) return skip('the endpoint is HTTPS');
      if (ctx.options.username === undefined) return skip('no credentials given');
      const r = await ctx.send({ label: 'Basic over HTTP', ...enumerate });
      return r.status === 200 ? fail('the endpoint accepts unencrypted traffic over HTTP (AllowUnencrypted is on)') : pass(`HTTP ${r.status}`);
    },
  },
];
