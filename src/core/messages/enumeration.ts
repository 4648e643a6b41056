/**
 * WS-Enumeration with the WS-Management extensions (DSP0226 §8, MS-WSMV §3.1.4.x; protocol.md §5).
 *
 *   <n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>
 *    <w:Filter Dialect="…/SelectorFilter"><w:SelectorSet><w:Selector Name="ShellId">…</w:Selector></w:SelectorSet></w:Filter>
 *   </n:Enumerate>
 *   <n:EnumerateResponse><n:EnumerationContext>…</n:EnumerationContext><w:Items>…</w:Items><w:EndOfSequence/></n:EnumerateResponse>
 *   <n:Pull><n:EnumerationContext>…</n:EnumerationContext><n:MaxElements>5</n:MaxElements></n:Pull>
 *   <n:PullResponse><n:EnumerationContext>…</n:EnumerationContext><n:Items>…</n:Items><n:EndOfSequence/></n:PullResponse>
 *   <n:Release><n:EnumerationContext>…</n:EnumerationContext></n:Release>
 *
 * Filters besides the SelectorFilter: a text filter (WQL, `w:Filter Dialect="…/WQL"`), and the
 * CIM binding's association filter (DSP0227 §8.2; winrm.cmd `-dialect:association`):
 *   <w:Filter Dialect="…/cimbinding/associationFilter"><b:AssociatedInstances>
 *    <b:Object><a:Address>…</a:Address><a:ReferenceParameters><w:ResourceURI>…</w:ResourceURI>
 *     <w:SelectorSet>…</w:SelectorSet></a:ReferenceParameters></b:Object>
 *    <b:ResultClassName>…</b:ResultClassName></b:AssociatedInstances></w:Filter>
 */
import { NS, ANONYMOUS } from '../namespaces.js';
import { type XmlElement, type XNode, el, child, attrCI, isEl } from '../xml.js';
import { decodeSelectorSet, encodeSelectorSet } from '../envelope.js';
import { parseIntField } from './common.js';
import { type ShellFields, decodeShell, encodeShell, type CommandItem, decodeCommandItem, encodeCommandItem } from './shell.js';

/** An enumerated item we model, or any other element kept as parsed (decode only). */
export type EnumerationItem =
  | { kind: 'Shell'; shell: ShellFields }
  | CommandItem
  | { kind: 'Unknown'; element: XmlElement }
  /** Any other item, already built (a listener's CIM instances); encode only. */
  | { kind: 'Raw'; node: XNode };

export interface EnumerateBody {
  kind: 'Enumerate';
  /** `w:OptimizeEnumeration`: return the first items with the response. */
  optimize?: boolean;
  maxElements?: number;
  /** `w:Filter` dialect (the SelectorFilter for a shell's commands). */
  filterDialect?: string;
  /** Selectors of a SelectorFilter. */
  filterSelectors?: Record<string, string>;
  /** `w:EnumerationMode` (EnumerateEPR, EnumerateObjectAndEPR). */
  enumerationMode?: string;
  /** The text of a text filter (a WQL query), when the filter has no SelectorSet. */
  filterText?: string;
  /** An association filter (dialect ASSOCIATION_FILTER_DIALECT). */
  association?: AssociationFilter;
}

/** The WQL filter dialect (MS-WSMV §2.2.4.x; winrm.cmd `-filter` with `-dialect:wql`, the default). */
export const WQL_DIALECT = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';
/** The CIM binding's association filter dialect (DSP0227 §8.2). */
export const ASSOCIATION_FILTER_DIALECT = 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter';

/** The instance an association filter starts from: an endpoint reference. */
export interface InstanceReference {
  /** Defaults to the anonymous address, as winrm.cmd writes. */
  address?: string;
  resourceUri: string;
  selectors?: Record<string, string>;
}

/**
 * `b:AssociatedInstances` (Get-CimAssociatedInstance; winrm.cmd `-dialect:association`) or
 * `b:AssociationInstances` (the association objects themselves, "references"; winrm.cmd
 * `-associations`).
 */
