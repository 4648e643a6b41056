/**
 * NTLMv2 computations (MS-NLMP §3.3.2) and key derivation (§3.4.5). NTLMv1 is deliberately absent:
 * we never produce it and servers refuse it.
 */
import { concat, equalBytes, hmacMd5, le32, md5, utf16le, ascii } from '../crypto/bytes.js';
import { md4 } from '../crypto/md4.js';
import { rc4 } from '../crypto/rc4.js';
import { MAGIC, NegotiateFlags } from './constants.js';

/**
 * The NT hash (NTOWFv1): MD4 of the UTF-16LE password. This is what a users file stores so that a
 * listener can verify NTLM without keeping the password. Like Windows' `Get-ADReplAccount`'s NTHash.
 */
export function ntHash(password: string): Uint8Array {
  return md4(utf16le(password));
}

/** NTOWFv2 = HMAC_MD5(NT hash, UNICODE(Uppercase(user) + domain)); LMOWFv2 is the same value. */
export function ntowfv2(hash: Uint8Array, user: string, domain: string): Uint8Array {
  return hmacMd5(hash, utf16le(user.toUpperCase() + domain));
}

/** NTLMv2_CLIENT_CHALLENGE (§2.2.2.7): 1, 1, Z(6), TimeStamp, ChallengeFromClient, Z(4), AvPairs. */
export function clientChallengeBlob(timestamp: Uint8Array, clientChallenge: Uint8Array, avPairs: Uint8Array): Uint8Array {
  return concat(new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0]), timestamp, clientChallenge, new Uint8Array(4), avPairs);
}

export interface V2Response {
  /** NtChallengeResponse = NTProofStr || temp. */
  ntChallengeResponse: Uint8Array;
  ntProofStr: Uint8Array;
  sessionBaseKey: Uint8Array;
}

/**
 * ComputeResponse for NTLMv2: temp = blob || Z(4); NTProofStr = HMAC_MD5(key, ServerChallenge || temp);
 * SessionBaseKey = HMAC_MD5(key, NTProofStr).
 */
export function ntlmv2Response(responseKeyNT: Uint8Array, serverChallenge: Uint8Array, blob: Uint8Array): V2Response {
  const temp = concat(blob, new Uint8Array(4));
  const ntProofStr = hmacMd5(responseKeyNT, serverChallenge, temp);
  return {
    ntChallengeResponse: concat(ntProofStr, temp),
    ntProofStr,
    sessionBaseKey: hmacMd5(responseKeyNT, ntProofStr),
  };
}

/** LMv2 = HMAC_MD5(key, ServerChallenge || ClientChallenge) || ClientChallenge (24 bytes). */
export function lmv2Response(responseKeyLM: Uint8Array, serverChallenge: Uint8Array, clientChallenge: Uint8Array): Uint8Array {
  return concat(hmacMd5(responseKeyLM, serverChallenge, clientChallenge), clientChallenge);
}

/**
 * Server side check of an NtChallengeResponse: recompute NTProofStr from the client's own blob.
 * Returns the SessionBaseKey, or undefined when it does not match.
 */
export function verifyNtlmv2(responseKeyNT: Uint8Array, serverChallenge: Uint8Array, ntChallengeResponse: Uint8Array): Uint8Array | undefined {
  if (ntChallengeResponse.length < 48) return undefined;
  const proof = ntChallengeResponse.subarray(0, 16);
  const temp = ntChallengeResponse.subarray(16);
  const expected = hmacMd5(responseKeyNT, serverChallenge, temp);
  if (!equalBytes(proof, expected)) return undefined;
  return hmacMd5(responseKeyNT, expected);
}

/** KXKEY for NTLMv2 is the SessionBaseKey itself (§3.4.5.1). */
export function kxkey(sessionBaseKey: Uint8Array): Uint8Array {
  return sessionBaseKey;
}

/** With NEGOTIATE_KEY_EXCH the client's random key travels RC4-encrypted under KXKEY. */
export function encryptSessionKey(keyExchangeKey: Uint8Array, exportedSessionKey: Uint8Array): Uint8Array {
  return rc4(keyExchangeKey, exportedSessionKey);
}

/** SIGNKEY (§3.4.5.2), extended session security only. */
export function signKey(exportedSessionKey: Uint8Array, clientToServer: boolean): Uint8Array {
  return md5(exportedSessionKey, ascii(clientToServer ? MAGIC.clientSign : MAGIC.serverSign));
}

/** SEALKEY (§3.4.5.3), extended session security: 128, 56 or 40 bits of the session key. */
export function sealKey(exportedSessionKey: Uint8Array, flags: number, clientToServer: boolean): Uint8Array {
  let k = exportedSessionKey;
  if (!(flags & NegotiateFlags.N128)) k = k.subarray(0, flags & NegotiateFlags.N56 ? 7 : 5);
  return md5(k, ascii(clientToServer ? MAGIC.clientSeal : MAGIC.serverSeal));
}

/** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with MIC zeroed). */
export function computeMic(exportedSessionKey: Uint8Array, negotiate: Uint8Array, challenge: Uint8Array, authenticate: Uint8Array): Uint8Array {
  return hmacMd5(exportedSessionKey, negotiate, challenge, authenticate);
}

/**
 * MsvAvChannelBindings value: MD5 of a gss_channel_bindings_struct with no addresses and the
 * given application data (for TLS: `tls-server-end-point:` + certificate hash, RFC 5929).
 */
export function channelBindingsHash(applicationData: Uint8Array): Uint8Array {
  return md5(new Uint8Array(16), le32(applicationData.length), applicationData);
}
