/**
 * Resource representations as plain objects: a WS-Transfer Get/Put/Create body, an enumerated
 * item, a method's `METHOD_OUTPUT` (DSP0226 §7, DSP0227 CIM binding; winrm.cmd prints the same).
 *
 *   <p:Win32_Service xmlns:p="…/root/cimv2/Win32_Service" xmlns:xsi="…">
 *    <p:Name>WinRM</p:Name><p:ProcessId>1234</p:ProcessId><p:Started>true</p:Started>
 *    <p:InstallDate xsi:nil="true"/><p:Caps>1</p:Caps><p:Caps>2</p:Caps>
 *    <p:LastBoot><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:LastBoot>
 *   </p:Win32_Service>
 *
 * Typing rule (`decodeInstance`), in this order:
 *  1. `xsi:nil="true"` → null.
 *  2. An element with element children: a CIM date/time wrapper (`Datetime`, `Date`, `Time`,
 *     `Interval` of the CIM binding) → its text (Datetime/Date as a Date when it parses);
 *     anything else → a nested object (an endpoint reference, a config section).
 *  3. An `xsi:type` we know (xs:boolean, the xs: integer types, xs:double/float/decimal,
 *     xs:dateTime) → that type; a value that does not parse as it stays a string.
 *  4. Inference (unless `infer: false`): exactly `true` / `false` → boolean; a canonical decimal
 *     integer (no `+`, no leading zero, no spaces) within ±2^53 → number. Everything else —
 *     leading zeros, hex, decimals, versions, larger integers (uint64 stays exact as text) — is a
 *     string. A string property that holds exactly such text is typed too; `infer: false` or
 *     the kept XML give it back as sent.
 * A name that repeats is an array (CIM arrays are repeated elements). Attributes are not
 * properties; the XML keeps them.
 */
import { NS } from '../namespaces.js';
import { type XmlElement, type XNode, el, attr } from '../xml.js';
import { setOwn } from './common.js';

/** A property value. */
export type CimValue = string | number | boolean | Date | null | CimObject | CimValue[];
export interface CimObject {
  [name: string]: CimValue;
}

export interface DecodeInstanceOptions {
  /** Type unmarked values that are unambiguous (rule 4); default true. */
  infer?: boolean;
}

const INT_TYPES = new Set(['byte', 'short', 'int', 'long', 'integer', 'unsignedbyte', 'unsignedshort', 'unsignedint', 'unsignedlong',
  'nonnegativeinteger', 'positiveinteger', 'negativeinteger', 'nonpositiveinteger']);
const FLOAT_TYPES = new Set(['double', 'float', 'decimal']);
const CIM_TIME = new Set(['Datetime', 'Date', 'Time', 'Interval', 'CIM_DateTime']);
const XSD = 'http://www.w3.org/2001/XMLSchema';
const CANONICAL_INT = /^-?(0|[1-9]\d*)$/;

