/**
 * SOAP 1.2 faults with WS-Management detail (SOAP 1.2 §5.4, DSP0226 §14, MS-WSMV §2.2.4.43
 * WSManFaultType; protocol.md §7).
 *
 *   <s:Fault>
 *    <s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code>
 *    <s:Reason><s:Text xml:lang="en-US">…</s:Text></s:Reason>
 *    <s:Detail>
 *     <w:FaultDetail>…/faultDetail/UnexpectedSelectors</w:FaultDetail>
 *     <f:WSManFault Code="2150858793" Machine="host"><f:Message>…</f:Message></f:WSManFault>
 *    </s:Detail>
 *   </s:Fault>
 */
import { NS, Action, FAULT_DETAIL_PREFIX } from '../namespaces.js';
import { FAULT_CODES, type FaultFields } from '../errors.js';
import { type XmlElement, type XNode, el, child, childrenOf, attrCI } from '../xml.js';

export interface FaultBody {
  kind: 'Fault';
  fault: FaultFields;
}

const ADDRESSING_SUBCODES = new Set(['ActionNotSupported', 'DestinationUnreachable', 'InvalidMessageInformationHeader',
  'MessageInformationHeaderRequired', 'EndpointUnavailable']);
const ENUMERATION_SUBCODES = new Set(['InvalidEnumerationContext', 'TimedOut_Enumeration', 'CannotProcessFilter',
  'FilterDialectRequestedUnavailable', 'InvalidExpirationTime', 'UnsupportedExpirationType']);
const SUBCODE_PREFIX: Record<string, string> = { a: NS.a, n: NS.n, w: NS.w, wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd' };

/**
 * Subcodes are QNames in text; their prefixes are the sender's. We normalise to our conventional
 * prefix by local name, so `wsman:InternalError` (OMI) and `w:InternalError` (Windows) compare equal.
 */
export function normalizeSubcode(qname: string): string {
  const local = qname.slice(qname.indexOf(':') + 1).trim();
  if (ADDRESSING_SUBCODES.has(local)) return `a:${local}`;
  if (ENUMERATION_SUBCODES.has(local)) return `n:${local}`;
  if (local === 'FailedAuthentication') return `wsse:${local}`;
  return `w:${local}`;
}

function localOf(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1).trim();
}

function messageText(msg: XmlElement | undefined): { text?: string; provider?: FaultFields['providerFault'] } {
  if (!msg) return {};
  const pf = child(msg, NS.f, 'ProviderFault');
  if (!pf) return { text: msg.text.trim() };
  const inner = child(pf, NS.f, 'WSManFault');
  const innerMsg = inner ? messageText(child(inner, NS.f, 'Message')).text : pf.text.trim();
  const provider: NonNullable<FaultFields['providerFault']> = {};
  const name = attrCI(pf, 'provider');
  if (name !== undefined) provider.provider = name;
  const path = attrCI(pf, 'path');
  if (path !== undefined) provider.path = path;
  if (innerMsg !== undefined) provider.message = innerMsg;
  if (inner) {
    const code = attrCI(inner, 'Code')?.trim();
    if (code !== undefined && /^\d+$/.test(code)) provider.wsmanCode = Number(code);
    const machine = attrCI(inner, 'Machine');
    if (machine !== undefined) provider.machine = machine;
  }
  const outer = msg.text.trim();
  const out: { text?: string; provider?: FaultFields['providerFault'] } = { provider };
  const text = outer || innerMsg;
  if (text !== undefined) out.text = text;
  return out;
}