export interface AssociationFilter {
  kind: 'AssociatedInstances' | 'AssociationInstances';
  object: InstanceReference;
  associationClassName?: string;
  role?: string;
  resultClassName?: string;
  resultRole?: string;
}

export function encodeInstanceReference(r: InstanceReference, name: string): XNode {
  return el(name, null,
    el('a:Address', null, r.address ?? ANONYMOUS),
    el('a:ReferenceParameters', null,
      el('w:ResourceURI', null, r.resourceUri),
      r.selectors && Object.keys(r.selectors).length > 0 && encodeSelectorSet(r.selectors)));
}

export function decodeInstanceReference(e: XmlElement): InstanceReference {
  const rp = child(e, NS.a, 'ReferenceParameters');
  const r: InstanceReference = { resourceUri: child(rp, NS.w, 'ResourceURI')?.text.trim() ?? '' };
  const address = child(e, NS.a, 'Address')?.text.trim();
  if (address !== undefined) r.address = address;
  const set = child(rp, NS.w, 'SelectorSet');
  if (set) r.selectors = decodeSelectorSet(set);
  return r;
}

function encodeAssociation(f: AssociationFilter): XNode {
  const opt = (name: string, v: string | undefined): XNode | undefined => (v === undefined ? undefined : el(`b:${name}`, null, v));
  return el(`b:${f.kind}`, null,
    encodeInstanceReference(f.object, 'b:Object'),
    opt('AssociationClassName', f.associationClassName),
    opt('Role', f.role),
    opt('ResultClassName', f.resultClassName),
    opt('ResultRole', f.resultRole));
}

function decodeAssociation(e: XmlElement): AssociationFilter {
  const f: AssociationFilter = { kind: e.name === 'AssociationInstances' ? 'AssociationInstances' : 'AssociatedInstances',
    object: decodeInstanceReference(child(e, NS.b, 'Object') ?? e) };
  for (const [key, name] of [['associationClassName', 'AssociationClassName'], ['role', 'Role'], ['resultClassName', 'ResultClassName'], ['resultRole', 'ResultRole']] as const) {
    const v = child(e, NS.b, name)?.text.trim();
    if (v !== undefined) f[key] = v;
  }
  return f;
}

export interface EnumerateResponseBody {
  kind: 'EnumerateResponse';
  /** Empty string when Windows returned everything at once. */
  context: string;
  items?: EnumerationItem[];
  endOfSequence?: boolean;
}

export interface PullBody {
  kind: 'Pull';
  context: string;
  maxElements?: number;
}

export interface PullResponseBody {
  kind: 'PullResponse';
  context?: string;
  items: EnumerationItem[];
  endOfSequence?: boolean;
}

export interface ReleaseBody {
  kind: 'Release';
  context: string;
}

function decodeItems(items: XmlElement | undefined): EnumerationItem[] {
  if (!items) return [];
  return items.children.map((c): EnumerationItem => {
    if (isEl(c, NS.rsp, 'Shell')) return { kind: 'Shell', shell: decodeShell(c) };
    if (isEl(c, NS.rsp, 'Command')) return decodeCommandItem(c);
    return { kind: 'Unknown', element: c };
  });
}

function encodeItems(name: string, items: EnumerationItem[]): XNode {
  return el(name, null, ...items.map((i) => {
    if (i.kind === 'Shell') return encodeShell(i.shell);
    if (i.kind === 'Command') return encodeCommandItem(i);
    if (i.kind === 'Raw') return i.node;
    return undefined; // unknown items are decode-only
  }));
}

