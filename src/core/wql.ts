/**
 * WQL, the subset a listener evaluates over its own instances (MS-WMI §2.2.1 WQL grammar, the
 * data-query part): `SELECT * | Prop[, Prop...] FROM Class [WHERE condition]`, the condition
 * built from comparisons (`=`, `<>`, `!=`, `<`, `>`, `<=`, `>=`), `LIKE` (`%`, `_`), `IS [NOT]
 * NULL`, `AND`, `OR`, `NOT` and parentheses; literals are strings ('…' or "…", `\` escapes),
 * integers and decimals, TRUE, FALSE, NULL. Keywords, property and class names and string
 * comparisons are case-insensitive, as in WMI.
 *
 * Everything else WMI knows (ASSOCIATORS OF, REFERENCES OF, ISA, WITHIN, GROUP BY, HAVING,
 * KEYSONLY, `[…]` in LIKE) is refused with WqlError code ERR_WQL_UNSUPPORTED; text that is not
 * WQL at all with ERR_WQL_SYNTAX. Both are peer input to a listener: they carry the fault to
 * answer (wsen:CannotProcessFilter).
 */
import { WsmanProtocolError } from './errors.js';

/** ERROR_WSMAN_CANNOTPROCESS_FILTER (wsmerror.h 0x8033801A): the filter could not be processed. */
export const CANNOT_PROCESS_FILTER = 2150858778;

/** A WQL query we cannot take: `code` is ERR_WQL_SYNTAX or ERR_WQL_UNSUPPORTED. */
export class WqlError extends WsmanProtocolError {
  /** Offset in the query where the problem was found. */
  readonly offset: number;
  constructor(code: 'ERR_WQL_SYNTAX' | 'ERR_WQL_UNSUPPORTED', message: string, offset: number) {
    super(code, message, { wsmanCode: CANNOT_PROCESS_FILTER, detail: message });
    this.name = 'WqlError';
    this.offset = offset;
  }
}

export type WqlLiteral = string | number | boolean | null;
export type WqlCondition =
  | { op: 'and' | 'or'; left: WqlCondition; right: WqlCondition }
  | { op: 'not'; operand: WqlCondition }
  | { op: '=' | '<>' | '<' | '>' | '<=' | '>='; property: string; value: WqlLiteral }
  | { op: 'like'; property: string; pattern: string; negated: boolean }
  | { op: 'isnull'; property: string; negated: boolean };

export interface WqlQuery {
  /** Property names, or undefined for `*`. */
  properties?: string[];
  className: string;
  where?: WqlCondition;
}

type Token = { kind: 'word' | 'string' | 'number' | 'op' | 'punct'; text: string; value?: string | number; at: number };

const UNSUPPORTED = new Set(['ASSOCIATORS', 'REFERENCES', 'ISA', 'WITHIN', 'GROUP', 'HAVING', 'KEYSONLY', 'BY', 'ORDER']);
const MAX_QUERY = 16 * 1024;
const MAX_DEPTH = 64;

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const at = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < q.length && /[\w.]/.test(q[i]!)) i++;
      out.push({ kind: 'word', text: q.slice(at, i), at });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(q[i + 1] ?? '') && !/number|string|word/.test(out[out.length - 1]?.kind ?? ''))) {
      i++;
      while (i < q.length && /[0-9.]/.test(q[i]!)) i++;
      const text = q.slice(at, i);
      if (!/^-?\d+(\.\d+)?$/.test(text)) throw new WqlError('ERR_WQL_SYNTAX', `'${text}' is not a number`, at);
      out.push({ kind: 'number', text, value: Number(text), at });
    } else if (c === '\'' || c === '"') {
      i++;
      let s = '';
      for (;;) {
        if (i >= q.length) throw new WqlError('ERR_WQL_SYNTAX', 'a string is not closed', at);
        const d = q[i]!;
        if (d === '\\' && i + 1 < q.length) { s += q[i + 1]; i += 2; continue; }
        if (d === c) { i++; break; }
        s += d;
        i++;
      }
      out.push({ kind: 'string', text: q.slice(at, i), value: s, at });
    } else if (/[<>=!]/.test(c)) {
      const two = q.slice(i, i + 2);
      const op = ['<>', '!=', '<=', '>='].includes(two) ? two : c;
      if (op === '!') throw new WqlError('ERR_WQL_SYNTAX', `unexpected '!' at ${at}`, at);
      i += op.length;
      out.push({ kind: 'op', text: op === '!=' ? '<>' : op, at });
    } else if (c === '(' || c === ')' || c === ',' || c === '*') {
      i++;
      out.push({ kind: 'punct', text: c, at });
    } else {
      throw new WqlError('ERR_WQL_SYNTAX', `unexpected character '${c}' at ${at}`, at);
    }
  }
  return out;
}

