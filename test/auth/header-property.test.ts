/** Property tests of the one Authorization / WWW-Authenticate parser and what the listener reads from it. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseAuthHeader, parseWwwAuthenticate, loggableScheme, formatAuthHeader } from '../../src/auth/http.js';
import { claimedUser } from '../../src/auth/claimed.js';

const scheme = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);

describe('the auth header parser', () => {
  it('never throws on any header text, and what it logs is only ever the first word', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (v) => {
      parseAuthHeader(v);
      parseWwwAuthenticate(v);
      const shown = loggableScheme(v);
      if (shown !== undefined) expect(v.trimStart().startsWith(shown)).toBe(true);
      if (shown !== undefined) expect(/\s/.test(shown)).toBe(false);
    }), { numRuns: 500 });
  });

  it('reads back what formatAuthHeader writes', () => {
    fc.assert(fc.property(scheme, fc.uint8Array({ minLength: 1, maxLength: 300 }), (s, token) => {
      const h = parseAuthHeader(formatAuthHeader(s, token));
      expect(h?.scheme).toBe(s);
      expect(Buffer.from(h!.token!)).toEqual(Buffer.from(token));
      const challenges = parseWwwAuthenticate([formatAuthHeader(s, token), 'Basic realm="WSMAN"']);
      expect(challenges.map((c) => c.scheme)).toEqual([s, 'Basic']);
    }), { numRuns: 300 });
  });

  it('claimedUser never throws and gives Basic\'s name without the password', () => {
    fc.assert(fc.property(fc.constantFrom('Basic', 'Negotiate', 'NTLM', 'Kerberos', 'x'), fc.uint8Array({ maxLength: 400 }), (s, t) => {
      claimedUser(s, t);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 30 }), (user, pw) => {
      expect(claimedUser('Basic', Buffer.from(`${user}:${pw}`))).toBe(user);
    }));
  });
});
