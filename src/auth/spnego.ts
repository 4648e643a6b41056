/**
 * SPNEGO tokens (RFC 4178 §4.2) in DER:
 *
 *   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech OID 1.3.6.1.5.5.2, NegotiationToken }
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *   NegTokenInit ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
 *                               mechToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *   NegTokenResp ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] OID OPTIONAL,
 *                               responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *
 * The mechListMIC signs the DER of MechTypeList (the SEQUENCE OF OID) as the initiator sent it.
 */
import { WsmanAuthError } from '../core/errors.js';
import { children, oid, oidToString, readTlv, tlv } from './der.js';

export const OID = {
  spnego: '1.3.6.1.5.5.2',
  ntlm: '1.3.6.1.4.1.311.2.2.10',
  kerberos: '1.2.840.113554.1.2.2',
  /** The "erroneous" Kerberos OID Windows sends first (MS-SPNG §3.2.5). */
  msKerberos: '1.2.840.48018.1.2.2',
} as const;

export const NegState = {
  acceptCompleted: 0,
  acceptIncomplete: 1,
  reject: 2,
  requestMic: 3,
} as const;

export interface NegTokenInit {
  kind: 'init';
  mechTypes: string[];
  /** DER of MechTypeList exactly as received (what mechListMIC covers). */
  mechTypesDer: Uint8Array;
  mechToken?: Uint8Array;
  mechListMIC?: Uint8Array;
}

export interface NegTokenResp {
  kind: 'resp';
  negState?: number;
  supportedMech?: string;
  responseToken?: Uint8Array;
  mechListMIC?: Uint8Array;
}

function bad(what: string): WsmanAuthError {
  return new WsmanAuthError(`malformed SPNEGO token: ${what}`, 'ERR_AUTH_TOKEN');
}

/** DER of a MechTypeList. */
export function encodeMechTypes(mechs: string[]): Uint8Array {
  return tlv(0x30, ...mechs.map(oid));
}

export function encodeNegTokenInit(init: { mechTypes: string[]; mechToken?: Uint8Array; mechListMIC?: Uint8Array }): Uint8Array {
  const fields = [tlv(0xa0, encodeMechTypes(init.mechTypes))];
  if (init.mechToken) fields.push(tlv(0xa2, tlv(0x04, init.mechToken)));
  if (init.mechListMIC) fields.push(tlv(0xa3, tlv(0x04, init.mechListMIC)));
  return tlv(0x60, oid(OID.spnego), tlv(0xa0, tlv(0x30, ...fields)));
}

export function encodeNegTokenResp(resp: Omit<NegTokenResp, 'kind'>): Uint8Array {
  const fields: Uint8Array[] = [];
  if (resp.negState !== undefined) fields.push(tlv(0xa0, tlv(0x0a, new Uint8Array([resp.negState]))));
  if (resp.supportedMech) fields.push(tlv(0xa1, oid(resp.supportedMech)));
  if (resp.responseToken) fields.push(tlv(0xa2, tlv(0x04, resp.responseToken)));
  if (resp.mechListMIC) fields.push(tlv(0xa3, tlv(0x04, resp.mechListMIC)));
  return tlv(0xa1, tlv(0x30, ...fields));
}

/** True when a token looks like SPNEGO (InitialContextToken or a bare NegotiationToken). */
export function isSpnego(b: Uint8Array): boolean {
  return b.length > 2 && (b[0] === 0x60 || b[0] === 0xa0 || b[0] === 0xa1);
}

/** Decode any SPNEGO token: an InitialContextToken (NegTokenInit) or a NegTokenResp. */
export function decodeSpnego(b: Uint8Array): NegTokenInit | NegTokenResp {
  let t = readTlv(b, 0);
  if (t.tag === 0x60) {
    const inner = children(t.value);
    const mech = inner[0];
    if (!mech || mech.tag !== 0x06 || oidToString(mech.value) !== OID.spnego) throw bad('not SPNEGO');
    const next = inner[1];
    if (!next) throw bad('missing NegotiationToken');
    t = { ...next, end: 0 };
  }
  if (t.tag === 0xa0) return decodeInit(t.value);
  if (t.tag === 0xa1) return decodeResp(t.value);
  throw bad(`unexpected tag 0x${t.tag.toString(16)}`);
}

function seqFields(value: Uint8Array): Map<number, Uint8Array> {
  const seq = readTlv(value, 0);
  if (seq.tag !== 0x30) throw bad('expected SEQUENCE');
  const out = new Map<number, Uint8Array>();
  for (const f of children(seq.value)) out.set(f.tag, f.value);
  return out;
}

function octets(v: Uint8Array | undefined): Uint8Array | undefined {
  if (!v) return undefined;
  const t = readTlv(v, 0);
  if (t.tag !== 0x04) throw bad('expected OCTET STRING');
  return t.value;
}

function decodeInit(value: Uint8Array): NegTokenInit {
  const f = seqFields(value);
  const mt = f.get(0xa0);
  if (!mt) throw bad('NegTokenInit without mechTypes');
  const list = readTlv(mt, 0);
  if (list.tag !== 0x30) throw bad('mechTypes is not a SEQUENCE');
  const mechTypes = children(list.value).map((o) => {
    if (o.tag !== 0x06) throw bad('mechType is not an OID');
    return oidToString(o.value);
  });
  const init: NegTokenInit = { kind: 'init', mechTypes, mechTypesDer: list.raw.slice() };
  const tok = octets(f.get(0xa2));
  if (tok) init.mechToken = tok;
  const mic = octets(f.get(0xa3));
  if (mic) init.mechListMIC = mic;
  return init;
}

function decodeResp(value: Uint8Array): NegTokenResp {
  const f = seqFields(value);
  const resp: NegTokenResp = { kind: 'resp' };
  const st = f.get(0xa0);
  if (st) {
    const e = readTlv(st, 0);
    if (e.tag !== 0x0a || e.value.length !== 1) throw bad('negState');
    resp.negState = e.value[0] as number;
  }
  const sm = f.get(0xa1);
  if (sm) {
    const o = readTlv(sm, 0);
    if (o.tag !== 0x06) throw bad('supportedMech');
    resp.supportedMech = oidToString(o.value);
  }
  const tok = octets(f.get(0xa2));
  if (tok) resp.responseToken = tok;
  const mic = octets(f.get(0xa3));
  if (mic) resp.mechListMIC = mic;
  return resp;
}
