/** Certificates: thumbprints, generation for `wsman cert new --client`, PEM/PFX loading, store lookup, mapping, channel binding. */
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDer, certificateInfo, certificateThumbprint, derToPem, endPointHashFor, tlsServerEndPoint, OID_EKU_CLIENT_AUTH,
} from '../../src/auth/certificate.js';
import { generateCaCertificate, generateClientCertificate, type GeneratedCertificate } from '../../src/auth/certgen.js';
import { mapClientCertificate } from '../../src/auth/certmap.js';
import { findCertificateByThumbprint, loadCertificateFile, loadPemCertificate, loadPfxCertificate, type StoreFs } from '../../src/auth/certstore.js';
import { WsmanUsageError } from '../../src/core/errors.js';

const keyPem = (): string => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const NOW = new Date('2026-06-01T00:00:00Z');

let alice: GeneratedCertificate;
let ca: GeneratedCertificate;
let issued: GeneratedCertificate;

function toPfx(cert: GeneratedCertificate, password: string): Uint8Array {
  const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(cert.keyPem), [forge.pki.certificateFromPem(cert.certPem)], password, { algorithm: '3des' });
  return new Uint8Array(Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'));
}

function memoryFs(files: Record<string, Uint8Array | string>): StoreFs {
  return {
    readdir: async (dir) => { if (dir !== '/store') throw new Error('ENOENT'); return Object.keys(files); },
    readFile: async (p) => { const v = files[p.replace('/store/', '')]; if (v === undefined) throw new Error('ENOENT'); return typeof v === 'string' ? new Uint8Array(Buffer.from(v)) : v; },
  };
}

beforeAll(() => {
  alice = generateClientCertificate({ upn: 'alice@listener', now: NOW, keyPem: keyPem() });
  // A CA-signed one: the CA is just another self-signed certificate used as issuer.
  ca = generateCaCertificate({ commonName: 'Corp Test CA', now: NOW, keyPem: keyPem() });
  issued = generateClientCertificate({ upn: 'bob@corp', now: NOW, keyPem: keyPem(), issuer: { certPem: ca.certPem, keyPem: ca.keyPem } });
});

describe('thumbprints and facts', () => {
  it('the SHA-1 thumbprint is the same from PEM and DER and equals OpenSSL\'s fingerprint', () => {
    const x = new X509Certificate(alice.certPem);
    expect(alice.thumbprint).toBe(x.fingerprint.replace(/:/g, ''));
    expect(certificateThumbprint(certificateDer(alice.certPem))).toBe(alice.thumbprint);
    expect(certificateThumbprint(derToPem(certificateDer(alice.certPem)))).toBe(alice.thumbprint);
    expect(alice.thumbprint).toMatch(/^[0-9A-F]{40}$/);
  });

  it('a generated client certificate has EKU clientAuth, the UPN in the SAN and no DNS name', () => {
    const info = certificateInfo(alice.certPem);
    expect(info.upn).toBe('alice@listener');
    expect(info.dnsNames).toEqual([]);
    expect(info.extendedKeyUsage).toEqual([OID_EKU_CLIENT_AUTH]);
    expect(info.subject).toBe('CN=alice');
    expect(info.selfSigned).toBe(true);
    expect(info.notAfter.getTime() - NOW.getTime()).toBeGreaterThan(364 * 86_400_000);
    // OpenSSL reads the same UPN.
    expect(new X509Certificate(alice.certPem).subjectAltName ?? '').toContain('alice@listener');
  });

  it('refuses a bad UPN and non-certificates', () => {
    expect(() => generateClientCertificate({ upn: 'alice', keyPem: keyPem() })).toThrow(WsmanUsageError);
    expect(() => certificateThumbprint('hello')).toThrow(WsmanUsageError);
  });

  it('tls-server-end-point uses SHA-256 for SHA-256 (and SHA-1) signed certificates', () => {
    const cb = tlsServerEndPoint(alice.certPem);
    const expected = Buffer.concat([Buffer.from('tls-server-end-point:'), createHash('sha256').update(certificateDer(alice.certPem)).digest()]);
    expect(Buffer.from(cb).equals(expected)).toBe(true);
    expect(endPointHashFor('1.2.840.113549.1.1.5')).toBe('sha256');
    expect(endPointHashFor('1.2.840.113549.1.1.12')).toBe('sha384');
    expect(endPointHashFor('1.2.840.10045.4.3.4')).toBe('sha512');
  });
});

