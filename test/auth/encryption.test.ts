/** HTTP message encryption framing (protocol.md §8.3): exact bytes, lenient parsing, length checks. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encryptedContentType, encryptedProtocolOf, isEncryptedContentType, parseEncryptedBody, sealBody, unsealBody,
  type Unwrapper, type Wrapper,
} from '../../src/auth/encryption.js';
import { EncryptionProtocol, type Sealed } from '../../src/auth/types.js';
import { WsmanAuthError, WsmanProtocolError } from '../../src/core/errors.js';
import { loadCapture } from './pywinrm-capture.js';

/** A stand-in "cipher": header = 4 bytes of length, ciphertext = bytes XOR 0x5a. */
const xor: Wrapper & Unwrapper = {
  wrap(p: Uint8Array): Sealed {
    const h = new Uint8Array(4);
    new DataView(h.buffer).setUint32(0, p.length, true);
    return { header: h, ciphertext: p.map((b) => b ^ 0x5a) };
  },
  unwrap(s: Sealed): Uint8Array {
    return s.ciphertext.map((b) => b ^ 0x5a);
  },
};

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('sealed body framing', () => {
  it('writes exactly the layout of §8.3', () => {
    const { body, contentType } = sealBody(xor, bytes('hello'));
    expect(contentType).toBe('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"');
    expect(text(body)).toBe(
      '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n' +
      '\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=5\r\n' +
      '--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n' +
      '\x04\x00\x00\x00\x05\x00\x00\x00' + text(bytes('hello').map((b) => b ^ 0x5a)) + '--Encrypted Boundary--\r\n');
  });

  it('round-trips any plaintext, including empty and binary', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (p) => {
      const { body } = sealBody(xor, p);
      expect(Buffer.from(unsealBody(xor, body).plaintext).equals(Buffer.from(p))).toBe(true);
    }));
  });

  it('matches the framing of the captured pywinrm bodies (parse → re-frame gives the same bytes)', () => {
    const c = loadCapture('pywinrm-ntlm-http-encrypted.txt');
    for (const x of c.exchanges) {
      const [part] = parseEncryptedBody(x.requestBody);
      expect(part!.protocol).toBe(EncryptionProtocol.spnego);
      expect(part!.originalLength).toBe(Buffer.byteLength(x.requestPlaintext));
      expect(part!.sealed.header.length).toBe(16);
      const replay: Wrapper = { wrap: () => part!.sealed };
      const again = sealBody(replay, new Uint8Array(part!.originalLength));
      expect(Buffer.from(again.body).equals(Buffer.from(x.requestBody))).toBe(true);
    }
  });

  it('parses leniently: "-- Encrypted Boundary", LF line ends, header case, CR LF before the end boundary', () => {
    const cipher = text(bytes('abc').map((b) => b ^ 0x5a));
    const body = bytes(
      '-- Encrypted Boundary\n content-type: application/HTTP-SPNEGO-session-encrypted\n' +
      ' originalcontent: type=application/soap+xml;charset=UTF-16;Length=3\n' +
      '-- Encrypted Boundary\n content-type: application/octet-stream\n' +
      '\x04\x00\x00\x00\x03\x00\x00\x00' + cipher + '\r\n-- Encrypted Boundary--\n');
    const r = unsealBody(xor, body);
    expect(text(r.plaintext)).toBe('abc');
    expect(r.contentType).toBe('application/soap+xml;charset=UTF-16');
  });

  it('uses the Kerberos and CredSSP protocol names; CredSSP splits into 16 KiB parts', () => {
    expect(encryptedContentType(EncryptionProtocol.kerberos)).toContain('protocol="application/HTTP-Kerberos-session-encrypted"');
    const big = new Uint8Array(40000).map((_, i) => i & 0xff);
    const { body, contentType } = sealBody(xor, big, { protocol: EncryptionProtocol.credssp });
    expect(contentType).toBe('multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"');
    const parts = parseEncryptedBody(body);
    expect(parts.map((p) => p.originalLength)).toEqual([16384, 16384, 7232]);
    expect(Buffer.from(unsealBody(xor, body).plaintext).equals(Buffer.from(big))).toBe(true);
    expect(isEncryptedContentType(contentType)).toBe(true);
    expect(isEncryptedContentType('application/soap+xml;charset=UTF-8')).toBe(false);
    expect(encryptedProtocolOf(contentType)).toBe(EncryptionProtocol.credssp);
  });

  it('refuses a protocol other than the expected one', () => {
    const { body } = sealBody(xor, bytes('x'), { protocol: EncryptionProtocol.kerberos });
    expect(() => unsealBody(xor, body, { protocol: EncryptionProtocol.spnego })).toThrow(WsmanProtocolError);
  });

  it('checks lengths: short data, decrypted length differing from Length, absurd sizes', () => {
    const good = text(sealBody(xor, bytes('hello')).body);
    const cases = [
      good.replace('Length=5', 'Length=9'),
      good.replace('Length=5', 'Length=99999999999'),
      good.replace('Length=5', 'Length=x'),
      good.replace('\x04\x00\x00\x00', '\xff\xff\x00\x00'),
      good.replace('--Encrypted Boundary--\r\n', ''),
      good.replace('application/octet-stream', 'text/plain'),
      good.slice(0, 60),
      '',
    ];
    for (const c of cases) expect(() => unsealBody(xor, bytes(c))).toThrow(WsmanProtocolError);
    // Data longer than Length is decrypted whole, then refused because lengths differ.
    const long = good.replace('Length=5', 'Length=4');
    expect(() => unsealBody(xor, bytes(long))).toThrow(WsmanProtocolError);
  });

  it('random or mutated bodies either parse or throw WsmanProtocolError, never anything else', () => {
    const base = sealBody(xor, bytes('<s:Envelope/>')).body;
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => { const b = new Uint8Array(base); b[i] = v; return b; }),
      fc.nat(base.length).map((n) => base.slice(0, n)),
    ), (b) => {
      try {
        unsealBody(xor, b);
      } catch (e) {
        expect(e instanceof WsmanProtocolError || e instanceof WsmanAuthError).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
