/**
 * NTLM messages (MS-NLMP §2.2.1): NEGOTIATE, CHALLENGE, AUTHENTICATE, and AV_PAIR lists
 * (§2.2.2.1). Encode and decode side by side. Every decoder bounds-checks each field and throws
 * WsmanAuthError('ERR_AUTH_TOKEN') on malformed input; nothing here throws anything else.
 *
 * Fixed headers (all integers little-endian; a "field" is len u16, maxLen u16, offset u32):
 *   NEGOTIATE     "NTLMSSP\0" 1 | flags | DomainName | Workstation | [Version 8] | payload
 *   CHALLENGE     "NTLMSSP\0" 2 | TargetName | flags | ServerChallenge 8 | Reserved 8 | TargetInfo |
 *                 Version 8 | payload                                     (payload at 56)
 *   AUTHENTICATE  "NTLMSSP\0" 3 | LmChallengeResponse | NtChallengeResponse | DomainName | UserName |
 *                 Workstation | EncryptedRandomSessionKey | flags | Version 8 | MIC 16 | payload (at 88)
 */
import { WsmanAuthError } from '../../core/errors.js';
import { fromOem, fromUtf16le, oem, putU16, putU32, u16, u32, utf16le } from '../crypto/bytes.js';
import { AvId, NTLMSSP_SIGNATURE, NegotiateFlags } from './constants.js';

export interface AvPair {
  id: number;
  value: Uint8Array;
}

export interface NegotiateMessage {
  flags: number;
  domain: string;
  workstation: string;
  version?: Uint8Array;
}

export interface ChallengeMessage {
  flags: number;
  targetName: string;
  serverChallenge: Uint8Array;
  targetInfo: AvPair[];
  version?: Uint8Array;
}

export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Uint8Array;
  ntChallengeResponse: Uint8Array;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Uint8Array;
  version?: Uint8Array;
  /** 16 bytes when present; absent for clients that send no MIC. */
  mic?: Uint8Array;
}

function bad(what: string): WsmanAuthError {
  return new WsmanAuthError(`malformed NTLM message: ${what}`, 'ERR_AUTH_TOKEN');
}

/** The message type (1, 2, 3) of an NTLMSSP token, or undefined when it is not one. */
export function ntlmMessageType(b: Uint8Array): number | undefined {
  if (b.length < 12) return undefined;
  for (let i = 0; i < 8; i++) if (b[i] !== NTLMSSP_SIGNATURE[i]) return undefined;
  return u32(b, 8);
}

function checkHeader(b: Uint8Array, type: number, minLen: number): void {
  if (ntlmMessageType(b) !== type) throw bad(`expected message type ${type}`);
  if (b.length < minLen) throw bad('too short');
}

function field(b: Uint8Array, at: number, name: string): Uint8Array {
  const len = u16(b, at);
  const off = u32(b, at + 4);
  if (len === 0) return new Uint8Array(0);
  if (off + len > b.length || off < 8) throw bad(`${name} out of bounds`);
  return b.subarray(off, off + len);
}

function fieldOffset(b: Uint8Array, at: number): number | undefined {
  return u16(b, at) === 0 ? undefined : u32(b, at + 4);
}

const text = (flags: number, b: Uint8Array): string =>
  flags & NegotiateFlags.UNICODE ? fromUtf16le(b) : fromOem(b);
const bytes = (flags: number, s: string): Uint8Array =>
  flags & NegotiateFlags.UNICODE ? utf16le(s) : oem(s);

/** Write fixed header + payload fields; `fields` are [header offset, bytes] in payload order. */
function assemble(header: Uint8Array, fields: Array<[number, Uint8Array]>): Uint8Array {
  let total = header.length;
  for (const [, v] of fields) total += v.length;
  const out = new Uint8Array(total);
  out.set(header);
  let off = header.length;
  for (const [at, v] of fields) {
    putU16(out, at, v.length);
    putU16(out, at + 2, v.length);
    putU32(out, at + 4, off);
    out.set(v, off);
    off += v.length;
  }
  return out;
}

function start(size: number, type: number): Uint8Array {
  const h = new Uint8Array(size);
  h.set(NTLMSSP_SIGNATURE);
  putU32(h, 8, type);
  return h;
}

export function encodeNegotiate(m: NegotiateMessage): Uint8Array {
  const withVersion = (m.flags & NegotiateFlags.VERSION) !== 0 && m.version !== undefined;
  const h = start(withVersion ? 40 : 32, 1);
  putU32(h, 12, m.flags);
  if (withVersion && m.version) h.set(m.version.subarray(0, 8), 32);
  return assemble(h, [[16, oem(m.domain)], [24, oem(m.workstation)]]);
}

export function decodeNegotiate(b: Uint8Array): NegotiateMessage {
  checkHeader(b, 1, 16);
  const flags = u32(b, 12);
  const hasFields = b.length >= 32;
  const m: NegotiateMessage = {
    flags,
    domain: hasFields ? fromOem(field(b, 16, 'DomainName')) : '',
    workstation: hasFields ? fromOem(field(b, 24, 'Workstation')) : '',
  };
  if (flags & NegotiateFlags.VERSION && b.length >= 40) m.version = b.slice(32, 40);
  return m;
}

