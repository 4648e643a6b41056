/**
 * JS values to CLIXML (MS-PSRP 2.2.5), written compactly in the element order PowerShell uses:
 * TN or TNRef, ToString, the primitive or collection, Props, MS. RefIds count objects from 0 in
 * document order, TN RefIds type-name lists from 0, as PowerShell numbers them; a value met again
 * (the same PSObject, array, Map or plain object) becomes `<Ref RefId="n"/>`, so cycles end.
 *
 *   [1, 'a'] -> <Obj RefId="0"><TN RefId="0"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST><I32>1</I32><S>a</S></LST></Obj>
 */
import { psrpUsage } from '../errors.js';
import { PSDateTime, PSObject, PSPrimitive, PSProgressRecord, type PSValue } from './model.js';
import { encodeString, formatBase64, formatDateTime, formatFloat, formatTimeSpan, INT64_MAX, INT64_MIN, parseDecimal, parseGuid, parseVersion, UINT64_MAX, xmlAttr, xmlText } from './text.js';

/** The namespace of `<Objs>` documents. */
export const CLIXML_NS = 'http://schemas.microsoft.com/powershell/2004/04';

/** What serialize accepts: PSValues plus plain JS conveniences (arrays, Maps, objects, Dates, bigints, undefined). */
export type Serializable = PSValue | undefined | bigint | Date | Serializable[] | Map<Serializable, Serializable> | { [key: string]: Serializable };

export interface SerializeOptions {
  /** Deepest nesting written (a deeper value is a usage error, not a stack overflow). */
  maxDepth?: number;
}

const ARRAY_TYPES = ['System.Object[]', 'System.Array', 'System.Object'];
const HASHTABLE_TYPES = ['System.Collections.Hashtable', 'System.Object'];

class Writer {
  readonly out: string[] = [];
  private readonly refs = new Map<object, number>();
  private readonly types = new Map<string, number>();
  constructor(private readonly maxDepth: number) {}

  private name(n: string | undefined): string {
    return n === undefined ? '' : ` N="${xmlAttr(encodeString(n))}"`;
  }

  /** A text element; empty text is written `<S></S>`, as PowerShell's XmlWriter does (never `<S />`). */
  private leaf(tag: string, n: string | undefined, text: string): void {
    this.out.push(`<${tag}${this.name(n)}>${text}</${tag}>`);
  }

