/**
 * A fast parse of the XML that WS-Management peers actually send (issue 20): elements, attributes,
 * namespaces, text with the predefined entities and character references, an XML declaration.
 * It is a strict subset of what saxes (src/core/xml.ts) accepts, and gives the same tree: where
 * the text holds anything else (comments, CDATA, processing instructions, CR, non-ASCII names,
 * `]]>`, anything not well-formed), it answers undefined and the caller parses with saxes, whose
 * errors are the ones reported. It jumps from `<` to `<` with indexOf, where saxes reads each
 * character: a listing of 2,000 shells (1.8 MB) decodes in 0.31-0.39 of the time, a small
 * CommandResponse in 0.21-0.29 (bench/core.bench.ts).
 *
 * Every string it returns is its own copy: a slice would keep the whole envelope's text alive for
 * as long as a field lives (a ShellId kept by a disconnected shell, say), past any quota's count.
 */
import type { XmlAttr, XmlElement, XmlLimits } from './xml.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** The XML declaration saxes accepts as XML 1.0, in the forms peers send. */
const XML_DECL = /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(?:"1\.0"|'1\.0')(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\n]*\?>/y;
/** An ASCII QName: NCName, or NCName:NCName. */
const QNAME = /^[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?$/;

/** Strings of this length and more are slices sharing their parent in V8; shorter ones are copies. */
const SLICE_MIN = 13;

/** `s` as a string of its own (never a slice of a larger one). */
export function detach(s: string): string {
  return s.length < SLICE_MIN ? s : (' ' + s).slice(1);
}

interface QName { readonly prefix: string; readonly local: string }

/** Names seen, by their text (bounded: cleared when full; long names are not kept). */
const qnames = new Map<string, QName | null>();
const QNAME_CACHE = 4096;
const QNAME_CACHE_LEN = 128;

/** The prefix and local name of `raw`, or null when it is not an ASCII QName. */
function qnameOf(raw: string): QName | null {
  let q = qnames.get(raw);
  if (q !== undefined) return q;
  const own = detach(raw);
  if (!QNAME.test(own)) {
    q = null;
  } else {
    const colon = own.indexOf(':');
    q = colon === -1 ? { prefix: '', local: own } : { prefix: own.slice(0, colon), local: own.slice(colon + 1) };
  }
  if (own.length <= QNAME_CACHE_LEN) {
    if (qnames.size >= QNAME_CACHE) qnames.clear();
    qnames.set(own, q);
  }
  return q;
}

/** Namespace URIs seen (peers use a few dozen; bounded: at most URI_CACHE of up to 1 KB): one string per URI. */
const uris = new Map<string, string>();
const URI_CACHE = 256;

function internUri(uri: string): string {
  const known = uris.get(uri);
  if (known !== undefined) return known;
  const own = detach(uri);
  if (own.length <= 1024) {
    if (uris.size >= URI_CACHE) uris.clear();
    uris.set(own, own);
  }
  return own;
}

/** A character reference's code point when XML allows it as a character, else -1. */
function charRef(body: string): number {
  let cp: number;
  if (body.charCodeAt(1) === 0x78 /* x */) {
    if (!/^#x[0-9A-Fa-f]{1,6}$/.test(body)) return -1;
    cp = parseInt(body.slice(2), 16);
  } else {
    if (!/^#[0-9]{1,7}$/.test(body)) return -1;
    cp = parseInt(body.slice(1), 10);
  }
  const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
  return ok ? cp : -1;
}

/** `raw` with its references replaced, or undefined when one is not predefined or not a valid character. */
function unescape(raw: string): string | undefined {
  let out = '';
  let at = 0;
  for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', at)) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 10) return undefined;
    const body = raw.slice(amp + 1, semi);
    let ch: string;
    switch (body) {
      case 'lt': ch = '<'; break;
      case 'gt': ch = '>'; break;
      case 'amp': ch = '&'; break;
      case 'quot': ch = '"'; break;
      case 'apos': ch = "'"; break;
      default: {
        if (body.charCodeAt(0) !== 0x23 /* # */) return undefined;
        const cp = charRef(body);
        if (cp === -1) return undefined;
        ch = String.fromCodePoint(cp);
      }
    }
    out += raw.slice(at, amp) + ch;
    at = semi + 1;
  }
  return out + raw.slice(at);
}

/** The position of `what` in `text` at or after `from`, or text.length: a cache that scans each stretch once (`from` only grows). */
export class NextOf {
  private at = -1;
  constructor(private readonly text: string, private readonly what: string) {}
  from(from: number): number {
    if (this.at < from) {
      const i = this.text.indexOf(this.what, from);
      this.at = i === -1 ? this.text.length : i;
    }
    return this.at;
  }
}

/**
 * The namespace declarations in force: an element's own (when it has any) before its ancestors'.
 * A chain, not a copy per element: copying would cost a hostile envelope (thousands of
 * declarations, then thousands of elements declaring one more) seconds.
 */
interface Scope {
  readonly decls: Map<string, string>;
  readonly parent: Scope | undefined;
}

function resolve(scope: Scope | undefined, prefix: string): string | undefined {
  for (let s = scope; s !== undefined; s = s.parent) {
    const uri = s.decls.get(prefix);
    if (uri !== undefined) return uri;
  }
  return undefined;
}

interface Open {
  readonly el: { ns: string; name: string; attrs: XmlAttr[]; children: XmlElement[]; text: string; prefix: string };
  readonly qname: string;
  readonly scope: Scope;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09;
}

/** The first position at or after `i` that is not XML white space (CR never gets here). */
function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The end of a run of name characters (ASCII letters, digits, `._-:`) starting at `i`. */
function nameEnd(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x3a) || c === 0x5f || c === 0x2d || c === 0x2e) i++;
    else return i;
  }
}

