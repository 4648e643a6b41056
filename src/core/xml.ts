/**
 * The one hardened XML layer: the only importer of the XML parser (saxes: strict, streaming,
 * namespace-aware, several times faster than validating and then parsing with fast-xml-parser;
 * xmlbuilder2 is not needed either: see serializeXml).
 *
 * Parsing refuses DTDs and entity declarations outright (nothing is expanded, nothing external is
 * read), enforces size, depth, element and attribute limits before the parser sees the text, and
 * resolves namespaces so that callers match on (namespace URI, local name), never on prefix:
 * Windows writes `s/a/w/p/rsp`, OMI `SOAP-ENV/wsa/wsman`, pywinrm `env/a/w/p`.
 */
import { isAscii } from 'node:buffer';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { WsmanProtocolError, WsmanCode } from './errors.js';
import { NextOf, detach, parseSimple } from './xml-fast.js';

export { el, serializeXml, serializeFragment, prewritten, type XNode } from './xml-build.js';

/** An attribute with its namespace resolved ('' for unprefixed attributes). */
export interface XmlAttr {
  readonly ns: string;
  readonly name: string;
  readonly value: string;
}

/** A parsed element with namespaces resolved. `text` joins the element's own text nodes. */
export interface XmlElement {
  readonly ns: string;
  readonly name: string;
  readonly attrs: readonly XmlAttr[];
  readonly children: readonly XmlElement[];
  readonly text: string;
  /** The prefix the sender used (for display only; never match on it). */
  readonly prefix: string;
}

export interface XmlLimits {
  /** Largest input in bytes (UTF-8) or UTF-16 code units. */
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 100,
  maxElements: 200_000,
  maxAttributes: 64,
};

function malformed(message: string, cause?: unknown): WsmanProtocolError {
  return new WsmanProtocolError('ERR_XML_MALFORMED', message, { wsmanCode: WsmanCode.SchemaValidationError }, { cause });
}

function forbidden(message: string): WsmanProtocolError {
  return new WsmanProtocolError('ERR_XML_FORBIDDEN', message, { wsmanCode: WsmanCode.SchemaValidationError });
}

