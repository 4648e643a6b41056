/**
 * CLIXML to JS values (MS-PSRP 2.2.5), over the project's hardened XML reader. Elements are matched
 * by local name (PSRP message data has no namespace; PSSerializer output uses
 * `http://schemas.microsoft.com/powershell/2004/04`). Anything that is not CLIXML, and anything
 * beyond the limits, is a PsrpProtocolError: never another exception, never a hang.
 *
 *   <Obj RefId="0"><TN RefId="0"><T>System.ConsoleColor</T>…</TN><ToString>Red</ToString><I32>12</I32></Obj>
 */
import { parseXml, type XmlElement } from '../../core/xml.js';
import { WsmanProtocolError } from '../../core/errors.js';
import { PsrpProtocolError } from '../errors.js';
import { PSObject, PSPrimitive, PSProgressRecord, type ListKind, type PSValue } from './model.js';
import {
  decodeString, INT64_MAX, INT64_MIN, parseBase64, parseBigInteger, parseDateTime, parseDecimal,
  parseFloatText, parseGuid, parseInteger, parseTimeSpan, parseVersion, UINT64_MAX,
} from './text.js';

/** Limits on what a peer can make us build. */
export interface ClixmlLimits {
  /** Largest CLIXML text, in characters or bytes. */
  maxBytes: number;
  /** Deepest nesting of objects and collections. */
  maxDepth: number;
  /** Most XML elements in one document. */
  maxElements: number;
}

export const DEFAULT_CLIXML_LIMITS: Readonly<ClixmlLimits> = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 2_000_000,
};

function bad(message: string, cause?: unknown): PsrpProtocolError {
  return new PsrpProtocolError('ERR_CLIXML_MALFORMED', message, { cause });
}

/** RefId and TN tables of one document. */
interface Ctx {
  refs: Map<string, PSObject>;
  types: Map<string, string[]>;
  maxDepth: number;
}

/** Primitive elements other than Obj/Ref/PR: their text to a value. */
const PRIMITIVES: Record<string, (text: string) => PSValue> = {
  S: (t) => decodeString(t),
  B: (t) => {
    const v = t.trim().toLowerCase();
    if (v !== 'true' && v !== 'false') throw new Error(`'${t.slice(0, 20)}' is not a boolean`);
    return v === 'true';
  },
  I32: (t) => parseInteger(t, -2147483648, 2147483647),
  C: (t) => new PSPrimitive('C', parseInteger(t, 0, 65535)),
  By: (t) => new PSPrimitive('By', parseInteger(t, 0, 255)),
  SB: (t) => new PSPrimitive('SB', parseInteger(t, -128, 127)),
  I16: (t) => new PSPrimitive('I16', parseInteger(t, -32768, 32767)),
  U16: (t) => new PSPrimitive('U16', parseInteger(t, 0, 65535)),
  U32: (t) => new PSPrimitive('U32', parseInteger(t, 0, 4294967295)),
  I64: (t) => new PSPrimitive('I64', parseBigInteger(t, INT64_MIN, INT64_MAX)),
  U64: (t) => new PSPrimitive('U64', parseBigInteger(t, 0n, UINT64_MAX)),
  Sg: (t) => new PSPrimitive('Sg', parseFloatText(t, true)),
  Db: (t) => new PSPrimitive('Db', parseFloatText(t, false)),
  D: (t) => new PSPrimitive('D', parseDecimal(t)),
  DT: (t) => new PSPrimitive('DT', parseDateTime(t)),
  TS: (t) => new PSPrimitive('TS', parseTimeSpan(t)),
  G: (t) => new PSPrimitive('G', parseGuid(t)),
  URI: (t) => new PSPrimitive('URI', decodeString(t)),
  Version: (t) => new PSPrimitive('Version', parseVersion(t)),
  XD: (t) => new PSPrimitive('XD', decodeString(t)),
  SBK: (t) => new PSPrimitive('SBK', decodeString(t)),
  SS: (t) => new PSPrimitive('SS', t.trim()),
  BA: (t) => parseBase64(t),
};

const LIST_KINDS = new Set<string>(['LST', 'IE', 'STK', 'QUE']);

function attrOf(el: XmlElement, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name && a.ns === '')?.value;
}

