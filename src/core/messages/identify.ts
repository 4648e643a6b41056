/**
 * Identify (DSP0226 §11, MS-WSMV §3.1.4.1.23; protocol.md §2). No Action header; the body alone
 * says what it is.
 *
 *   <wsmid:Identify/>
 *   <wsmid:IdentifyResponse>
 *    <wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>
 *    <wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>
 *    <wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>
 *    <wsmid:SecurityProfiles><wsmid:SecurityProfileName>…</wsmid:SecurityProfileName></wsmid:SecurityProfiles>
 *   </wsmid:IdentifyResponse>
 */
import { NS, NS_WSMID_MISPRINT } from '../namespaces.js';
import { type XmlElement, type XNode, el, child, childrenOf } from '../xml.js';

export interface IdentifyBody {
  kind: 'Identify';
}

/** Test-WSMan's answer. */
export interface IdentifyResponseBody {
  kind: 'IdentifyResponse';
  protocolVersion: string;
  productVendor: string;
  productVersion: string;
  /** Absent on unauthenticated answers. */
  securityProfiles?: string[];
}

export function isIdentifyNs(ns: string): boolean {
  return ns === NS.wsmid || ns === NS_WSMID_MISPRINT;
}

export function encodeIdentify(): XNode {
  return el('wsmid:Identify');
}

export function decodeIdentifyResponse(e: XmlElement): IdentifyResponseBody {
  const t = (name: string): string => (child(e, e.ns, name)?.text ?? '').trim();
  const body: IdentifyResponseBody = {
    kind: 'IdentifyResponse',
    protocolVersion: t('ProtocolVersion'),
    productVendor: t('ProductVendor'),
    productVersion: t('ProductVersion'),
  };
  const profiles = child(e, e.ns, 'SecurityProfiles');
  if (profiles) body.securityProfiles = childrenOf(profiles, e.ns, 'SecurityProfileName').map((p) => p.text.trim());
  return body;
}

export function encodeIdentifyResponse(b: IdentifyResponseBody): XNode {
  return el('wsmid:IdentifyResponse', null,
    el('wsmid:ProtocolVersion', null, b.protocolVersion),
    el('wsmid:ProductVendor', null, b.productVendor),
    el('wsmid:ProductVersion', null, b.productVersion),
    b.securityProfiles && el('wsmid:SecurityProfiles', null, ...b.securityProfiles.map((p) => el('wsmid:SecurityProfileName', null, p))));
}