const ROOT_SCOPE: Scope = { decls: new Map([['xml', XML_NS], ['xmlns', XMLNS_NS]]), parent: undefined };

/** Shared by every element without attributes or children (frozen: the tree is read-only). */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * The tree saxes would give for `text` (after parseXml's checks of its size and characters), or
 * undefined when the text is outside the subset read here or passes one of `limits` (elements,
 * depth, attributes: parseXml's prescan then reports which).
 */
export function parseSimple(text: string, limits: Pick<XmlLimits, 'maxDepth' | 'maxElements' | 'maxAttributes'>): XmlElement | undefined {
  if (text.includes('\r') || text.includes(']]>')) return undefined;
  const n = text.length;
  const lt = new NextOf(text, '<');
  const amp = new NextOf(text, '&');
  const nl = new NextOf(text, '\n');
  const tab = new NextOf(text, '\t');
  let i = 0;
  if (text.startsWith('<?xml', 0)) {
    XML_DECL.lastIndex = 0;
    if (!XML_DECL.test(text)) return undefined;
    i = XML_DECL.lastIndex;
  }
  i = skipSpace(text, i);
  if (text.charCodeAt(i) !== 0x3c /* < */) return undefined;
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  while (i < n) {
    // Here text[i] is '<'.
    const c = text.charCodeAt(i + 1);
    if (c === 0x2f /* / */) {
      const top = stack.pop();
      if (top === undefined || !text.startsWith(top.qname, i + 2)) return undefined;
      const close = skipSpace(text, i + 2 + top.qname.length);
      if (text.charCodeAt(close) !== 0x3e /* > */) return undefined;
      top.el.text = detach(top.el.text);
      i = close + 1;
    } else {
      // A start tag.
      const ne = nameEnd(text, i + 1);
      const tagName = text.slice(i + 1, ne);
      const q = qnameOf(tagName);
      if (q === null || q.prefix === 'xmlns' || ++elements > limits.maxElements) return undefined;
      const parent = stack.length ? stack[stack.length - 1]! : undefined;
      let scope = parent ? parent.scope : ROOT_SCOPE;
      let own: Map<string, string> | undefined;
      let raws: { q: QName; value: string }[] | undefined;
      let j = ne;
      let selfClosing = false;
      for (;;) {
        const k = skipSpace(text, j);
        const d = text.charCodeAt(k);
        if (d === 0x3e /* > */) { j = k + 1; break; }
        if (d === 0x2f /* / */) {
          if (text.charCodeAt(k + 1) !== 0x3e) return undefined;
          selfClosing = true;
          j = k + 2;
          break;
        }
        if (k === j) return undefined; // attributes are separated by white space
        const ae = nameEnd(text, k);
        const aq = qnameOf(text.slice(k, ae));
        if (aq === null) return undefined;
        let e = skipSpace(text, ae);
        if (text.charCodeAt(e) !== 0x3d /* = */) return undefined;
        e = skipSpace(text, e + 1);
        const quote = text.charCodeAt(e);
        if (quote !== 0x22 && quote !== 0x27) return undefined;
        const vEnd = text.indexOf(quote === 0x22 ? '"' : "'", e + 1);
        if (vEnd === -1 || lt.from(e + 1) < vEnd) return undefined;
        let value = text.slice(e + 1, vEnd);
        // Literal tab and newline read as a space (XML's attribute-value normalisation), then references.
        if (nl.from(e + 1) < vEnd || tab.from(e + 1) < vEnd) value = value.replace(/[\t\n]/g, ' ');
        if (amp.from(e + 1) < vEnd) {
          const u = unescape(value);
          if (u === undefined) return undefined;
          value = u;
        }
        (raws ??= []).push({ q: aq, value });
        if (raws.length > limits.maxAttributes) return undefined;
        j = vEnd + 1;
      }
      // Namespace declarations first: they apply to the element's own name and attributes.
      let attrs: XmlAttr[] = NONE;
      if (raws !== undefined) {
        attrs = [];
        for (const a of raws) {
          const declared = a.q.prefix === 'xmlns' ? a.q.local : a.q.prefix === '' && a.q.local === 'xmlns' ? '' : undefined;
          if (declared === undefined) continue;
          const uri = a.value.trim();
          if ((declared !== '' && uri === '') || declared === 'xml' || declared === 'xmlns' || uri === XML_NS || uri === XMLNS_NS) return undefined;
          if (own === undefined) {
            own = new Map();
            scope = { decls: own, parent: scope };
          }
          own.set(declared, internUri(uri));
        }
        const seen = new Set<string>();
        for (const a of raws) {
          const { prefix, local } = a.q;
          const qn = prefix === '' ? local : `${prefix}:${local}`;
          let ns = '';
          if (prefix !== '') {
            const bound = resolve(scope, prefix);
            if (bound === undefined) return undefined;
            ns = bound;
          }
          const key = prefix === '' ? qn : `{${ns}}${local}`;
          if (seen.has(key) || seen.has(qn)) return undefined;
          seen.add(key);
          seen.add(qn);
          if (prefix === 'xmlns' || qn === 'xmlns') continue;
          attrs.push({ ns, name: local, value: detach(a.value) });
        }
      }
      let ns: string;
      if (q.prefix === '') {
        ns = resolve(scope, '') ?? '';
      } else {
        const bound = resolve(scope, q.prefix);
        if (bound === undefined) return undefined;
        ns = bound;
      }
      const el = { ns, name: q.local, attrs, children: NONE as XmlElement[], text: '', prefix: q.prefix };
      if (parent) {
        if (parent.el.children === NONE) parent.el.children = [];
        parent.el.children.push(el);
      } else if (root === undefined) root = el;
      else return undefined;
      if (!selfClosing) {
        stack.push({ el, qname: tagName, scope });
        if (stack.length > limits.maxDepth) return undefined;
      }
      i = j;
    }
    // Text up to the next tag: the open element's own, or (outside the root) white space only.
    const next = lt.from(i);
    if (next > i) {
      const top = stack.length ? stack[stack.length - 1] : undefined;
      if (top === undefined) {
        if (skipSpace(text, i) < next) return undefined;
      } else {
        let t = text.slice(i, next);
        if (amp.from(i) < next) {
          const u = unescape(t);
          if (u === undefined) return undefined;
          t = u;
        }
        top.el.text = top.el.text === '' ? t : top.el.text + t;
      }
    }
    if (next >= n) break;
    if (stack.length === 0 && root !== undefined) return undefined; // a second root, or a comment or PI after it
    i = next;
  }
  if (stack.length !== 0 || root === undefined) return undefined;
  return root;
}