/** The `N` attribute: a property or dictionary-entry name, 2.2.5.3.2-encoded. */
export function nameOf(el: XmlElement): string | undefined {
  const n = attrOf(el, 'N');
  return n === undefined ? undefined : decodeString(n);
}

function noChildren(el: XmlElement): void {
  if (el.children.length) throw bad(`<${el.name}> holds elements where text was expected`);
}

/** One value element. */
function readValue(el: XmlElement, ctx: Ctx, depth: number): PSValue {
  if (depth > ctx.maxDepth) throw new PsrpProtocolError('ERR_CLIXML_LIMIT', `CLIXML nested deeper than ${ctx.maxDepth}`);
  switch (el.name) {
    case 'Nil':
      noChildren(el);
      return null;
    case 'Obj':
      return readObj(el, ctx, depth);
    case 'Ref': {
      const id = attrOf(el, 'RefId');
      const obj = id === undefined ? undefined : ctx.refs.get(id);
      if (!obj) throw bad(`<Ref RefId="${id}"> names no earlier object`);
      return obj;
    }
    case 'PR':
      return readProgress(el);
    case 'MS':
      // A member set among an object's members (PSStandardMembers): an object of its members.
      if (attrOf(el, 'N') === undefined) throw bad('<MS> is not a CLIXML element');
      return readMemberSet(el, ctx, depth);
    default: {
      const parse = PRIMITIVES[el.name];
      if (!parse) throw bad(`<${el.name}> is not a CLIXML element`);
      noChildren(el);
      try {
        return parse(el.text);
      } catch (err) {
        throw bad(`<${el.name}>: ${(err as Error).message}`, err);
      }
    }
  }
}

/** 2.2.5.1.25 ProgressRecord: AV, AI, CO (S or Nil), PI, PC, T, SR, SD in order. */
function readProgress(el: XmlElement): PSProgressRecord {
  const c = el.children;
  if (c.length !== 8) throw bad(`<PR> has ${c.length} children, not 8`);
  const text = (i: number): string => {
    noChildren(c[i]!);
    return c[i]!.text;
  };
  const int = (i: number): number => {
    try {
      return parseInteger(text(i), -2147483648, 2147483647);
    } catch (err) {
      throw bad(`<PR>/<${c[i]!.name}>: ${(err as Error).message}`, err);
    }
  };
  const co = c[2]!;
  if (co.name !== 'Nil' && co.name !== 'S') throw bad('<PR> current operation is neither S nor Nil');
  return new PSProgressRecord({
    activity: decodeString(text(0)),
    activityId: int(1),
    currentOperation: co.name === 'Nil' ? null : decodeString(text(2)),
    parentActivityId: int(3),
    percentComplete: int(4),
    recordType: decodeString(text(5)),
    secondsRemaining: int(6),
    statusDescription: decodeString(text(7)),
  });
}

function readTypeNames(el: XmlElement, ctx: Ctx): string[] {
  const id = attrOf(el, 'RefId');
  if (el.name === 'TNRef') {
    const names = id === undefined ? undefined : ctx.types.get(id);
    if (!names) throw bad(`<TNRef RefId="${id}"> names no earlier <TN>`);
    return names;
  }
  const names = el.children.map((t) => {
    if (t.name !== 'T') throw bad(`<TN> holds <${t.name}>`);
    noChildren(t);
    return decodeString(t.text);
  });
  if (id !== undefined) ctx.types.set(id, names);
  return names;
}

function readProps(el: XmlElement, into: Map<string, PSValue>, ctx: Ctx, depth: number): void {
  for (const p of el.children) into.set(nameOf(p) ?? '', readValue(p, ctx, depth + 1));
}

function readMemberSet(el: XmlElement, ctx: Ctx, depth: number): PSObject {
  const set = new PSObject({ typeNames: ['System.Management.Automation.PSMemberSet'] });
  readProps(el, set.extended, ctx, depth);
  return set;
}