  value(v: Serializable, n: string | undefined, depth: number): void {
    if (depth > this.maxDepth) throw psrpUsage(`value nested deeper than ${this.maxDepth}`, 'ERR_CLIXML_DEPTH');
    if (v === null || v === undefined) return void this.out.push(`<Nil${this.name(n)} />`);
    switch (typeof v) {
      case 'string':
        return this.leaf('S', n, xmlText(encodeString(v)));
      case 'boolean':
        return this.leaf('B', n, v ? 'true' : 'false');
      case 'number':
        return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 && !Object.is(v, -0)
          ? this.leaf('I32', n, String(v))
          : this.leaf('Db', n, formatFloat(v, false));
      case 'bigint':
        if (v >= INT64_MIN && v <= INT64_MAX) return this.leaf('I64', n, v.toString());
        if (v >= 0n && v <= UINT64_MAX) return this.leaf('U64', n, v.toString());
        throw psrpUsage(`${v} fits neither Int64 nor UInt64`, 'ERR_CLIXML_VALUE');
      case 'object':
        break;
      default:
        throw psrpUsage(`a ${typeof v} cannot be serialized to CLIXML`, 'ERR_CLIXML_VALUE');
    }
    if (v instanceof Uint8Array) return this.leaf('BA', n, formatBase64(v));
    if (v instanceof PSPrimitive) return this.primitive(v, n);
    if (v instanceof Date) return this.leaf('DT', n, formatDateTime(PSDateTime.fromDate(v)));
    if (v instanceof PSProgressRecord) return this.progress(v, n);
    const seen = this.refs.get(v);
    if (seen !== undefined) return void this.out.push(`<Ref${this.name(n)} RefId="${seen}" />`);
    this.refs.set(v, this.refs.size);
    if (v instanceof PSObject) return this.obj(v, n, depth);
    if (Array.isArray(v)) return this.obj(new PSObject({ typeNames: ARRAY_TYPES, list: v as PSValue[] }), n, depth, v);
    if (v instanceof Map) return this.obj(new PSObject({ typeNames: HASHTABLE_TYPES, dict: [...v] as Array<[PSValue, PSValue]> }), n, depth, v);
    if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
      return this.obj(new PSObject({ typeNames: HASHTABLE_TYPES, dict: Object.entries(v) as Array<[PSValue, PSValue]> }), n, depth, v);
    }
    throw psrpUsage(`a ${v.constructor?.name ?? 'object'} cannot be serialized to CLIXML`, 'ERR_CLIXML_VALUE');
  }

  private primitive(p: PSPrimitive, n: string | undefined): void {
    const v = p.value as unknown;
    const int = (min: number, max: number): string => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw psrpUsage(`${String(v)} is not a valid ${p.tag}`, 'ERR_CLIXML_VALUE');
      return String(v);
    };
    const big = (min: bigint, max: bigint): string => {
      if (typeof v !== 'bigint' || v < min || v > max) throw psrpUsage(`${String(v)} is not a valid ${p.tag}`, 'ERR_CLIXML_VALUE');
      return v.toString();
    };
    const str = (): string => {
      if (typeof v !== 'string') throw psrpUsage(`${p.tag} needs a string`, 'ERR_CLIXML_VALUE');
      return v;
    };
    let text: string;
    switch (p.tag) {
      case 'C': text = int(0, 65535); break;
      case 'By': text = int(0, 255); break;
      case 'SB': text = int(-128, 127); break;
      case 'I16': text = int(-32768, 32767); break;
      case 'U16': text = int(0, 65535); break;
      case 'U32': text = int(0, 4294967295); break;
      case 'I64': text = big(INT64_MIN, INT64_MAX); break;
      case 'U64': text = big(0n, UINT64_MAX); break;
      case 'Sg':
      case 'Db':
        if (typeof v !== 'number') throw psrpUsage(`${p.tag} needs a number`, 'ERR_CLIXML_VALUE');
        text = formatFloat(v, p.tag === 'Sg');
        break;
      case 'DT':
        if (!(v instanceof PSDateTime)) throw psrpUsage('DT needs a PSDateTime', 'ERR_CLIXML_VALUE');
        try {
          text = formatDateTime(v);
        } catch (err) {
          throw psrpUsage((err as Error).message, 'ERR_CLIXML_VALUE');
        }
        break;
      case 'TS': text = formatTimeSpan(BigInt(big(INT64_MIN, INT64_MAX))); break;
      case 'D':
      case 'G':
      case 'Version':
        try {
          text = (p.tag === 'D' ? parseDecimal : p.tag === 'G' ? parseGuid : parseVersion)(str());
        } catch (err) {
          throw psrpUsage((err as Error).message, 'ERR_CLIXML_VALUE');
        }
        break;
      case 'SS':
        text = xmlText(str());
        break;
      case 'URI':
      case 'XD':
      case 'SBK':
        text = xmlText(encodeString(str()));
        break;
      default:
        throw psrpUsage(`unknown primitive tag ${String(p.tag)}`, 'ERR_CLIXML_VALUE');
    }
    this.leaf(p.tag, n, text);
  }

  /** 2.2.5.1.25: `<PR><AV>…</AV><AI>…</AI><Nil/>|<S>…</S><PI>…</PI><PC>…</PC><T>…</T><SR>…</SR><SD>…</SD></PR>`. */
  private progress(p: PSProgressRecord, n: string | undefined): void {
    const s = (x: string): string => xmlText(encodeString(x));
    const co = p.currentOperation === null ? '<Nil />' : `<S>${s(p.currentOperation)}</S>`;
    this.out.push(
      `<PR${this.name(n)}><AV>${s(p.activity)}</AV><AI>${p.activityId | 0}</AI>${co}<PI>${p.parentActivityId | 0}</PI>` +
        `<PC>${p.percentComplete | 0}</PC><T>${s(p.recordType)}</T><SR>${p.secondsRemaining | 0}</SR><SD>${s(p.statusDescription)}</SD></PR>`,
    );
  }

  private obj(o: PSObject, n: string | undefined, depth: number, key: object = o): void {
    const out = this.out;
    out.push(`<Obj${this.name(n)} RefId="${this.refs.get(key)}">`);
    if (o.typeNames.length) {
      const k = o.typeNames.join('\n');
      const t = this.types.get(k);
      if (t !== undefined) out.push(`<TNRef RefId="${t}" />`);
      else {
        this.types.set(k, this.types.size);
        out.push(`<TN RefId="${this.types.size - 1}">`, ...o.typeNames.map((x) => `<T>${xmlText(encodeString(x))}</T>`), '</TN>');
      }
    }
    if (o.toStringText !== undefined) this.leaf('ToString', undefined, xmlText(encodeString(o.toStringText)));
    if (Number(o.value !== undefined) + Number(o.list !== undefined) + Number(o.dict !== undefined) > 1) {
      throw psrpUsage('a PSObject holds at most one of value, list and dict', 'ERR_CLIXML_VALUE');
    }
    if (o.value !== undefined) {
      this.value(o.value, undefined, depth + 1);
    }
    if (o.list) {
      const tag = o.listKind ?? 'LST';
      if (!o.list.length) out.push(`<${tag} />`);
      else {
        out.push(`<${tag}>`);
        for (const item of o.list) this.value(item, undefined, depth + 1);
        out.push(`</${tag}>`);
      }
    }
    if (o.dict) {
      if (!o.dict.length) out.push('<DCT />');
      else {
        out.push('<DCT>');
        for (const [k, v] of o.dict) {
          out.push('<En>');
          this.value(k, 'Key', depth + 1);
          this.value(v, 'Value', depth + 1);
          out.push('</En>');
        }
        out.push('</DCT>');
      }
    }
    for (const [tag, props] of [['Props', o.adapted], ['MS', o.extended]] as const) {
      if (!props.size) continue;
      out.push(`<${tag}>`);
      for (const [k, v] of props) this.value(v, k, depth + 1);
      out.push(`</${tag}>`);
    }
    out.push('</Obj>');
  }
}

/**
 * One value as a CLIXML element without namespace (the data of a PSRP message).
 * PowerShell: the serializer behind PSSerializer::Serialize, for a single object.
 */
export function serialize(value: Serializable, options: SerializeOptions = {}): string {
  const w = new Writer(options.maxDepth ?? 100);
  w.value(value, undefined, 0);
  return w.out.join('');
}

/**
 * Values as an `<Objs>` document sharing one RefId table.
 * PowerShell: [System.Management.Automation.PSSerializer]::Serialize (one value) / Export-Clixml.
 */
export function serializeObjs(values: readonly Serializable[], options: SerializeOptions = {}): string {
  const w = new Writer(options.maxDepth ?? 100);
  for (const v of values) w.value(v, undefined, 0);
  return `<Objs Version="1.1.0.1" xmlns="${CLIXML_NS}">${w.out.join('')}</Objs>`;
}
