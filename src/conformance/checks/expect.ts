/** Small judgements shared by the checks: is this reply the fault the spec asks for? */
import type { Reply } from '../context.js';
import { type Outcome, type Profile, pass, fail } from '../types.js';

export interface FaultExpectation {
  /** Acceptable HTTP statuses (default: SOAP 1.2's HTTP binding, 400 or 500 for Sender, 500 otherwise). */
  status?: number[];
  /** Acceptable subcodes, normalised (`w:InvalidSelectors`, `a:ActionNotSupported`). */
  subcode?: string[];
  /** Acceptable SOAP code local names (Sender, Receiver, MustUnderstand). */
  soapCode?: string[];
  /** Acceptable WSManFault codes (MS-WSMV: judged under the `winrm` profile only). */
  wsmanCode?: number[];
}

export function describeReply(r: Reply): string {
  const b = r.message?.body;
  if (b?.kind === 'Fault') {
    const f = b.fault;
    return `HTTP ${r.status} fault ${f.soapCode}/${f.subcode ?? '-'} code ${f.wsmanCode ?? '-'}`;
  }
  if (r.decodeError) return `HTTP ${r.status}, body not an envelope (${r.decodeError.code})`;
  return `HTTP ${r.status}${b ? ` ${b.kind}` : ''}`;
}

/**
 * Pass when the reply is a SOAP fault matching every given expectation. The HTTP status is judged
 * apart from the fault (SOAP 1.2 Part 2 §7.5.2.2: Sender faults may come with 400, the others with
 * 500), and a fault sent with HTTP 200 is a defect of its own.
 */
export function expectFault(r: Reply, e: FaultExpectation, profile: Profile = 'winrm'): Outcome {
  const b = r.message?.body;
  if (b?.kind !== 'Fault') return fail(`expected a SOAP fault, got ${describeReply(r)}`);
  const f = b.fault;
  if (r.status === 200) return fail(`a fault (${f.soapCode}/${f.subcode ?? '-'}) sent with HTTP 200; SOAP 1.2's HTTP binding wants 400 or 500`);
  const statuses = e.status ?? (f.soapCode === 'Sender' ? [400, 500] : [500]);
  if (!statuses.includes(r.status)) return fail(`HTTP ${r.status} for a ${f.soapCode} fault, expected ${statuses.join(' or ')}`);
  if (e.soapCode && !e.soapCode.includes(f.soapCode)) return fail(`SOAP code ${f.soapCode}, expected ${e.soapCode.join(' or ')}`);
  if (e.subcode && (f.subcode === undefined || !e.subcode.includes(f.subcode))) return fail(`subcode ${f.subcode ?? '(none)'}, expected ${e.subcode.join(' or ')}`);
  if (profile === 'winrm' && e.wsmanCode && (f.wsmanCode === undefined || !e.wsmanCode.includes(f.wsmanCode))) {
    return fail(`WSManFault code ${f.wsmanCode ?? '(none)'}, expected ${e.wsmanCode.join(' or ')}`);
  }
  return pass(describeReply(r));
}

/** Pass when the reply is HTTP 200 with the expected body kind. */
export function expectOk(r: Reply, kind?: string): Outcome {
  if (r.status !== 200) return fail(`expected HTTP 200, got ${describeReply(r)}`);
  if (!r.message) return fail(`HTTP 200 but the body is not an envelope${r.decodeError ? ` (${r.decodeError.message})` : ''}`);
  if (kind && r.message.body.kind !== kind) return fail(`expected ${kind}, got ${r.message.body.kind}`);
  return pass();
}