function tooLarge(message: string): WsmanProtocolError {
  return new WsmanProtocolError('ERR_XML_LIMIT', message, { wsmanCode: WsmanCode.EncodingLimit });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/**
 * Bytes to text: a BOM decides (UTF-8, UTF-16 LE/BE), else the declared charset, else UTF-8.
 * Invalid sequences are refused, never replaced.
 */
export function decodeXmlBytes(bytes: Uint8Array, charset?: string, maxBytes = DEFAULT_XML_LIMITS.maxBytes): string {
  if (bytes.length > maxBytes) throw tooLarge(`XML of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  try {
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return utf8.decode(bytes.subarray(3));
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return utf16le.decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return utf16be.decode(bytes.subarray(2));
    const cs = charset?.toLowerCase().replace(/["']/g, '');
    if (cs === 'utf-16' || cs === 'utf-16le') return utf16le.decode(bytes);
    if (cs === 'utf-16be') return utf16be.decode(bytes);
    // ASCII (every envelope whose payload is base64) reads the same as UTF-8 and Latin-1; the
    // Latin-1 copy is cheaper than a checked UTF-8 decode.
    if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return utf8.decode(bytes);
  } catch (err) {
    throw new WsmanProtocolError('ERR_XML_ENCODING', 'XML is not valid UTF-8 or UTF-16', { wsmanCode: WsmanCode.SchemaValidationError }, { cause: err });
  }
}

/**
 * A long run of text at the start of an element's content (the `element`-th start tag, counting
 * from 0 in document order) that the parser would pass through unchanged: no `&`, no `\r`, no
 * `]]>`. Such runs (base64 streams) are taken out before the parse and put back as the element's
 * text, so that the parser does not walk them a character at a time.
 */
interface Lift { element: number; start: number; end: number }

/** Text runs shorter than this stay in the parser's input. */
const LIFT_MIN = 1024;

/**
 * A cheap pass over the raw text before the parser sees it: refuse declarations (DOCTYPE, ENTITY,
 * ELEMENT, ATTLIST, NOTATION) and count depth, elements and attributes. It jumps from `<` to `<`, so
 * long text content (base64 streams) costs one indexOf. Returns the runs of text worth lifting out
 * of the parser's way (see Lift).
 */
function prescan(text: string, limits: XmlLimits): Lift[] {
  const lifts: Lift[] = [];
  const amp = new NextOf(text, '&');
  const cr = new NextOf(text, '\r');
  const cdataEnd = new NextOf(text, ']]>');
  let depth = 0;
  let elements = 0;
  let i = text.indexOf('<');
  const n = text.length;
  while (i !== -1 && i < n) {
    const c = text.charCodeAt(i + 1);
    if (c === 0x21 /* ! */) {
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end === -1) throw malformed('unterminated comment');
        i = text.indexOf('<', end + 3);
        continue;
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end === -1) throw malformed('unterminated CDATA section');
        i = text.indexOf('<', end + 3);
        continue;
      }
      throw forbidden('XML declarations (DOCTYPE, ENTITY and the like) are not accepted');
    }
    if (c === 0x3f /* ? */) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) throw malformed('unterminated processing instruction');
      i = text.indexOf('<', end + 2);
      continue;
    }
    if (c === 0x2f /* / */) {
      depth--;
      i = text.indexOf('<', i + 2);
      continue;
    }
    // A start tag: walk to its '>' minding quotes, counting attributes by their '='.
    let j = i + 1;
    let quote = 0;
    let attrs = 0;
    let selfClosing = false;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (quote) {
        if (d === quote) quote = 0;
      } else if (d === 0x22 || d === 0x27) {
        quote = d;
      } else if (d === 0x3d /* = */) {
        attrs++;
      } else if (d === 0x3e /* > */) {
        selfClosing = text.charCodeAt(j - 1) === 0x2f;
        break;
      } else if (d === 0x3c /* < */) {
        throw malformed(`'<' inside a tag at offset ${j}`);
      }
    }
    if (j >= n) throw malformed('unterminated start tag');
    elements++;
    if (elements > limits.maxElements) throw tooLarge(`more than ${limits.maxElements} elements`);
    if (attrs > limits.maxAttributes) throw tooLarge(`more than ${limits.maxAttributes} attributes on one element`);
    if (!selfClosing) {
      depth++;
      if (depth > limits.maxDepth) throw tooLarge(`elements nested deeper than ${limits.maxDepth}`);
    }
    i = text.indexOf('<', j + 1);
    // The element's first text, when long: lifted up to the first character the parser would change.
    const start = j + 1;
    const textEnd = i === -1 ? n : i;
    if (!selfClosing && textEnd - start >= LIFT_MIN) {
      const end = Math.min(textEnd, amp.from(start), cr.from(start), cdataEnd.from(start));
      if (end - start >= LIFT_MIN) lifts.push({ element: elements - 1, start, end });
    }
  }
  return lifts;
}

/** An element while its content is read: an XmlElement whose text and children still grow. */
interface OpenElement extends XmlElement {
  text: string;
  readonly children: XmlElement[];
}

/** saxes' words for what is wrong, as our errors: an unknown entity is refused, not malformed. */
function parserError(err: unknown): WsmanProtocolError {
  if (err instanceof WsmanProtocolError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/undefined entity/i.test(message)) return forbidden(`undeclared entity (only the five predefined ones and character references are accepted): ${message}`);
  return malformed(`malformed XML: ${message}`, err);
}

/** `text` without the lifted runs. */
function withoutLifts(text: string, lifts: readonly Lift[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const l of lifts) {
    parts.push(text.slice(at, l.start));
    at = l.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/**
 * The strict, namespace-aware parse (saxes: XML 1.0 well-formedness, the predefined entities and
 * character references only, namespaces resolved, xml: bound) into our tree. Lifted runs are
 * parsed around and given back as the start of their element's text; when the text is not
 * well-formed it is parsed again whole, so that the error and its position are the parser's own.
 */
function buildTree(text: string, lifts: readonly Lift[] = []): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: OpenElement[] = [];
  let root: OpenElement | undefined;
  let ordinal = 0;
  let next = 0;
  parser.on('opentag', (tag: SaxesTagNS) => {
    const attrs: XmlAttr[] = [];
    for (const key in tag.attributes) {
      const a = tag.attributes[key]!;
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      attrs.push({ ns: detach(a.uri), name: detach(a.local), value: detach(a.value) });
    }
    const lift = lifts[next];
    let own = '';
    if (lift !== undefined && lift.element === ordinal) {
      // A copy: a plain slice would keep the whole envelope's text alive for as long as the
      // element's text lives (a long command line kept by a disconnected shell, say).
      own = (' ' + text.slice(lift.start, lift.end)).slice(1);
      next++;
    }
    ordinal++;
    // Every string its own copy (see detach): saxes hands out slices of the whole text.
    const el: OpenElement = { ns: detach(tag.uri), name: detach(tag.local), attrs, children: [], text: own, prefix: detach(tag.prefix) };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  const onText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const el = stack.pop();
    if (el) el.text = detach(el.text);
  });
  parser.on('doctype', () => {
    throw forbidden('XML declarations (DOCTYPE, ENTITY and the like) are not accepted');
  });
  try {
    parser.write(lifts.length ? withoutLifts(text, lifts) : text).close();
  } catch (err) {
    if (lifts.length) buildTree(text);
    throw parserError(err);
  }
  if (!root) throw malformed('no root element');
  return root;
}

/**
 * Parse XML text into a namespace-resolved tree. Throws WsmanProtocolError (never anything else)
 * on malformed, hostile or oversize input. What peers send takes the fast path (src/core/xml-fast.ts);
 * anything else, and every error, is saxes'.
 */
export function parseXml(input: string | Uint8Array, limits: Partial<XmlLimits> = {}, charset?: string): XmlElement {
  const lim: XmlLimits = { ...DEFAULT_XML_LIMITS, ...limits };
  const text = typeof input === 'string' ? input : decodeXmlBytes(input, charset, lim.maxBytes);
  if (text.length > lim.maxBytes) throw tooLarge(`XML of ${text.length} characters exceeds the limit of ${lim.maxBytes}`);
  const bad = INVALID_XML_CHAR.exec(text);
  if (bad) throw malformed(`character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML (offset ${bad.index})`);
  // The fast path declines past a limit too; prescan then says which, and refuses declarations.
  return parseSimple(text, lim) ?? buildTree(text, prescan(text, lim));
}

// ---- navigation -------------------------------------------------------------------------------

export function isEl(el: XmlElement | undefined, ns: string, name: string): boolean {
  return el !== undefined && el.ns === ns && el.name === name;
}

export function child(el: XmlElement | undefined, ns: string, name: string): XmlElement | undefined {
  if (!el) return undefined;
  // Name first: namespaces are long URIs, equal in content but not the same string object.
  for (const c of el.children) if (c.name === name && c.ns === ns) return c;
  return undefined;
}

export function childrenOf(el: XmlElement | undefined, ns: string, name: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c) => c.name === name && c.ns === ns);
}

/** Trimmed text of a named child, or undefined when absent. */
export function childText(el: XmlElement | undefined, ns: string, name: string): string | undefined {
  const c = child(el, ns, name);
  return c === undefined ? undefined : c.text.trim();
}

/** An attribute by local name: unprefixed first, then one in any namespace. */
export function attr(el: XmlElement | undefined, name: string, ns?: string): string | undefined {
  if (!el) return undefined;
  if (ns !== undefined) return el.attrs.find((a) => a.ns === ns && a.name === name)?.value;
  return (el.attrs.find((a) => a.ns === '' && a.name === name) ?? el.attrs.find((a) => a.name === name))?.value;
}

/** Case-insensitive attribute lookup (selector and option names are case-insensitive). */
export function attrCI(el: XmlElement | undefined, name: string): string | undefined {
  if (!el) return undefined;
  const lower = name.toLowerCase();
  return el.attrs.find((a) => a.name.toLowerCase() === lower)?.value;
}

/** Characters XML 1.0 cannot carry at all (not even as references): C0 controls but TAB/LF/CR, U+FFFE/FFFF, lone surrogates. */
// eslint-disable-next-line no-control-regex -- these control characters are exactly what XML 1.0 forbids
export const INVALID_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