/** Parse a WQL data query. Throws WqlError. */
export function parseWql(query: string): WqlQuery {
  if (query.length > MAX_QUERY) throw new WqlError('ERR_WQL_UNSUPPORTED', `a query of ${query.length} characters is longer than ${MAX_QUERY}`, 0);
  const assoc = /^\s*(ASSOCIATORS|REFERENCES)\s+OF\b/i.exec(query);
  if (assoc) throw new WqlError('ERR_WQL_UNSUPPORTED', `${assoc[1]!.toUpperCase()} OF is not supported (only SELECT … FROM … WHERE)`, 0);
  const t = tokenize(query);
  let p = 0;
  const peek = (): Token | undefined => t[p];
  const isWord = (w: string, tok = peek()): boolean => tok?.kind === 'word' && tok.text.toUpperCase() === w;
  const fail = (what: string): never => {
    const tok = peek();
    if (tok?.kind === 'word' && UNSUPPORTED.has(tok.text.toUpperCase())) {
      throw new WqlError('ERR_WQL_UNSUPPORTED', `${tok.text.toUpperCase()} is not supported (only SELECT … FROM … WHERE)`, tok.at);
    }
    throw new WqlError('ERR_WQL_SYNTAX', `expected ${what} ${tok ? `at '${tok.text}' (${tok.at})` : 'at the end'}`, tok?.at ?? query.length);
  };
  const word = (): string => {
    const tok = peek();
    if (tok?.kind !== 'word' || ['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'LIKE', 'IS', 'NULL'].includes(tok.text.toUpperCase())) return fail('a name');
    p++;
    return tok.text;
  };
  if (!isWord('SELECT')) fail('SELECT');
  p++;
  let properties: string[] | undefined;
  if (peek()?.text === '*' && peek()?.kind === 'punct') p++;
  else {
    properties = [word()];
    while (peek()?.text === ',') {
      p++;
      properties.push(word());
    }
  }
  if (!isWord('FROM')) fail('FROM');
  p++;
  const className = word();
  let where: WqlCondition | undefined;
  if (isWord('WHERE')) {
    p++;
    where = orExpr(0);
  }
  if (p < t.length) fail('the end of the query');
  const q: WqlQuery = { className };
  if (properties) q.properties = properties;
  if (where) q.where = where;
  return q;

  function orExpr(depth: number): WqlCondition {
    let left = andExpr(depth);
    while (isWord('OR')) {
      p++;
      left = { op: 'or', left, right: andExpr(depth) };
    }
    return left;
  }
  function andExpr(depth: number): WqlCondition {
    let left = notExpr(depth);
    while (isWord('AND')) {
      p++;
      left = { op: 'and', left, right: notExpr(depth) };
    }
    return left;
  }
  function notExpr(depth: number): WqlCondition {
    if (depth > MAX_DEPTH) throw new WqlError('ERR_WQL_UNSUPPORTED', `conditions nested deeper than ${MAX_DEPTH}`, peek()?.at ?? 0);
    if (isWord('NOT')) {
      p++;
      return { op: 'not', operand: notExpr(depth + 1) };
    }
    if (peek()?.text === '(' && peek()?.kind === 'punct') {
      p++;
      const inner = orExpr(depth + 1);
      if (peek()?.text !== ')') fail("')'");
      p++;
      return inner;
    }
    return comparison();
  }
  function literal(): WqlLiteral {
    const tok = peek();
    if (tok?.kind === 'string' || tok?.kind === 'number') {
      p++;
      return tok.value!;
    }
    if (isWord('TRUE')) { p++; return true; }
    if (isWord('FALSE')) { p++; return false; }
    if (isWord('NULL')) { p++; return null; }
    return fail('a value');
  }
  function comparison(): WqlCondition {
    const first = peek();
    if (first?.kind === 'string' || first?.kind === 'number' || isWord('TRUE') || isWord('FALSE')) {
      // `value op Property`: turned around.
      const value = literal();
      const op = peek();
      if (op?.kind !== 'op') return fail('a comparison operator');
      p++;
      const property = word();
      const flip: Record<string, '=' | '<>' | '<' | '>' | '<=' | '>='> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
      return { op: flip[op.text]!, property, value };
    }
    const property = word();
    if (isWord('IS')) {
      p++;
      let negated = false;
      if (isWord('NOT')) { p++; negated = true; }
      if (!isWord('NULL')) fail('NULL');
      p++;
      return { op: 'isnull', property, negated };
    }
    let negated = false;
    if (isWord('NOT')) { p++; negated = true; }
    if (isWord('LIKE')) {
      p++;
      const tok = peek();
      if (tok?.kind !== 'string') return fail('a string pattern');
      p++;
      const pattern = tok.value as string;
      if (/[[\]^]/.test(pattern)) throw new WqlError('ERR_WQL_UNSUPPORTED', 'LIKE with [ ] character sets is not supported (only % and _)', tok.at);
      return { op: 'like', property, pattern, negated };
    }
    if (negated) fail('LIKE');
    const op = peek();
    if (op?.kind !== 'op') return fail('a comparison operator');
    p++;
    return { op: op.text as '=', property, value: literal() };
  }
}

/** A property by name, case-insensitively. */
function lookup(instance: Readonly<Record<string, unknown>>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const k of Object.keys(instance)) if (k.toLowerCase() === lower) return instance[k];
  return undefined;
}

function compare(a: unknown, b: WqlLiteral): number | undefined {
  if (a === undefined || a === null || b === null) return undefined;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
    const y = typeof b === 'number' ? b : typeof b === 'string' && b.trim() !== '' ? Number(b) : NaN;
    if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = typeof a === 'boolean' ? a : String(a).toLowerCase() === 'true';
    const y = typeof b === 'boolean' ? b : String(b).toLowerCase() === 'true';
    return x === y ? 0 : x ? 1 : -1;
  }
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * LIKE (`%` any run, `_` one character, case-insensitive) by dynamic programming over pattern and
 * text: linear in their product whatever the pattern (a regular expression built from
 * `%a%a%a…` would backtrack for ever on a mismatch).
 */
export function wqlLike(pattern: string, text: string): boolean {
  const p = [...pattern.toLowerCase()];
  const t = [...text.toLowerCase()];
  // row[j]: p[0..i) matches t[0..j)
  let row = new Uint8Array(t.length + 1);
  row[0] = 1;
  for (const c of p) {
    const next = new Uint8Array(t.length + 1);
    if (c === '%') {
      let any = 0;
      for (let j = 0; j <= t.length; j++) {
        any |= row[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 1; j <= t.length; j++) next[j] = row[j - 1]! & (c === '_' || t[j - 1] === c ? 1 : 0);
    }
    row = next;
  }
  return row[t.length] === 1;
}

/** Whether an instance (a flat object of property values) satisfies a condition. */
export function wqlMatches(where: WqlCondition | undefined, instance: Readonly<Record<string, unknown>>): boolean {
  if (!where) return true;
  switch (where.op) {
    case 'and': return wqlMatches(where.left, instance) && wqlMatches(where.right, instance);
    case 'or': return wqlMatches(where.left, instance) || wqlMatches(where.right, instance);
    case 'not': return !wqlMatches(where.operand, instance);
    case 'isnull': {
      const v = lookup(instance, where.property);
      return (v === null || v === undefined) !== where.negated;
    }
    case 'like': {
      const v = lookup(instance, where.property);
      if (v === null || v === undefined) return false;
      return wqlLike(where.pattern, String(v)) !== where.negated;
    }
    default: {
      const c = compare(lookup(instance, where.property), where.value);
      if (c === undefined) return false;
      switch (where.op) {
        case '=': return c === 0;
        case '<>': return c !== 0;
        case '<': return c < 0;
        case '>': return c > 0;
        case '<=': return c <= 0;
        case '>=': return c >= 0;
      }
    }
  }
  return false;
}

/** The selected properties of an instance (all for `*`), with the instance's own spelling. */
export function wqlProject<T>(query: WqlQuery, instance: Readonly<Record<string, T>>): Record<string, T> {
  if (!query.properties) return { ...instance };
  const wanted = new Set(query.properties.map((p) => p.toLowerCase()));
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(instance)) if (wanted.has(k.toLowerCase())) out[k] = v;
  return out;
}
