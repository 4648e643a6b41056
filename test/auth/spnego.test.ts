/** SPNEGO DER (RFC 4178) encode/decode, and header parsing. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex } from '../../src/auth/crypto/bytes.js';
import { parseAuthHeader, parseWwwAuthenticate, formatAuthHeader } from '../../src/auth/http.js';
import { NegState, OID, decodeSpnego, encodeMechTypes, encodeNegTokenInit, encodeNegTokenResp } from '../../src/auth/spnego.js';
import { WsmanAuthError } from '../../src/core/errors.js';

describe('SPNEGO tokens', () => {
  it('NegTokenInit for NTLM has the well-known DER prefix', () => {
    const tok = encodeNegTokenInit({ mechTypes: [OID.ntlm], mechToken: new Uint8Array([0xde, 0xad]) });
    // 60 22 06 06 2b0601050502 a0 18 30 16 a0 0e 30 0c 06 0a 2b06010401823702020a a2 04 04 02 dead
    expect(hex(tok)).toBe('6022' + '06062b0601050502' + 'a018' + '3016' + 'a00e300c060a2b06010401823702020a' + 'a2040402dead');
    expect(hex(encodeMechTypes([OID.ntlm]))).toBe('300c060a2b06010401823702020a');
  });

  it('round-trips NegTokenInit and NegTokenResp', () => {
    const init = decodeSpnego(encodeNegTokenInit({ mechTypes: [OID.msKerberos, OID.ntlm], mechToken: new Uint8Array(300).fill(7), mechListMIC: new Uint8Array(16) }));
    expect(init).toMatchObject({ kind: 'init', mechTypes: [OID.msKerberos, OID.ntlm] });
    expect(init.kind === 'init' && init.mechToken?.length).toBe(300);
    expect(init.kind === 'init' && hex(init.mechTypesDer)).toBe(hex(encodeMechTypes([OID.msKerberos, OID.ntlm])));
    const resp = decodeSpnego(encodeNegTokenResp({ negState: NegState.acceptCompleted, supportedMech: OID.ntlm, responseToken: new Uint8Array([1]), mechListMIC: new Uint8Array([2]) }));
    expect(resp).toEqual({ kind: 'resp', negState: 0, supportedMech: OID.ntlm, responseToken: new Uint8Array([1]), mechListMIC: new Uint8Array([2]) });
  });

  it('random or truncated input throws ERR_AUTH_TOKEN only', () => {
    const good = encodeNegTokenInit({ mechTypes: [OID.ntlm], mechToken: new Uint8Array(40).fill(1) });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.nat(good.length).map((n) => good.slice(0, n)),
      fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => { const b = new Uint8Array(good); b[i] = v; return b; })), (b) => {
      try {
        decodeSpnego(b);
      } catch (e) {
        expect(e).toBeInstanceOf(WsmanAuthError);
        expect((e as WsmanAuthError).code).toBe('ERR_AUTH_TOKEN');
      }
    }), { numRuns: 500 });
  });
});

describe('Authorization / WWW-Authenticate headers', () => {
  it('parses tokens, parameters and several challenges', () => {
    expect(parseAuthHeader('Negotiate TlRMTVNTUAABAAAA')).toEqual({ scheme: 'Negotiate', token: new Uint8Array(Buffer.from('TlRMTVNTUAABAAAA', 'base64')) });
    expect(parseAuthHeader('Basic realm="WSMAN"')).toEqual({ scheme: 'Basic', params: { realm: 'WSMAN' } });
    expect(parseWwwAuthenticate(['Negotiate', 'Basic realm="WSMAN"']).map((h) => h.scheme)).toEqual(['Negotiate', 'Basic']);
    expect(parseWwwAuthenticate('Negotiate abc=, Basic realm="WSMAN", charset="UTF-8"')).toEqual([
      { scheme: 'Negotiate', token: new Uint8Array(Buffer.from('abc=', 'base64')) },
      { scheme: 'Basic', params: { realm: 'WSMAN', charset: 'UTF-8' } },
    ]);
    expect(formatAuthHeader('Negotiate', new Uint8Array([1, 2, 3]))).toBe('Negotiate AQID');
    expect(formatAuthHeader('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual')).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual');
  });
});