export function decodeFault(e: XmlElement): FaultBody {
  const code = child(e, NS.s, 'Code');
  const f: FaultFields = { soapCode: localOf(child(code, NS.s, 'Value')?.text ?? '') };
  const sub = child(child(code, NS.s, 'Subcode'), NS.s, 'Value');
  if (sub) f.subcode = normalizeSubcode(sub.text);
  const texts = childrenOf(child(e, NS.s, 'Reason'), NS.s, 'Text');
  const reason = texts[0]?.text;
  if (reason !== undefined) f.reason = reason.trim();
  const detail = child(e, NS.s, 'Detail');
  const fd = child(detail, NS.w, 'FaultDetail');
  if (fd) f.faultDetail = fd.text.trim();
  const wf = child(detail, NS.f, 'WSManFault');
  if (wf) {
    const c = attrCI(wf, 'Code');
    if (c !== undefined && /^\d+$/.test(c.trim())) f.wsmanCode = Number(c.trim());
    const m = attrCI(wf, 'Machine');
    if (m !== undefined) f.machine = m;
    const { text, provider } = messageText(child(wf, NS.f, 'Message'));
    if (text !== undefined) f.message = text;
    if (provider) f.providerFault = provider;
  } else {
    // WMI errors carry p:MSFT_WmiError instead (pywinrm's test data; winrb wmi_error_v2.xml).
    const wmi = detail?.children.find((c) => c.name === 'MSFT_WmiError');
    if (wmi) {
      const codeEl = wmi.children.find((c) => c.name === 'error_Code');
      if (codeEl && /^\d+$/.test(codeEl.text.trim())) f.wsmanCode = Number(codeEl.text.trim());
      const msg = wmi.children.find((c) => c.name === 'Message');
      if (msg) f.message = msg.text.trim();
    }
  }
  return { kind: 'Fault', fault: f };
}

export function encodeFault(b: FaultBody): XNode {
  const f = b.fault;
  let subValue: XNode | undefined;
  if (f.subcode !== undefined) {
    const prefix = f.subcode.slice(0, f.subcode.indexOf(':'));
    const uri = SUBCODE_PREFIX[prefix];
    subValue = el('s:Value', uri !== undefined ? { [`xmlns:${prefix}`]: uri } : null, f.subcode);
  }
  const soapValue = f.soapCode.includes(':') ? f.soapCode : `s:${f.soapCode}`;
  const pf = f.providerFault;
  // A nested WSManFault only when the provider fault had one (WsmSvc); plugins write plain text.
  const pfText = pf?.message ?? f.message ?? '';
  const inner = pf
    ? el('f:ProviderFault', { provider: pf.provider, path: pf.path },
      pf.wsmanCode !== undefined || pf.machine !== undefined
        ? el('f:WSManFault', { Code: pf.wsmanCode, Machine: pf.machine }, el('f:Message', null, pfText))
        : pfText)
    : f.message;
  const hasWsman = f.wsmanCode !== undefined || f.machine !== undefined || f.message !== undefined;
  return el('s:Fault', null,
    el('s:Code', null, el('s:Value', null, soapValue), subValue && el('s:Subcode', null, subValue)),
    el('s:Reason', null, el('s:Text', { 'xml:lang': 'en-US' }, f.reason ?? f.message ?? '')),
    (f.faultDetail !== undefined || hasWsman) && el('s:Detail', null,
      f.faultDetail !== undefined && el('w:FaultDetail', null, f.faultDetail),
      hasWsman && el('f:WSManFault', { Code: f.wsmanCode, Machine: f.machine }, inner !== undefined && el('f:Message', null, inner))));
}

/** The fault action for a subcode (`w:` → wsman fault, `a:` → addressing fault, …). */
export function faultAction(f: FaultFields): string {
  const prefix = f.subcode?.slice(0, f.subcode.indexOf(':'));
  if (prefix === 'a') return Action.AddressingFault;
  if (prefix === 'n') return Action.EnumerationFault;
  if (f.soapCode === 'MustUnderstand' || f.soapCode === 'VersionMismatch') return Action.SoapFault;
  return Action.WsmanFault;
}

/**
 * The fault Windows sends for a WinRM code, from the table in errors.ts. `detail` replaces the
 * message (Windows words its messages per case); the reason stays the table's.
 */
export function faultFromCode(wsmanCode: number, machine: string, detail?: string): FaultFields {
  const info = FAULT_CODES.get(wsmanCode);
  if (!info) {
    return { soapCode: 'Receiver', subcode: 'w:InternalError', reason: detail ?? 'Internal error. ', wsmanCode, machine, message: detail ?? 'Internal error. ' };
  }
  const f: FaultFields = { soapCode: info.soapCode, reason: info.reason, wsmanCode, machine, message: detail ?? info.reason };
  if (info.subcode) f.subcode = `${info.subcode[0]}:${info.subcode[1]}`;
  if (info.faultDetail) f.faultDetail = FAULT_DETAIL_PREFIX + info.faultDetail;
  return f;
}
