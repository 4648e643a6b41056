/**
 * The session key exchange for SecureString (MS-PSRP 2.2.2.3-2.2.2.5): the client sends its RSA
 * public key (a CAPI PUBLICKEYBLOB, base64); the server answers with the AES session key encrypted
 * to it; the server may ask for the key first with PUBLIC_KEY_REQUEST.
 */
import { bag, Reader } from './common.js';
import type { Codec } from './types.js';

/** 2.2.2.3 PUBLIC_KEY: `<Obj RefId="0"><MS><S N="PublicKey">BgIAAACkAABSU0Ex…</S></MS></Obj>` */
export interface PublicKey {
  type: 'PUBLIC_KEY';
  /** base64 of the PUBLICKEYBLOB. */
  publicKey: string;
}
export const publicKey: Codec<PublicKey> = {
  type: 'PUBLIC_KEY',
  encode: (m) => bag([['PublicKey', m.publicKey]]),
  decode: (v) => ({ type: 'PUBLIC_KEY', publicKey: new Reader('PUBLIC_KEY', v).str('PublicKey') }),
};

/** 2.2.2.4 ENCRYPTED_SESSION_KEY: `<Obj RefId="0"><MS><S N="EncryptedSessionKey">AQIAABBmAAAA…</S></MS></Obj>` */
export interface EncryptedSessionKey {
  type: 'ENCRYPTED_SESSION_KEY';
  /** base64 of the SIMPLEBLOB holding the encrypted AES-256 key. */
  encryptedSessionKey: string;
}
export const encryptedSessionKey: Codec<EncryptedSessionKey> = {
  type: 'ENCRYPTED_SESSION_KEY',
  encode: (m) => bag([['EncryptedSessionKey', m.encryptedSessionKey]]),
  decode: (v) => ({ type: 'ENCRYPTED_SESSION_KEY', encryptedSessionKey: new Reader('ENCRYPTED_SESSION_KEY', v).str('EncryptedSessionKey') }),
};

/** 2.2.2.5 PUBLIC_KEY_REQUEST: an empty string, `<S />`. */
export interface PublicKeyRequest {
  type: 'PUBLIC_KEY_REQUEST';
}
export const publicKeyRequest: Codec<PublicKeyRequest> = {
  type: 'PUBLIC_KEY_REQUEST',
  encode: () => '',
  decode: () => ({ type: 'PUBLIC_KEY_REQUEST' }),
};