export function encodeChallenge(m: ChallengeMessage): Uint8Array {
  const h = start(56, 2);
  putU32(h, 20, m.flags);
  h.set(m.serverChallenge.subarray(0, 8), 24);
  if (m.version) h.set(m.version.subarray(0, 8), 48);
  return assemble(h, [[12, bytes(m.flags, m.targetName)], [40, encodeAvPairs(m.targetInfo)]]);
}

export function decodeChallenge(b: Uint8Array): ChallengeMessage {
  checkHeader(b, 2, 32);
  const flags = u32(b, 20);
  const m: ChallengeMessage = {
    flags,
    targetName: text(flags, field(b, 12, 'TargetName')),
    serverChallenge: b.slice(24, 32),
    targetInfo: b.length >= 48 ? decodeAvPairs(field(b, 40, 'TargetInfo')) : [],
  };
  const first = Math.min(fieldOffset(b, 12) ?? b.length, b.length >= 48 ? (fieldOffset(b, 40) ?? b.length) : b.length);
  if (flags & NegotiateFlags.VERSION && b.length >= 56 && first >= 56) m.version = b.slice(48, 56);
  return m;
}

/** Payload order as Windows writes it: domain, user, workstation, LM, NT, session key. */
export function encodeAuthenticate(m: AuthenticateMessage): Uint8Array {
  const size = m.mic ? 88 : m.version ? 72 : 64;
  const h = start(size, 3);
  putU32(h, 60, m.flags);
  if (m.version) h.set(m.version.subarray(0, 8), 64);
  if (m.mic) h.set(m.mic.subarray(0, 16), 72);
  return assemble(h, [
    [28, bytes(m.flags, m.domain)],
    [36, bytes(m.flags, m.user)],
    [44, bytes(m.flags, m.workstation)],
    [12, m.lmChallengeResponse],
    [20, m.ntChallengeResponse],
    [52, m.encryptedRandomSessionKey],
  ]);
}

/** Offset of the MIC in an AUTHENTICATE message (fixed by the spec). */
export const MIC_OFFSET = 72;

export function decodeAuthenticate(b: Uint8Array): AuthenticateMessage {
  checkHeader(b, 3, 64);
  const flags = u32(b, 60);
  const m: AuthenticateMessage = {
    flags,
    lmChallengeResponse: field(b, 12, 'LmChallengeResponse'),
    ntChallengeResponse: field(b, 20, 'NtChallengeResponse'),
    domain: text(flags, field(b, 28, 'DomainName')),
    user: text(flags, field(b, 36, 'UserName')),
    workstation: text(flags, field(b, 44, 'Workstation')),
    encryptedRandomSessionKey: field(b, 52, 'EncryptedRandomSessionKey'),
  };
  // The payload starts after the last fixed field present: 64, 72 (Version) or 88 (Version + MIC).
  let first = b.length;
  for (const at of [12, 20, 28, 36, 44, 52]) {
    const o = fieldOffset(b, at);
    if (o !== undefined) first = Math.min(first, o);
  }
  if (first >= 72) m.version = b.slice(64, 72);
  if (first >= 88) m.mic = b.slice(72, 88);
  return m;
}

export function encodeAvPairs(pairs: AvPair[]): Uint8Array {
  const list = pairs.filter((p) => p.id !== AvId.EOL);
  let n = 4;
  for (const p of list) n += 4 + p.value.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of list) {
    putU16(out, o, p.id);
    putU16(out, o + 2, p.value.length);
    out.set(p.value, o + 4);
    o += 4 + p.value.length;
  }
  return out; // ends with MsvAvEOL (4 zero bytes)
}

export function decodeAvPairs(b: Uint8Array): AvPair[] {
  const out: AvPair[] = [];
  let o = 0;
  while (o + 4 <= b.length) {
    const id = u16(b, o);
    const len = u16(b, o + 2);
    if (id === AvId.EOL) return out;
    if (o + 4 + len > b.length) throw bad('AV_PAIR out of bounds');
    out.push({ id, value: b.slice(o + 4, o + 4 + len) });
    o += 4 + len;
    if (out.length > 64) throw bad('too many AV_PAIRs');
  }
  if (b.length === 0) return out;
  throw bad('AV_PAIR list without MsvAvEOL');
}

export function avGet(pairs: AvPair[], id: number): Uint8Array | undefined {
  return pairs.find((p) => p.id === id)?.value;
}

/** Replace or append one AV pair (keeps the order of the others). */
export function avSet(pairs: AvPair[], id: number, value: Uint8Array): AvPair[] {
  const out = pairs.filter((p) => p.id !== AvId.EOL).map((p) => (p.id === id ? { id, value } : p));
  if (!out.some((p) => p.id === id)) out.push({ id, value });
  return out;
}
