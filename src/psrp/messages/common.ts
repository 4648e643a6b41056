/**
 * What the message families share: building the property bags MS-PSRP messages are made of
 * (2.2.5.2.9 extended properties on an Obj without type names), enums (2.2.5.2.? an Obj with the
 * enum's type names, ToString and I32), and reading them back with typed errors.
 */
import { PSObject, PSPrimitive, type PSValue } from '../clixml/model.js';
import type { Serializable } from '../clixml/serialize.js';
import { PsrpProtocolError } from '../errors.js';

/** An enum value as PowerShell sends it: the number and the name its ToString gave. */
export interface PSEnum {
  value: number;
  name: string;
}

const ENUM_BASES = ['System.Enum', 'System.ValueType', 'System.Object'];

/** `<Obj><TN><T>type</T><T>System.Enum</T>…</TN><ToString>name</ToString><I32>value</I32></Obj>` */
export function enumObject(type: string, e: PSEnum): PSObject {
  return new PSObject({ typeNames: [type, ...ENUM_BASES], toStringText: e.name, value: e.value });
}

/** An Obj with no type names whose properties are extended (MS), in the given order. */
export function bag(props: Array<[string, Serializable] | undefined | false>): PSObject {
  const o = new PSObject();
  for (const p of props) if (p) o.extended.set(p[0], p[1] as PSValue);
  return o;
}

/** A list Obj with the given type names. */
export function listObject(typeNames: string[], list: Serializable[]): PSObject {
  return new PSObject({ typeNames, listKind: 'LST', list: list as PSValue[] });
}

export function bad(what: string, message: string): PsrpProtocolError {
  return new PsrpProtocolError('ERR_PSRP_MESSAGE', `${what}: ${message}`);
}

/** Reads the properties of one message object, naming the message in its errors. */
export class Reader {
  readonly obj: PSObject;
  constructor(readonly what: string, value: PSValue) {
    if (!(value instanceof PSObject)) throw bad(what, 'the data is not an object');
    this.obj = value;
  }

  /** A property (extended, then adapted; names compared without case, as PowerShell does). */
  opt(name: string): PSValue | undefined {
    const o = this.obj;
    if (o.extended.has(name)) return o.extended.get(name);
    if (o.adapted.has(name)) return o.adapted.get(name);
    const lower = name.toLowerCase();
    for (const m of [o.extended, o.adapted]) for (const [k, v] of m) if (k.toLowerCase() === lower) return v;
    return undefined;
  }

  has(name: string): boolean {
    return this.opt(name) !== undefined;
  }

  any(name: string): PSValue {
    const v = this.opt(name);
    if (v === undefined) throw bad(this.what, `property ${name} is missing`);
    return v;
  }

  str(name: string): string {
    const v = this.any(name);
    if (typeof v !== 'string') throw bad(this.what, `property ${name} is not a string`);
    return v;
  }

  strOrNull(name: string): string | null {
    const v = this.opt(name);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw bad(this.what, `property ${name} is not a string`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.any(name);
    if (typeof v !== 'boolean') throw bad(this.what, `property ${name} is not a boolean`);
    return v;
  }

  int(name: string): number {
    const v = this.any(name);
    if (typeof v === 'number') return v;
    if (v instanceof PSObject && typeof v.value === 'number') return v.value;
    throw bad(this.what, `property ${name} is not an Int32`);
  }

  /** An I64 (call ids); an I32 is accepted too. */
  long(name: string): bigint {
    const v = this.any(name);
    if (typeof v === 'number') return BigInt(v);
    if (v instanceof PSPrimitive && (v.tag === 'I64' || v.tag === 'U32' || v.tag === 'I16')) return BigInt(v.value as number | bigint);
    throw bad(this.what, `property ${name} is not an Int64`);
  }

  version(name: string): string {
    const v = this.any(name);
    if (v instanceof PSPrimitive && v.tag === 'Version') return v.value as string;
    if (typeof v === 'string') return v;
    throw bad(this.what, `property ${name} is not a Version`);
  }

  enum(name: string): PSEnum {
    const v = this.any(name);
    if (typeof v === 'number') return { value: v, name: String(v) };
    if (v instanceof PSObject && typeof v.value === 'number') return { value: v.value, name: v.toStringText ?? String(v.value) };
    throw bad(this.what, `property ${name} is not an enum`);
  }

  /** A list Obj's items. */
  list(name: string): PSValue[] {
    const v = this.any(name);
    if (v instanceof PSObject && v.list) return v.list;
    throw bad(this.what, `property ${name} is not a list`);
  }

  object(name: string): PSObject {
    const v = this.any(name);
    if (!(v instanceof PSObject)) throw bad(this.what, `property ${name} is not an object`);
    return v;
  }
}

/** PowerShell's RemoteHostMethodId, PSInvocationState and RunspacePoolState names, for display. */
export const RunspacePoolState = ['BeforeOpen', 'Opening', 'Opened', 'Closed', 'Closing', 'Broken', 'NegotiationSent', 'NegotiationSucceeded', 'Connecting', 'Disconnected'] as const;
export const PSInvocationState = ['NotStarted', 'Running', 'Stopping', 'Stopped', 'Completed', 'Failed', 'Disconnected'] as const;
