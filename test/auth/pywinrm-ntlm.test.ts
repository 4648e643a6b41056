/**
 * pywinrm's real NTLM bytes (fixtures/clients/pywinrm/, password `Secr3t!pw`, user `vagrant`):
 * our server context reproduces the capture server's CHALLENGE byte for byte, verifies the
 * client's AUTHENTICATE (NTLMv2 + MIC) with the NT hash, unseals every sealed request to the
 * recorded SOAP, and seals answers identical to what the client accepted. A client-role session
 * built from the same exported key checks our sealing from the other side.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex, readLe64 } from '../../src/auth/crypto/bytes.js';
import { sealBody, unsealBody, parseEncryptedBody } from '../../src/auth/encryption.js';
import { AuthFailedError } from '../../src/auth/errors.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { decodeAuthenticate } from '../../src/auth/ntlm/messages.js';
import { NtlmServerContext, type NtlmServerOptions } from '../../src/auth/ntlm/server.js';
import { NtlmSession } from '../../src/auth/ntlm/session.js';
import { NegotiateServerContext } from '../../src/auth/negotiate.js';
import { WsmanAuthError } from '../../src/core/errors.js';
import { loadCapture, PYWINRM_PASSWORD, PYWINRM_USER, type Capture } from './pywinrm-capture.js';

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function serverFor(c: Capture, extra: Partial<NtlmServerOptions> = {}, password = PYWINRM_PASSWORD): NtlmServerOptions {
  return {
    lookup: (user) => (user.toLowerCase() === PYWINRM_USER ? ntHash(password) : undefined),
    netbiosDomain: 'WINRMTEST', netbiosComputer: 'CAPTURE', dnsDomain: 'winrmtest.local', dnsComputer: 'capture.winrmtest.local',
    randomBytes: () => fromHex(c.serverChallengeHex),
    filetime: () => readLe64(fromHex(c.timestampHex), 0),
    ...extra,
  };
}

function handshake(c: Capture, opts: NtlmServerOptions): NtlmServerContext {
  const srv = new NtlmServerContext(opts);
  const ch = srv.step(c.negotiate);
  expect(hex(ch.token ?? new Uint8Array())).toBe(hex(c.challenge));
  expect(srv.step(c.authenticate)).toEqual({ done: true });
  return srv;
}

const CASES: Array<{ file: string; sealed: boolean; unicode?: boolean }> = [
  { file: 'pywinrm-ntlm-http-encrypted.txt', sealed: true },
  { file: 'pywinrm-ntlm-http-encrypted-unicode.txt', sealed: true, unicode: true },
  { file: 'pywinrm-ntlm-http-noencrypt.txt', sealed: false },
  { file: 'pywinrm-ntlm-https.txt', sealed: false },
];

describe.each(CASES)('pywinrm capture $file', ({ file, sealed, unicode }) => {
  const c = loadCapture(file);
  const opts = serverFor(c, unicode ? { forceUnicode: true } : {});

  it('the server context reproduces the CHALLENGE and verifies the AUTHENTICATE (NTLMv2 + MIC)', () => {
    const srv = handshake(c, opts);
    expect(srv.complete).toBe(true);
    expect(srv.user).toBe('vagrant');
    expect(srv.micReceived).toBe(true);
    expect(srv.canSeal).toBe(true);
    if (c.exportedSessionKeyHex) expect(hex(srv.sessionKey() ?? new Uint8Array())).toBe(c.exportedSessionKeyHex);
  });

  it('a wrong password is refused as bad-password', () => {
    const srv = new NtlmServerContext(serverFor(c, unicode ? { forceUnicode: true } : {}, 'Secr3t!pW'));
    srv.step(c.negotiate);
    expect(() => srv.step(c.authenticate)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_FAILED', reason: 'bad-password' }));
  });

  it('an unknown user and a foreign domain are refused', () => {
    const nobody = new NtlmServerContext({ ...opts, lookup: () => undefined });
    nobody.step(c.negotiate);
    expect(() => nobody.step(c.authenticate)).toThrow(expect.objectContaining({ reason: 'unknown-user' }));
    if (unicode) {
      // This client typed WINRMTEST\vagrant: a server of another domain refuses it.
      const other = new NtlmServerContext({ ...opts, netbiosDomain: 'OTHER', dnsDomain: 'other.example', netbiosComputer: 'HOST' });
      other.step(c.negotiate);
      expect(() => other.step(c.authenticate)).toThrow(expect.objectContaining({ reason: 'domain' }));
    }
  });

  it('a changed byte in the AUTHENTICATE breaks the MIC or the NTLMv2 proof', () => {
    const srv = new NtlmServerContext(opts);
    srv.step(c.negotiate);
    const tampered = new Uint8Array(c.authenticate);
    tampered[62] = (tampered[62] ?? 0) ^ 0x01; // a NegotiateFlags bit (covered only by the MIC)
    expect(() => srv.step(tampered)).toThrow(AuthFailedError);
  });

  it('the Negotiate server context accepts the raw NTLMSSP tokens pywinrm sends in Negotiate headers', () => {
    const neg = new NegotiateServerContext(opts);
    const ch = neg.step(c.negotiate);
    expect(hex(ch.token ?? new Uint8Array())).toBe(hex(c.challenge));
    expect(neg.step(c.authenticate).done).toBe(true);
    expect(neg.framing).toBe('raw');
    expect(neg.user).toBe('vagrant');
  });

  if (!sealed) return;

  it(`unseals all ${c.exchanges.length} sealed requests to the recorded SOAP and seals byte-identical answers`, () => {
    expect(c.exchanges.length).toBeGreaterThanOrEqual(5);
    const srv = handshake(c, opts);
    for (const x of c.exchanges) {
      const { plaintext, contentType } = unsealBody(srv, x.requestBody);
      expect(utf8(plaintext)).toBe(x.requestPlaintext);
      expect(contentType).toBe('application/soap+xml;charset=UTF-8');
      const { body, contentType: ct } = sealBody(srv, new Uint8Array(Buffer.from(x.responsePlaintext, 'utf8')));
      expect(ct).toBe('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"');
      expect(Buffer.from(body).equals(Buffer.from(x.responseBody))).toBe(true);
    }
  });

  it('the client side (same exported key) reproduces the sealed requests and opens our answers', () => {
    const srv = handshake(c, opts);
    const flags = decodeAuthenticate(c.authenticate).flags;
    const client = new NtlmSession(fromHex(c.exportedSessionKeyHex ?? ''), flags, true);
    for (const x of c.exchanges) {
      const part = parseEncryptedBody(x.requestBody)[0]!;
      const mine = client.seal(new Uint8Array(Buffer.from(x.requestPlaintext, 'utf8')));
      expect(hex(mine.signature)).toBe(x.requestSignatureHex);
      expect(hex(mine.data)).toBe(hex(part.sealed.ciphertext));
      unsealBody(srv, x.requestBody);
      const answer = sealBody(srv, new Uint8Array(Buffer.from(`answer ${x.index}`)));
      const opened = unsealBody({ unwrap: (s) => client.unseal(s.ciphertext, s.header) }, answer.body);
      expect(utf8(opened.plaintext)).toBe(`answer ${x.index}`);
    }
  });

  it('a replayed sealed request is refused as a replay and the session is closed', () => {
    const srv = handshake(c, opts);
    const [first, second] = c.exchanges;
    unsealBody(srv, first!.requestBody);
    expect(() => unsealBody(srv, first!.requestBody)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_REPLAY' }));
    // After a failure nothing more is accepted on this connection.
    expect(() => unsealBody(srv, second!.requestBody)).toThrow(WsmanAuthError);
  });

  it('a tampered sealed request is refused', () => {
    const srv = handshake(c, opts);
    const body = new Uint8Array(c.exchanges[0]!.requestBody);
    const part = parseEncryptedBody(body)[0]!;
    const at = body.length - part.sealed.ciphertext.length - '--Encrypted Boundary--\r\n'.length + 100;
    body[at] = (body[at] ?? 0) ^ 0x20;
    expect(() => unsealBody(srv, body)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_INTEGRITY' }));
  });

  it('a request sealed for another session (skipped sequence number) is refused', () => {
    const srv = handshake(c, opts);
    expect(() => unsealBody(srv, c.exchanges[1]!.requestBody)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_SEQUENCE' }));
  });
});

describe('pywinrm over HTTPS sends channel bindings', () => {
  const c = loadCapture('pywinrm-ntlm-https.txt');
  it('a server expecting different bindings refuses it; Strict without bindings configured is not applied', () => {
    const wrong = new NtlmServerContext(serverFor(c, { channelBinding: new Uint8Array(Buffer.from('tls-server-end-point:other')) }));
    wrong.step(c.negotiate);
    expect(() => wrong.step(c.authenticate)).toThrow(expect.objectContaining({ reason: 'channel-binding' }));
    const none = new NtlmServerContext(serverFor(c, { channelBinding: new Uint8Array(Buffer.from('tls-server-end-point:other')), cbtHardening: 'none' }));
    none.step(c.negotiate);
    expect(none.step(c.authenticate).done).toBe(true);
  });
});
