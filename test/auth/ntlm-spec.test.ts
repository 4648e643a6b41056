/**
 * MS-NLMP §4.2.4 (NTLMv2 Authentication) worked example: User "User", domain "Domain", password
 * "Password", server challenge 0123456789abcdef, client challenge aa×8, RandomSessionKey 55×16,
 * time 0, workstation "COMPUTER". Every value below is the spec's.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, hex, utf16le } from '../../src/auth/crypto/bytes.js';
import { NegotiateFlags as F } from '../../src/auth/ntlm/constants.js';
import {
  channelBindingsHash, clientChallengeBlob, encryptSessionKey, lmv2Response, ntHash, ntlmv2Response, ntowfv2, sealKey,
  signKey, verifyNtlmv2,
} from '../../src/auth/ntlm/compute.js';
import { NtlmClientContext } from '../../src/auth/ntlm/client.js';
import { decodeAuthenticate, decodeChallenge, encodeAvPairs, encodeChallenge } from '../../src/auth/ntlm/messages.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';

const SERVER_CHALLENGE = fromHex('0123456789abcdef');
const CLIENT_CHALLENGE = fromHex('aaaaaaaaaaaaaaaa');
const RANDOM_SESSION_KEY = fromHex('55555555555555555555555555555555');
const TIME = new Uint8Array(8);
const CHALLENGE_FLAGS = 0xe28a8233;

// §4.2.4.3 CHALLENGE_MESSAGE
const SPEC_CHALLENGE = fromHex(`
  4e544c4d53535000020000000c000c0038000000 33828ae2 0123456789abcdef 0000000000000000 2400240044000000
  0600701700000 00f 5300650072007600650072 00 02000c0044006f006d00610069006e00 01000c005300650072007600650072000000 0000`);
// §4.2.4.3 AUTHENTICATE_MESSAGE
const SPEC_AUTHENTICATE = fromHex(`
  4e544c4d53535000030000001800180 06c000000 5400540084000000 0c000c0048000000 0800080054000000 100010005c000000
  10001000d8000000 358288e2 0501280a0000000f 44006f006d00610069006e00 55007300650072004300 4f004d0050005500540045005200
  86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa 68cd0ab851e51c96aabc927bebef6a1c 01010000000000000000000000000000
  aaaaaaaaaaaaaaaa00000000 02000c0044006f006d00610069006e00 01000c005300650072007600650072000000 0000 00000000
  c5dad2544fc9799094ce1ce90bc9d03e`);

const AV_PAIRS = encodeAvPairs([
  { id: 2, value: utf16le('Domain') },
  { id: 1, value: utf16le('Server') },
]);

describe('MS-NLMP 4.2.4 NTLMv2 worked example', () => {
  const hash = ntHash('Password');
  const key = ntowfv2(hash, 'User', 'Domain');

  it('NTOWFv2("Password", "User", "Domain") is 0c868a403bfd7a93a3001ef22ef02e3f', () => {
    expect(hex(key)).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('LMv2 response is 86c35097ac9cec102554764a57cccc19 + client challenge', () => {
    expect(hex(lmv2Response(key, SERVER_CHALLENGE, CLIENT_CHALLENGE))).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
  });

  it('NTProofStr and SessionBaseKey match the spec', () => {
    const v2 = ntlmv2Response(key, SERVER_CHALLENGE, clientChallengeBlob(TIME, CLIENT_CHALLENGE, AV_PAIRS));
    expect(hex(v2.ntProofStr)).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(hex(v2.sessionBaseKey)).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
    // The server-side check finds the same key from the response alone.
    expect(hex(verifyNtlmv2(key, SERVER_CHALLENGE, v2.ntChallengeResponse) ?? new Uint8Array())).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
    expect(verifyNtlmv2(ntowfv2(ntHash('password'), 'User', 'Domain'), SERVER_CHALLENGE, v2.ntChallengeResponse)).toBeUndefined();
  });

  it('EncryptedRandomSessionKey is c5dad2544fc9799094ce1ce90bc9d03e', () => {
    expect(hex(encryptSessionKey(fromHex('8de40ccadbc14a82f15cb0ad0de95ca3'), RANDOM_SESSION_KEY))).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
  });

  it('CHALLENGE_MESSAGE encodes to and decodes from the spec bytes', () => {
    const m = decodeChallenge(SPEC_CHALLENGE);
    expect(m.flags >>> 0).toBe(CHALLENGE_FLAGS);
    expect(m.targetName).toBe('Server');
    expect(hex(m.serverChallenge)).toBe('0123456789abcdef');
    expect(m.targetInfo.map((p) => p.id)).toEqual([2, 1]);
    expect(hex(encodeChallenge(m))).toBe(hex(SPEC_CHALLENGE));
  });

  it('our client produces the spec AUTHENTICATE_MESSAGE byte for byte', () => {
    const randoms = [CLIENT_CHALLENGE, RANDOM_SESSION_KEY];
    const client = new NtlmClientContext({
      username: 'User', domain: 'Domain', password: 'Password', workstation: 'COMPUTER',
      randomBytes: () => randoms.shift() ?? new Uint8Array(0), filetime: () => 0n, version: fromHex('0501280a0000000f'),
    });
    client.step();
    const auth = client.step(SPEC_CHALLENGE);
    expect(auth.done).toBe(true);
    expect(hex(auth.token ?? new Uint8Array())).toBe(hex(SPEC_AUTHENTICATE));
    const decoded = decodeAuthenticate(SPEC_AUTHENTICATE);
    expect([decoded.user, decoded.domain, decoded.workstation, decoded.mic]).toEqual(['User', 'Domain', 'COMPUTER', undefined]);
    expect(hex(client.sessionKey() ?? new Uint8Array())).toBe(hex(RANDOM_SESSION_KEY));
  });

  it('sealing key, signing key and GSS_WrapEx output match §4.2.4.4', () => {
    const flags = 0xe2888235;
    expect(hex(sealKey(RANDOM_SESSION_KEY, flags, true))).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(hex(signKey(RANDOM_SESSION_KEY, true))).toBe('4788dc861b4782f35d43fd98fe1a2d39');
    const client = new NtlmSession(RANDOM_SESSION_KEY, flags, true);
    const { data, signature } = client.seal(utf16le('Plaintext'));
    expect(hex(data)).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(hex(signature)).toBe('010000007fb38ec5c55d497600000000');
    // The server side opens it with the same keys.
    const server = new NtlmSession(RANDOM_SESSION_KEY, flags, false);
    expect(Buffer.from(server.unseal(data, signature)).toString('utf16le')).toBe('Plaintext');
  });

  it('56-bit and 40-bit sealing keys cut the session key first', () => {
    const k128 = sealKey(RANDOM_SESSION_KEY, F.N128, true);
    const k56 = sealKey(RANDOM_SESSION_KEY, F.N56, true);
    const k40 = sealKey(RANDOM_SESSION_KEY, 0, true);
    expect(new Set([hex(k128), hex(k56), hex(k40)]).size).toBe(3);
  });

  it('channel bindings hash is MD5 of the gss_channel_bindings_struct', () => {
    const app = Buffer.from('tls-server-end-point:abc', 'latin1');
    const struct = Buffer.concat([Buffer.alloc(16), Buffer.from([app.length, 0, 0, 0]), app]);
    expect(hex(channelBindingsHash(new Uint8Array(app)))).toBe(createHash('md5').update(struct).digest('hex'));
  });
});
