/**
 * Certificate authentication end to end (protocol.md §9): our client presents a certificate and the
 * `…/https/mutual` header; the listener requests (not requires) a client certificate and maps it
 * by thumbprint or by issuer thumbprint + UPN. Unmapped, expired and wrongly issued certificates
 * get the same bare 401 as every other refusal.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { invokeCommand } from '../../src/client/invoke.js';
import { WsmanAuthError } from '../../src/core/errors.js';
import { generateCaCertificate, generateClientCertificate, type GeneratedCertificate } from '../../src/auth/certgen.js';
import { decodeMessage } from '../../src/core/index.js';
import { parseCertMapping } from '../../src/server/certauth.js';
import { startE2e, post, IDENTIFY, MUTUAL, type E2eListener } from './helpers.js';

let L: E2eListener;
let alice: GeneratedCertificate;
let stranger: GeneratedCertificate;
let expired: GeneratedCertificate;
let caA: GeneratedCertificate;
let caB: GeneratedCertificate;
let carol: GeneratedCertificate;
let dave: GeneratedCertificate;
let carolFromB: GeneratedCertificate;

beforeAll(async () => {
  alice = generateClientCertificate({ upn: 'alice@localhost' });
  stranger = generateClientCertificate({ upn: 'mallory@localhost' });
  expired = generateClientCertificate({ upn: 'alice@localhost', days: 1, now: new Date(Date.now() - 10 * 86_400_000) });
  caA = generateCaCertificate({ commonName: 'Lab CA' });
  caB = generateCaCertificate({ commonName: 'Lab CA' }); // same name, other key
  carol = generateClientCertificate({ upn: 'carol@localhost', issuer: caA });
  dave = generateClientCertificate({ upn: 'dave@localhost', issuer: caA });
  carolFromB = generateClientCertificate({ upn: 'carol@localhost', issuer: caB });
  L = await startE2e({
    authThrottle: false, // many refusals from 127.0.0.1 here; the backoff has its own test
    extraUsers: ['carol'],
    certMappings: [
      { thumbprint: alice.thumbprint, user: 'alice' },
      { thumbprint: expired.thumbprint, user: 'alice' },
      { issuer: caA.thumbprint, subject: 'carol@*', user: 'carol' },
    ],
  });
});
afterAll(async () => {
  await L?.stop();
});

function client(cert: GeneratedCertificate, chain: string[] = []): WsmanClient {
  return new WsmanClient({
    endpoint: { connectionUri: L.https! }, authentication: 'certificate', serverThumbprint: L.thumbprint,
    clientCertificate: { certPem: cert.certPem + chain.join(''), keyPem: cert.keyPem },
  });
}

async function runAs(cert: GeneratedCertificate, chain: string[] = []): Promise<string> {
  const c = client(cert, chain);
  try {
    const r = await invokeCommand(c, { command: 'echo by-certificate' });
    expect(r.exitCode).toBe(0);
    return r.stdout.toString();
  } finally {
    await c.close();
  }
}

async function refusal(cert: GeneratedCertificate, chain: string[] = []): Promise<unknown> {
  const c = client(cert, chain);
  try {
    return await invokeCommand(c, { command: 'echo should-not-run' }).catch((e: unknown) => e);
  } finally {
    await c.close();
  }
}

const userOfLastShell = (): string | undefined => {
  const line = [...L.lines].reverse().find((l) => l.includes('"action":"Command"') || l.includes('/Command"'));
  return line ? (JSON.parse(line) as { user?: string }).user : undefined;
};

describe('certificate authentication on the listener', () => {
  it('accepts a certificate mapped by thumbprint and runs the command as the mapped user', async () => {
    expect(await runAs(alice)).toBe('by-certificate\n');
    const ok = L.lines.filter((l) => l.includes('"status":200')).map((l) => JSON.parse(l) as { user?: string });
    expect(ok.at(-1)?.user).toBe('alice');
    expect(userOfLastShell() ?? 'alice').toBe('alice');
  });

  it('accepts a certificate mapped by issuer thumbprint + UPN (chain sent by the client)', async () => {
    expect(await runAs(carol, [caA.certPem])).toBe('by-certificate\n');
    const ok = L.lines.filter((l) => l.includes('"status":200')).map((l) => JSON.parse(l) as { user?: string });
    expect(ok.at(-1)?.user).toBe('carol');
  });

  const refused: [string, () => [GeneratedCertificate, string[]], string][] = [
    ['an unmapped certificate', () => [stranger, []], 'unmapped'],
    ['an expired certificate (mapped by thumbprint)', () => [expired, []], 'expired'],
    ['a certificate of the right CA whose UPN matches no mapping', () => [dave, [caA.certPem]], 'unmapped'],
    ['a certificate issued by another CA of the same name', () => [carolFromB, [caB.certPem]], 'unmapped'],
    ['a certificate claiming the mapped CA but not signed by it', () => [carolFromB, [caA.certPem]], 'bad-issuer-signature'],
  ];
  for (const [name, pick, why] of refused) {
    it(`refuses ${name} with 401 (WsmanAuthError), running nothing`, async () => {
      const before = L.lines.length;
      const [cert, chain] = pick();
      const err = await refusal(cert, chain);
      expect(err).toBeInstanceOf(WsmanAuthError);
      expect((err as Error).message).toMatch(/401/);
      const after = L.lines.slice(before).map((l) => JSON.parse(l) as { status: number; reason?: string; action?: string });
      // The cause is in the listener's log only.
      expect(after.some((l) => l.status === 401 && l.reason === `client certificate refused (${why})`)).toBe(true);
      expect(after.some((l) => l.status === 200)).toBe(false);
    });
  }

  it('answers every certificate refusal with the same bare 401 (no body, no hint of the cause)', async () => {
    const replies = [];
    for (const c of [stranger, expired, carolFromB]) {
      replies.push(await post(L.https!, IDENTIFY, { Authorization: MUTUAL }, false, { cert: c.certPem, key: c.keyPem }));
    }
    replies.push(await post(L.https!, IDENTIFY, { Authorization: MUTUAL })); // no certificate at all
    for (const r of replies) {
      expect(r.status).toBe(401);
      expect(r.body.length).toBe(0);
      expect(r.headers['www-authenticate']).toEqual(replies[0]!.headers['www-authenticate']);
    }
  });

  it('refuses the mutual header on plain HTTP, even with nothing else wrong', async () => {
    const r = await post(L.http!, IDENTIFY, { Authorization: MUTUAL });
    expect(r.status).toBe(401);
  });

  it('advertises https/mutual in an authenticated Identify over HTTPS only', async () => {
    const https = await post(L.https!, IDENTIFY, { Authorization: MUTUAL }, false, { cert: alice.certPem, key: alice.keyPem });
    expect(https.status).toBe(200);
    const m = decodeMessage(https.body);
    expect(m.body.kind === 'IdentifyResponse' && m.body.securityProfiles).toContain(MUTUAL);
    const basic = 'Basic ' + Buffer.from('alice:secret').toString('base64');
    const overHttps = decodeMessage((await post(L.https!, IDENTIFY, { Authorization: basic })).body);
    expect(overHttps.body.kind === 'IdentifyResponse' && overHttps.body.securityProfiles).toContain(MUTUAL);
  });

  it('does not ask for a client certificate when no mapping is configured (HTTPS works without one)', async () => {
    const plain = await startE2e({ httpPort: null, allowUnencrypted: false });
    try {
      const basic = 'Basic ' + Buffer.from('alice:secret').toString('base64');
      const r = await post(plain.https!, IDENTIFY, { Authorization: basic });
      expect(r.status).toBe(200);
      const m = decodeMessage(r.body);
      expect(m.body.kind === 'IdentifyResponse' && m.body.securityProfiles).not.toContain(MUTUAL);
      const mutual = await post(plain.https!, IDENTIFY, { Authorization: MUTUAL }, false, { cert: alice.certPem, key: alice.keyPem });
      expect(mutual.status).toBe(401);
    } finally {
      await plain.stop();
    }
  });
});

describe('--map-cert and --map-cert-issuer', () => {
  it('parse into thumbprint and issuer + subject mappings; bad input is a clear error', () => {
    const t = 'ab:cd'.replace(':', '') + '0'.repeat(36);
    expect(parseCertMapping(`${t}=alice`, 'thumbprint')).toEqual({ user: 'alice', thumbprint: t.toUpperCase() });
    expect(parseCertMapping(`${t}=carol`, 'issuer')).toEqual({ user: 'carol', issuer: t.toUpperCase(), subject: 'carol@*' });
    expect(parseCertMapping(`${t}:*@example.com=dave`, 'issuer')).toEqual({ user: 'dave', issuer: t.toUpperCase(), subject: '*@example.com' });
    expect(() => parseCertMapping('1234=alice', 'thumbprint')).toThrow(/not a SHA-1 thumbprint/);
    expect(() => parseCertMapping(`${t}`, 'thumbprint')).toThrow(/--map-cert THUMBPRINT=USER/);
  });
});