function typed(text: string, xsiType: string | undefined, infer: boolean): CimValue {
  if (xsiType !== undefined) {
    const t = xsiType.slice(xsiType.indexOf(':') + 1).toLowerCase();
    const v = text.trim();
    if (t === 'boolean') {
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
    } else if (INT_TYPES.has(t)) {
      if (/^[-+]?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
    } else if (FLOAT_TYPES.has(t)) {
      if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
      if (v === 'INF') return Infinity;
      if (v === '-INF') return -Infinity;
    } else if (t === 'datetime') {
      const d = dateOf(v);
      if (d) return d;
    }
    return text;
  }
  if (!infer) return text;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (CANONICAL_INT.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

function dateOf(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[-+]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function isNil(e: XmlElement): boolean {
  const v = attr(e, 'nil', NS.xsi);
  return v === 'true' || v === '1';
}

/** The value of one property element. */
export function propertyValue(e: XmlElement, opts: DecodeInstanceOptions = {}): CimValue {
  const infer = opts.infer !== false;
  if (isNil(e)) return null;
  if (e.children.length > 0) {
    const only = e.children.length === 1 ? e.children[0]! : undefined;
    if (only && CIM_TIME.has(only.name) && only.children.length === 0) {
      const text = only.text.trim();
      if (only.name === 'Datetime' || only.name === 'Date') return dateOf(text) ?? text;
      return text;
    }
    return propertiesOf(e, opts);
  }
  return typed(e.text.trim(), attr(e, 'type', NS.xsi), infer);
}

/** The children of an element as properties (repeated names become arrays). */
export function propertiesOf(e: XmlElement, opts: DecodeInstanceOptions = {}): CimObject {
  const out: CimObject = {};
  const seen = new Set<string>();
  for (const c of e.children) {
    const v = propertyValue(c, opts);
    if (!seen.has(c.name)) {
      seen.add(c.name);
      setOwn(out, c.name, v);
      continue;
    }
    const prev = out[c.name]!;
    if (Array.isArray(prev)) prev.push(v);
    else setOwn(out, c.name, [prev, v]);
  }
  return out;
}

// ---- writing parsed XML back --------------------------------------------------------------------

const XML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#xD;' };
const esc = (s: string, re: RegExp): string => s.replace(re, (c) => XML_ESC[c]!);

/**
 * An element as XML text, with the sender's prefixes, each namespace declared where it is first
 * used (`--format xml` prints items this way).
 */
export function elementXml(e: XmlElement, scope: ReadonlyMap<string, string> = new Map([['xml', NS.xml]])): string {
  const inScope = new Map(scope);
  const decls: string[] = [];
  const declare = (prefix: string, ns: string): void => {
    if (ns === '' && prefix === '') {
      if ((inScope.get('') ?? '') !== '') {
        inScope.set('', '');
        decls.push(' xmlns=""');
      }
      return;
    }
    if (inScope.get(prefix) === ns) return;
    inScope.set(prefix, ns);
    decls.push(prefix ? ` xmlns:${prefix}="${esc(ns, /[&<>"\r]/g)}"` : ` xmlns="${esc(ns, /[&<>"\r]/g)}"`);
  };
  declare(e.prefix, e.ns);
  const attrs: string[] = [];
  let n = 0;
  for (const a of e.attrs) {
    let prefix = '';
    if (a.ns !== '') {
      prefix = [...inScope].find(([p, u]) => u === a.ns && p !== '')?.[0] ?? '';
      if (!prefix) {
        prefix = a.ns === NS.xsi ? 'xsi' : `ns${n++}`;
        declare(prefix, a.ns);
      }
    }
    attrs.push(` ${prefix ? `${prefix}:` : ''}${a.name}="${esc(a.value, /[&<>"\r]/g).replace(/\n/g, '&#xA;').replace(/\t/g, '&#x9;')}"`);
  }
  const name = e.prefix ? `${e.prefix}:${e.name}` : e.name;
  const open = `<${name}${decls.join('')}${attrs.join('')}`;
  const text = e.children.length ? e.text.trim() : e.text;
  if (e.children.length === 0 && text === '') return `${open}/>`;
  return `${open}>${esc(text, /[&<>\r]/g)}${e.children.map((c) => elementXml(c, inScope)).join('')}</${name}>`;
}

/** The prefix of NS for a namespace, if it has one. */
function knownPrefix(ns: string): string | undefined {
  for (const [p, u] of Object.entries(NS)) if (u === ns && p !== 'xml') return p;
  return undefined;
}

/**
 * A parsed element as an XNode to send again (Put of an instance read with Get). Namespaces
 * outside NS are written with the `p` prefix declared on the element itself.
 */
export function elementToXNode(e: XmlElement, replace?: (c: XmlElement, pNamespace: string) => XNode | undefined, pNamespace: string = NS.p): XNode {
  const prefix = knownPrefix(e.ns);
  const attrs: Record<string, string> = {};
  let name: string;
  let p = pNamespace;
  if (prefix !== undefined && prefix !== 'p') name = `${prefix}:${e.name}`;
  else {
    name = `p:${e.name}`;
    if (e.ns !== p) {
      attrs['xmlns:p'] = e.ns;
      p = e.ns;
    }
  }
  for (const a of e.attrs) {
    if (a.ns === '') attrs[a.name] = a.value;
    else if (a.ns === NS.xsi) {
      attrs[`xsi:${a.name}`] = a.value;
      // xsi:type's value is a QName: the usual schema prefixes are declared again.
      const qp = /^(xs|xsd):/.exec(a.value)?.[1];
      if (a.name === 'type' && qp) attrs[`xmlns:${qp}`] = XSD;
    } else if (a.ns === NS.xml) attrs[`xml:${a.name}`] = a.value;
  }
  const kids = e.children.map((c) => replace?.(c, p) ?? elementToXNode(c, replace, p));
  return el(name, attrs, ...(e.children.length ? kids : [e.text]));
}

/** A property value as element text (Date as ISO 8601, booleans as `true`/`false`). */
export function valueText(v: string | number | boolean | Date): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/**
 * `<p:NAME xmlns:p="RESOURCE_URI"><p:K>V</p:K>…</p:NAME>`: a new instance (Create) or a method's
 * input (`NAME` = `METHOD_INPUT`). A null value is written as `xsi:nil="true"`.
 */
export function encodeProperties(resourceUri: string, name: string, values: Record<string, string | number | boolean | Date | null | readonly (string | number | boolean)[]>): XNode {
  const kids: XNode[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === null) kids.push(el(`p:${k}`, { 'xsi:nil': 'true' }));
    else if (Array.isArray(v)) for (const x of v as readonly (string | number | boolean)[]) kids.push(el(`p:${k}`, null, valueText(x)));
    else kids.push(el(`p:${k}`, null, valueText(v as string | number | boolean | Date)));
  }
  return el(`p:${name}`, { 'xmlns:p': resourceUri }, ...kids);
}