describe('loading and the store', () => {
  it('loads PEM (cert + key in one file) and PFX with its password', () => {
    const pem = loadPemCertificate(alice.certPem + alice.keyPem);
    expect(pem.thumbprint).toBe(alice.thumbprint);
    const pfx = loadPfxCertificate(toPfx(alice, 'pfx-pass'), 'pfx-pass', 'alice.pfx');
    expect(pfx.thumbprint).toBe(alice.thumbprint);
    expect(pfx.keyPem).toContain('PRIVATE KEY');
    expect(loadCertificateFile('alice.p12', toPfx(alice, ''), {}).thumbprint).toBe(alice.thumbprint);
  });

  it('a wrong PFX password is a clear error that does not repeat the password', () => {
    let err: unknown;
    try { loadPfxCertificate(toPfx(alice, 'right-pass'), 'WRONG-pass-9'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(WsmanUsageError);
    expect((err as Error).message).toMatch(/wrong password/);
    expect((err as Error).message).not.toContain('WRONG-pass-9');
  });

  it('finds a certificate by thumbprint among PEM (key inline or beside) and PFX files', async () => {
    const fs = memoryFs({
      'alice.pem': alice.certPem + alice.keyPem,
      'bob.crt': issued.certPem,
      'bob.key': issued.keyPem,
      'ca.pfx': toPfx(ca, 'pw'),
      'notes.txt': 'x',
    });
    expect((await findCertificateByThumbprint(alice.thumbprint.toLowerCase(), '/store', fs)).thumbprint).toBe(alice.thumbprint);
    expect((await findCertificateByThumbprint(issued.thumbprint, '/store', fs)).keyPem).toBe(issued.keyPem);
    const spaced = ca.thumbprint.replace(/(..)/g, '$1 ');
    expect((await findCertificateByThumbprint(spaced, '/store', fs, { password: 'pw' })).thumbprint).toBe(ca.thumbprint);
  });

  it('a thumbprint that matches nothing gives a clear error naming it', async () => {
    const fs = memoryFs({ 'alice.pem': alice.certPem + alice.keyPem });
    const missing = '0'.repeat(40);
    await expect(findCertificateByThumbprint(missing, '/store', fs)).rejects.toMatchObject({
      code: 'ERR_CERT_NOT_FOUND', message: expect.stringContaining(`no certificate with thumbprint ${missing} in /store (1 certificate looked at)`),
    });
    await expect(findCertificateByThumbprint(missing, '/nowhere', fs)).rejects.toMatchObject({ code: 'ERR_CERT_NOT_FOUND' });
    await expect(findCertificateByThumbprint('xyz', '/store', fs)).rejects.toMatchObject({ code: 'ERR_CERT_THUMBPRINT' });
    const noKey = memoryFs({ 'alice.pem': alice.certPem });
    await expect(findCertificateByThumbprint(alice.thumbprint, '/store', noKey)).rejects.toMatchObject({ code: 'ERR_CERT_NO_KEY' });
  });
});

describe('certificate mapping (listener)', () => {
  it('a certificate mapped by thumbprint is accepted; an unmapped one is not', () => {
    expect(mapClientCertificate(alice.certPem, [{ thumbprint: alice.thumbprint, user: 'alice' }], { now: NOW })).toMatchObject({ ok: true, user: 'alice' });
    expect(mapClientCertificate(alice.certPem, [{ thumbprint: issued.thumbprint, user: 'bob' }], { now: NOW })).toEqual({ ok: false, reason: 'unmapped' });
  });

  it('maps by issuer thumbprint + UPN subject, with wildcards, longest subject first', () => {
    const maps = [
      { issuer: ca.thumbprint, subject: '*@corp', user: 'corp-user' },
      { issuer: ca.thumbprint, subject: 'bob@corp', user: 'bob' },
    ];
    expect(mapClientCertificate(issued.certPem, maps, { now: NOW, issuer: ca.certPem })).toMatchObject({ ok: true, user: 'bob' });
    expect(mapClientCertificate(issued.certPem, maps.slice(0, 1), { now: NOW, issuer: ca.certPem })).toMatchObject({ ok: true, user: 'corp-user' });
  });

  it('an expired or not yet valid certificate is refused', () => {
    const maps = [{ thumbprint: alice.thumbprint, user: 'alice' }];
    expect(mapClientCertificate(alice.certPem, maps, { now: new Date('2030-01-01') })).toEqual({ ok: false, reason: 'expired' });
    expect(mapClientCertificate(alice.certPem, maps, { now: new Date('2020-01-01') })).toEqual({ ok: false, reason: 'not-yet-valid' });
  });

  it('a wrongly issued certificate (issuer did not sign it) is refused', () => {
    const maps = [{ issuer: alice.thumbprint, subject: 'bob@corp', user: 'bob' }];
    expect(mapClientCertificate(issued.certPem, maps, { now: NOW, issuer: alice.certPem })).toEqual({ ok: false, reason: 'bad-issuer-signature' });
    // Claiming the right CA without presenting it does not map either.
    expect(mapClientCertificate(issued.certPem, [{ issuer: ca.thumbprint, subject: 'bob@corp', user: 'bob' }], { now: NOW })).toEqual({ ok: false, reason: 'unmapped' });
  });
});