export function decodeEnumerate(e: XmlElement): EnumerateBody {
  const b: EnumerateBody = { kind: 'Enumerate' };
  if (child(e, NS.w, 'OptimizeEnumeration')) b.optimize = true;
  const max = child(e, NS.w, 'MaxElements');
  if (max) b.maxElements = parseIntField(max.text, 'MaxElements');
  const mode = child(e, NS.w, 'EnumerationMode');
  if (mode) b.enumerationMode = mode.text.trim();
  const filter = child(e, NS.w, 'Filter');
  if (filter) {
    const dialect = attrCI(filter, 'Dialect');
    if (dialect !== undefined) b.filterDialect = dialect;
    const set = child(filter, NS.w, 'SelectorSet');
    const assoc = child(filter, NS.b, 'AssociatedInstances') ?? child(filter, NS.b, 'AssociationInstances');
    if (set) b.filterSelectors = decodeSelectorSet(set);
    else if (assoc) b.association = decodeAssociation(assoc);
    else if (filter.children.length === 0 && filter.text.trim() !== '') b.filterText = filter.text.trim();
  }
  return b;
}

export function encodeEnumerate(b: EnumerateBody): XNode {
  return el('n:Enumerate', null,
    b.optimize && el('w:OptimizeEnumeration'),
    b.maxElements !== undefined && el('w:MaxElements', null, String(b.maxElements)),
    b.enumerationMode !== undefined && el('w:EnumerationMode', null, b.enumerationMode),
    (b.filterDialect !== undefined || b.filterSelectors !== undefined || b.filterText !== undefined || b.association !== undefined) &&
      el('w:Filter', { Dialect: b.filterDialect ?? (b.association ? ASSOCIATION_FILTER_DIALECT : b.filterText !== undefined ? WQL_DIALECT : undefined) },
        b.filterSelectors ? encodeSelectorSet(b.filterSelectors) : b.association ? encodeAssociation(b.association) : b.filterText));
}

export function decodeEnumerateResponse(e: XmlElement): EnumerateResponseBody {
  const b: EnumerateResponseBody = { kind: 'EnumerateResponse', context: child(e, NS.n, 'EnumerationContext')?.text.trim() ?? '' };
  const items = child(e, NS.w, 'Items') ?? child(e, NS.n, 'Items');
  if (items) b.items = decodeItems(items);
  if (child(e, NS.w, 'EndOfSequence') ?? child(e, NS.n, 'EndOfSequence')) b.endOfSequence = true;
  return b;
}

export function encodeEnumerateResponse(b: EnumerateResponseBody): XNode {
  return el('n:EnumerateResponse', null,
    el('n:EnumerationContext', null, b.context),
    b.items && encodeItems('w:Items', b.items),
    b.endOfSequence && el('w:EndOfSequence'));
}

export function decodePull(e: XmlElement): PullBody {
  const b: PullBody = { kind: 'Pull', context: child(e, NS.n, 'EnumerationContext')?.text.trim() ?? '' };
  const max = child(e, NS.n, 'MaxElements');
  if (max) b.maxElements = parseIntField(max.text, 'MaxElements');
  return b;
}

export function encodePull(b: PullBody): XNode {
  return el('n:Pull', null,
    el('n:EnumerationContext', null, b.context),
    b.maxElements !== undefined && el('n:MaxElements', null, String(b.maxElements)));
}

export function decodePullResponse(e: XmlElement): PullResponseBody {
  const b: PullResponseBody = { kind: 'PullResponse', items: decodeItems(child(e, NS.n, 'Items') ?? child(e, NS.w, 'Items')) };
  const ctx = child(e, NS.n, 'EnumerationContext');
  if (ctx) b.context = ctx.text.trim();
  if (child(e, NS.n, 'EndOfSequence') ?? child(e, NS.w, 'EndOfSequence')) b.endOfSequence = true;
  return b;
}

export function encodePullResponse(b: PullResponseBody): XNode {
  return el('n:PullResponse', null,
    b.context !== undefined && el('n:EnumerationContext', null, b.context),
    encodeItems('n:Items', b.items),
    b.endOfSequence && el('n:EndOfSequence'));
}

export function decodeRelease(e: XmlElement): ReleaseBody {
  return { kind: 'Release', context: child(e, NS.n, 'EnumerationContext')?.text.trim() ?? '' };
}

export function encodeRelease(b: ReleaseBody): XNode {
  return el('n:Release', null, el('n:EnumerationContext', null, b.context));
}
