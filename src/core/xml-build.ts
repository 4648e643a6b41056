/**
 * Writing XML: a small tree of XNodes (prefixed names from NS) serialized with every prefix it
 * uses declared on the root, and text and attribute values escaped so that they read back the same.
 * Re-exported by xml.ts, the module the rest of the core imports.
 */
import { NS, type Prefix } from './namespaces.js';
import { WsmanUsageError } from './errors.js';

/** A node to serialize: `name` is `prefix:local` with prefix one of NS's keys, or unprefixed. */
export interface XNode {
  name: string;
  attrs?: Record<string, string | number | boolean | undefined>;
  children?: (XNode | string | undefined | false)[];
  /** The node already written (see prewritten): its text and the prefixes it uses. */
  raw?: { readonly xml: string; readonly prefixes: readonly string[] };
}

/** Build an XNode; undefined attributes and children are dropped. */
export function el(name: string, attrs?: XNode['attrs'] | null, ...children: (XNode | string | undefined | false)[]): XNode {
  const node: XNode = { name };
  if (attrs) node.attrs = attrs;
  if (children.length) node.children = children;
  return node;
}

function collectPrefixes(node: XNode, out: Set<string>): void {
  if (node.raw) {
    for (const p of node.raw.prefixes) out.add(p);
    return;
  }
  const k = node.name.indexOf(':');
  if (k !== -1) out.add(node.name.slice(0, k));
  if (node.attrs) {
    for (const key of Object.keys(node.attrs)) {
      const a = key.indexOf(':');
      if (a !== -1 && !key.startsWith('xmlns')) out.add(key.slice(0, a));
    }
  }
  if (node.children) for (const c of node.children) if (c && typeof c !== 'string') collectPrefixes(c, out);
}

const NAME_RE = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

/** Names already checked (ours are a few dozen constants); bounded, as callers may pass others. */
const GOOD_NAMES = new Set<string>();

function checkName(name: string): void {
  if (GOOD_NAMES.has(name)) return;
  if (!NAME_RE.test(name)) throw new WsmanUsageError(`'${name.slice(0, 40)}' is not an XML name we can write`, 'ERR_XML_NAME');
  if (GOOD_NAMES.size < 512) GOOD_NAMES.add(name);
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', '\n': '&#xA;', '\t': '&#x9;' };

/**
 * Escape every '&' (also one that looks like a reference: "&amp;" in a value is sent as
 * "&amp;amp;"), '<' and '>', and CR as a reference so it survives line-end normalisation.
 */
function escapeText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!) : s;
}

/** As escapeText, plus '"', and LF/TAB as references so attribute-value normalisation keeps them. */
function escapeAttr(s: string): string {
  return /[&<>"\r\n\t]/.test(s) ? s.replace(/[&<>"\r\n\t]/g, (c) => ATTR_ESCAPES[c]!) : s;
}

/**
 * The node as text (string concatenation: V8's ropes beat an array and a join here). With `used`,
 * the namespace prefixes written are added to it on the way (as collectPrefixes finds them).
 */
function write(node: XNode, used?: Set<string>): string {
  if (node.raw) {
    if (used) for (const p of node.raw.prefixes) used.add(p);
    return node.raw.xml;
  }
  checkName(node.name);
  if (used) {
    const k = node.name.indexOf(':');
    if (k !== -1) used.add(node.name.slice(0, k));
  }
  let out = `<${node.name}`;
  if (node.attrs) {
    for (const key of Object.keys(node.attrs)) {
      const v = node.attrs[key];
      if (v === undefined) continue;
      checkName(key);
      if (used) {
        const a = key.indexOf(':');
        if (a !== -1 && !key.startsWith('xmlns')) used.add(key.slice(0, a));
      }
      out += ` ${key}="${escapeAttr(String(v))}"`;
    }
  }
  let open = false;
  if (node.children) {
    for (const c of node.children) {
      if (c === undefined || c === false || c === '') continue;
      if (!open) {
        out += '>';
        open = true;
      }
      out += typeof c === 'string' ? escapeText(c) : write(c, used);
    }
  }
  return open ? `${out}</${node.name}>` : `${out}/>`;
}

/**
 * Serialize a tree, declaring on the root every namespace prefix (from NS) that the tree uses.
 * No XML declaration, as Windows writes none. Our own writer: xmlbuilder2 leaves text that looks
 * like a reference ("&amp;", "&#65;", "&foo;") unescaped, which changes or breaks values.
 */
export function serializeXml(root: XNode): string {
  const used = new Set<string>();
  collectPrefixes(root, used);
  const decl: Record<string, string> = {};
  for (const p of used) {
    if (p === 'xml') continue;
    const uri = NS[p as Prefix];
    if (uri === undefined) throw new Error(`internal: unknown namespace prefix '${p}'`);
    decl[`xmlns:${p}`] = uri;
  }
  return write({ ...root, attrs: { ...decl, ...root.attrs } });
}

/**
 * A node as it is written inside a tree that declares its prefixes (no declarations of its own):
 * what it adds to a larger document, e.g. to size enumeration items against MaxEnvelopeSize.
 */
export function serializeFragment(node: XNode): string {
  return write(node);
}

/**
 * The node written once, to be measured and then sent as is: a listener sizes each enumeration
 * item against MaxEnvelopeSize and then writes the same items into the response.
 */
export function prewritten(node: XNode): XNode {
  if (node.raw) return node;
  const used = new Set<string>();
  const xml = write(node, used);
  return { name: node.name, raw: { xml, prefixes: [...used] } };
}
