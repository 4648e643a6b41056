/**
 * The session key exchange for SecureString (MS-PSRP 3.1.5.4.?; PUBLIC_KEY / ENCRYPTED_SESSION_KEY):
 * the client makes an RSA key pair, sends its public key as a CAPI PUBLICKEYBLOB, and decrypts the
 * AES-256 session key the server answers as a SIMPLEBLOB (RSA PKCS#1 v1.5, little-endian). A
 * SecureString then travels as `<SS>` holding the UTF-16LE text encrypted with AES-256-CBC, zero IV,
 * PKCS#7 padding, as PowerShell's PSRemotingCryptoHelper does.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync } from 'node:crypto';
import { WsmanError } from '../../core/errors.js';
import type { ClientRunspacePool } from '../../psrp/pool.js';
import type { TypedMessage, UnknownMessage } from '../../psrp/messages/index.js';

const CALG_RSA_KEYX = 0xa400;
const CALG_AES_256 = 0x6610;

const b64uToBigInt = (s: string): bigint => BigInt(`0x${Buffer.from(s, 'base64url').toString('hex') || '0'}`);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** The client's half of the exchange: an RSA-2048 key pair. */
export class SessionKeyExchange {
  private readonly n: bigint;
  private readonly d: bigint;
  private readonly modulus: Buffer;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    const jwk = privateKey.export({ format: 'jwk' });
    this.n = b64uToBigInt(jwk.n!);
    this.d = b64uToBigInt(jwk.d!);
    this.modulus = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
  }

  /** The PUBLIC_KEY message's PublicKey: base64 of the PUBLICKEYBLOB. */
  publicKeyBlob(): string {
    const head = Buffer.alloc(20);
    head.writeUInt8(0x06, 0); // PUBLICKEYBLOB
    head.writeUInt8(0x02, 1); // CUR_BLOB_VERSION
    head.writeUInt32LE(CALG_RSA_KEYX, 4);
    head.write('RSA1', 8, 'latin1');
    head.writeUInt32LE(this.modulus.length * 8, 12);
    head.writeUInt32LE(65537, 16);
    return Buffer.concat([head, Buffer.from(this.modulus).reverse()]).toString('base64');
  }

  /** The AES-256 key out of ENCRYPTED_SESSION_KEY's EncryptedSessionKey (base64 SIMPLEBLOB). */
  sessionKey(encryptedSessionKey: string): Buffer {
    const blob = Buffer.from(encryptedSessionKey, 'base64');
    if (blob.length < 12 + 16 || blob[0] !== 0x01 || blob.readUInt32LE(4) !== CALG_AES_256 || blob.readUInt32LE(8) !== CALG_RSA_KEYX) {
      throw new WsmanError('ERR_PSRP_SESSION_KEY', 'the server\'s session key is not an AES-256 SIMPLEBLOB for our RSA key');
    }
    const c = BigInt(`0x${Buffer.from(blob.subarray(12)).reverse().toString('hex')}`);
    if (c >= this.n) throw new WsmanError('ERR_PSRP_SESSION_KEY', 'the server\'s session key was not encrypted to our RSA key');
    const k = this.modulus.length;
    const em = Buffer.from(modPow(c, this.d, this.n).toString(16).padStart(k * 2, '0'), 'hex');
    const sep = em.indexOf(0, 2);
    if (em[0] !== 0 || em[1] !== 2 || sep < 10 || k - sep - 1 !== 32) throw new WsmanError('ERR_PSRP_SESSION_KEY', 'the server\'s session key does not decrypt with our RSA key');
    return em.subarray(sep + 1);
  }

}

/** A SecureString's `<SS>` payload: base64 of AES-256-CBC(UTF-16LE text), zero IV. */
export function encryptSecureString(key: Buffer, text: string): string {
  const c = createCipheriv('aes-256-cbc', key, Buffer.alloc(16));
  return Buffer.concat([c.update(Buffer.from(text, 'utf16le')), c.final()]).toString('base64');
}

/** The text of a SecureString's `<SS>` payload. */
export function decryptSecureString(key: Buffer, payload: string): string {
  const d = createDecipheriv('aes-256-cbc', key, Buffer.alloc(16));
  return Buffer.concat([d.update(Buffer.from(payload, 'base64')), d.final()]).toString('utf16le');
}

/**
 * Run the exchange on a pool: send PUBLIC_KEY, wait for ENCRYPTED_SESSION_KEY (`next` gives the
 * pool-level messages), return the session key. PowerShell does this before it sends the first
 * SecureString.
 */
export async function exchangeSessionKey(pool: ClientRunspacePool, flush: () => Promise<void>, next: () => Promise<TypedMessage | UnknownMessage>): Promise<Buffer> {
  const kx = new SessionKeyExchange();
  pool.sendPublicKey(kx.publicKeyBlob());
  await flush();
  for (;;) {
    const m = await next();
    if (m.type === 'ENCRYPTED_SESSION_KEY') return kx.sessionKey(m.encryptedSessionKey);
  }
}
