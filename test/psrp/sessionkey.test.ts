/**
 * The session key exchange and SecureString: our PUBLICKEYBLOB and SIMPLEBLOB handling round-trip
 * with a key encrypted the way Windows does (RSA PKCS#1 v1.5 to our key, little-endian); against
 * a real `pwsh -s` the pool exchanges keys and a SecureString argument arrives as the same text.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecureString, encryptSecureString, SessionKeyExchange } from '../../src/client/psrp/sessionkey.js';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { WsmanError } from '../../src/core/errors.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';

const env = { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };

/** What the server does with our PUBLICKEYBLOB: encrypt an AES-256 key to it, as a SIMPLEBLOB. */
function serverSide(blob: string, key: Buffer): string {
  const b = Buffer.from(blob, 'base64');
  expect([...b.subarray(0, 12)]).toEqual([6, 2, 0, 0, 0, 0xa4, 0, 0, 0x52, 0x53, 0x41, 0x31]);
  const n = Buffer.from(b.subarray(20)).reverse();
  const pub = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: Buffer.from([1, 0, 1]).toString('base64url') }, format: 'jwk' });
  const enc = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, key);
  const head = Buffer.from([1, 2, 0, 0, 0x10, 0x66, 0, 0, 0, 0xa4, 0, 0]);
  return Buffer.concat([head, Buffer.from(enc).reverse()]).toString('base64');
}

describe('SessionKeyExchange', () => {
  it('sends a 2048-bit PUBLICKEYBLOB and decrypts the session key the server encrypted to it', () => {
    const kx = new SessionKeyExchange();
    const key = randomBytes(32);
    expect(kx.sessionKey(serverSide(kx.publicKeyBlob(), key))).toEqual(key);
    expect(Buffer.from(kx.publicKeyBlob(), 'base64')).toHaveLength(20 + 256);
  });

  it('a blob for another key or of another kind is a typed error', () => {
    const kx = new SessionKeyExchange();
    const other = new SessionKeyExchange();
    expect(() => kx.sessionKey(serverSide(other.publicKeyBlob(), randomBytes(32)))).toThrow(WsmanError);
    expect(() => kx.sessionKey(Buffer.from('not a blob').toString('base64'))).toThrow(WsmanError);
  });

  it('SecureString payloads: AES-256-CBC of UTF-16LE, zero IV', () => {
    const key = randomBytes(32);
    const payload = encryptSecureString(key, 'Secr3t! ünïcode');
    expect(Buffer.from(payload, 'base64').length % 16).toBe(0);
    expect(decryptSecureString(key, payload)).toBe('Secr3t! ünïcode');
  });
});

describe.skipIf(!PWSH)(`SecureString against pwsh -s${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('exchangeKey() then a SecureString argument reaches the script as a SecureString with our text', async () => {
    const pool = await RunspacePool.open({ outOfProcess: { executable: PWSH!, env } });
    try {
      await pool.exchangeKey();
      await pool.exchangeKey(); // again: harmless, no second exchange
      const out = await PowerShell.create(pool)
        .addScript('param($s) $s.GetType().Name; [System.Net.NetworkCredential]::new("", $s).Password')
        .addArgument(pool.secureString('Secr3t!pw'))
        .invoke();
      expect(out).toEqual(['SecureString', 'Secr3t!pw']);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