function readDict(el: XmlElement, ctx: Ctx, depth: number): Array<[PSValue, PSValue]> {
  return el.children.map((en) => {
    if (en.name !== 'En') throw bad(`<DCT> holds <${en.name}>`);
    let key: XmlElement | undefined;
    let value: XmlElement | undefined;
    for (const c of en.children) {
      const n = attrOf(c, 'N');
      if (n === 'Key' && !key) key = c;
      else if (n === 'Value' && !value) value = c;
      else throw bad('<En> holds something other than one Key and one Value');
    }
    if (!key || !value) throw bad('<En> lacks its Key or its Value');
    return [readValue(key, ctx, depth + 1), readValue(value, ctx, depth + 1)];
  });
}

/** 2.2.5.2 Complex object: TN/TNRef, ToString, a primitive or a collection, Props, MS. */
function readObj(el: XmlElement, ctx: Ctx, depth: number): PSObject {
  const obj = new PSObject();
  const id = attrOf(el, 'RefId');
  if (id !== undefined) ctx.refs.set(id, obj);
  const seen = new Set<string>();
  for (const c of el.children) {
    const kind = c.name === 'TNRef' ? 'TN' : LIST_KINDS.has(c.name) || c.name === 'DCT' ? 'content' : c.name in PRIMITIVES || c.name === 'Obj' || c.name === 'Ref' || c.name === 'PR' || c.name === 'Nil' ? 'content' : c.name;
    if (seen.has(kind)) throw bad(`<Obj> has more than one ${kind === 'content' ? 'value or collection' : `<${kind}>`}`);
    seen.add(kind);
    switch (c.name) {
      case 'TN':
      case 'TNRef':
        obj.typeNames = readTypeNames(c, ctx);
        break;
      case 'ToString':
        noChildren(c);
        obj.toStringText = decodeString(c.text);
        break;
      case 'Props':
        readProps(c, obj.adapted, ctx, depth);
        break;
      case 'MS':
        readProps(c, obj.extended, ctx, depth);
        break;
      case 'DCT':
        obj.dict = readDict(c, ctx, depth);
        break;
      default:
        if (LIST_KINDS.has(c.name)) {
          obj.listKind = c.name as ListKind;
          obj.list = c.children.map((item) => readValue(item, ctx, depth + 1));
        } else {
          // A primitive, or (as Windows writes for some adapted objects) another Obj or a Ref.
          obj.value = readValue(c, ctx, depth + 1);
        }
    }
  }
  return obj;
}

function toXml(input: string | Uint8Array | XmlElement, limits: ClixmlLimits): XmlElement {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  try {
    return parseXml(input, { maxBytes: limits.maxBytes, maxDepth: limits.maxDepth * 3 + 8, maxElements: limits.maxElements });
  } catch (err) {
    if (err instanceof WsmanProtocolError && err.code === 'ERR_XML_LIMIT') throw new PsrpProtocolError('ERR_CLIXML_LIMIT', err.message, { cause: err });
    throw bad(err instanceof Error ? err.message : 'malformed XML', err);
  }
}

function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof PsrpProtocolError) throw err;
    throw bad(`CLIXML not understood: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

/**
 * One CLIXML value (the data of a PSRP message: `<Obj RefId="0">…</Obj>`, `<S>…</S>`…).
 * PowerShell: [System.Management.Automation.PSSerializer]::Deserialize for a single object.
 */
export function deserialize(input: string | Uint8Array | XmlElement, limits: Partial<ClixmlLimits> = {}): PSValue {
  const lim = { ...DEFAULT_CLIXML_LIMITS, ...limits };
  const root = toXml(input, lim);
  return guard(() => readValue(root, { refs: new Map(), types: new Map(), maxDepth: lim.maxDepth }, 0));
}

/**
 * Every value of an `<Objs Version="1.1.0.1">` document (what PSSerializer::Serialize and
 * Export-Clixml write), sharing one RefId table. PowerShell: PSSerializer::DeserializeAsList.
 */
export function deserializeObjs(input: string | Uint8Array | XmlElement, limits: Partial<ClixmlLimits> = {}): PSValue[] {
  const lim = { ...DEFAULT_CLIXML_LIMITS, ...limits };
  const root = toXml(input, lim);
  if (root.name !== 'Objs') throw bad(`expected <Objs>, found <${root.name}>`);
  const ctx: Ctx = { refs: new Map(), types: new Map(), maxDepth: lim.maxDepth };
  return guard(() => root.children.map((c) => readValue(c, ctx, 0)));
}
