/**
 * The JS model of CLIXML values (MS-PSRP 2.2.5). What JS represents exactly stays plain: S is a
 * string, B a boolean, I32 a number, Nil null, BA a Uint8Array. Every other primitive keeps its
 * CLIXML type in a PSPrimitive (a Db 1.0 must not come back as an I32 1, an I64 needs a bigint, a
 * decimal keeps its digits, a DateTime its ticks and kind). Complex objects are PSObjects that keep
 * their type names, ToString, adapted (Props) and extended (MS) properties and their collection.
 */

/** Tags of the primitive elements kept in a PSPrimitive (MS-PSRP 2.2.5.1). */
export type PrimitiveTag =
  | 'C' | 'By' | 'SB' | 'I16' | 'U16' | 'U32' | 'I64' | 'U64' | 'Sg' | 'Db' | 'D'
  | 'DT' | 'TS' | 'G' | 'URI' | 'Version' | 'XD' | 'SBK' | 'SS';

/** The JS value each PrimitiveTag carries. */
export interface PrimitiveValues {
  /** [char]: one UTF-16 code unit. */ C: number;
  /** [byte] */ By: number;
  /** [sbyte] */ SB: number;
  /** [int16] */ I16: number;
  /** [uint16] */ U16: number;
  /** [uint32] */ U32: number;
  /** [int64] */ I64: bigint;
  /** [uint64] */ U64: bigint;
  /** [single]: a float32 value. */ Sg: number;
  /** [double] */ Db: number;
  /** [decimal]: its text, digits and sign kept (`-1.5`, `79228162514264337593543950335`). */ D: string;
  /** [datetime] */ DT: PSDateTime;
  /** [timespan]: ticks of 100 ns. */ TS: bigint;
  /** [guid]: lowercase text. */ G: string;
  /** [uri] */ URI: string;
  /** [version]: `1.2.3.4`. */ Version: string;
  /** [xml]: the document's outer XML text. */ XD: string;
  /** [scriptblock]: its text. */ SBK: string;
  /** [securestring]: the encrypted payload as sent (base64 or hex), opaque here. */ SS: string;
}

/** A CLIXML primitive JS cannot carry exactly on its own. `valueOf()` gives the JS value. */
export class PSPrimitive<T extends PrimitiveTag = PrimitiveTag> {
  constructor(
    readonly tag: T,
    readonly value: PrimitiveValues[T],
  ) {}
  valueOf(): PrimitiveValues[T] {
    return this.value;
  }
  toJSON(): unknown {
    const v = this.value as unknown;
    return typeof v === 'bigint' ? v.toString() : v instanceof PSDateTime ? v.toString() : v;
  }
}

/** How a DateTime was kinded in .NET: its text ends in `Z` (Utc), `+hh:mm` (Local) or nothing. */
export type DateTimeKind = 'Utc' | 'Local' | 'Unspecified';

const TICKS_PER_MS = 10_000n;
/** Ticks from 0001-01-01 to 1970-01-01. */
export const UNIX_EPOCH_TICKS = 621_355_968_000_000_000n;

/**
 * A .NET DateTime: wall-clock ticks (100 ns since 0001-01-01 in its own zone), its kind, and for
 * Local the UTC offset it was written with. [datetime] in PowerShell.
 */
export class PSDateTime {
  constructor(
    readonly ticks: bigint,
    readonly kind: DateTimeKind = 'Utc',
    /** Minutes east of UTC; only meaningful for Local. */
    readonly offsetMinutes = 0,
  ) {}

  /** A JS Date as a Utc DateTime (JS dates have millisecond precision). */
  static fromDate(d: Date): PSDateTime {
    return new PSDateTime(BigInt(d.getTime()) * TICKS_PER_MS + UNIX_EPOCH_TICKS, 'Utc');
  }

  /** The instant as a JS Date (sub-millisecond ticks dropped; Unspecified read as UTC). */
  toDate(): Date {
    const utcTicks = this.ticks - UNIX_EPOCH_TICKS - (this.kind === 'Local' ? BigInt(this.offsetMinutes) * 60_000n * TICKS_PER_MS : 0n);
    return new Date(Number(utcTicks / TICKS_PER_MS));
  }

  toString(): string {
    return formatDateTime(this);
  }
}

/** Registered by text.ts to avoid an import cycle. */
let formatDateTime: (d: PSDateTime) => string = (d) => String(d.ticks);
export function setDateTimeFormatter(f: (d: PSDateTime) => string): void {
  formatDateTime = f;
}

/** System.Management.Automation.ProgressRecord as CLIXML's `PR` element (MS-PSRP 2.2.5.1.25 note). */
export interface PSProgressRecordFields {
  activity: string;
  activityId: number;
  currentOperation: string | null;
  parentActivityId: number;
  percentComplete: number;
  /** ProgressRecordType: Processing or Completed. */
  recordType: string;
  secondsRemaining: number;
  statusDescription: string;
}

/** A ProgressRecord serialized natively (`<PR>`). Write-Progress makes these. */
export class PSProgressRecord implements PSProgressRecordFields {
  activity: string;
  activityId: number;
  currentOperation: string | null;
  parentActivityId: number;
  percentComplete: number;
  recordType: string;
  secondsRemaining: number;
  statusDescription: string;
  constructor(f: PSProgressRecordFields) {
    this.activity = f.activity;
    this.activityId = f.activityId;
    this.currentOperation = f.currentOperation;
    this.parentActivityId = f.parentActivityId;
    this.percentComplete = f.percentComplete;
    this.recordType = f.recordType;
    this.secondsRemaining = f.secondsRemaining;
    this.statusDescription = f.statusDescription;
  }
}

/** Collection elements of an Obj (MS-PSRP 2.2.5.2.6): list, enumerable, stack, queue. */
export type ListKind = 'LST' | 'IE' | 'STK' | 'QUE';

/** Any value CLIXML carries. */
export type PSValue =
  | null
  | string
  | boolean
  | number
  | Uint8Array
  | PSPrimitive
  | PSProgressRecord
  | PSObject;

/**
 * A complex object (`<Obj>`, MS-PSRP 2.2.5.2): PowerShell's PSObject. `typeNames` most derived
 * first (empty when the Obj had none); `value` is the wrapped primitive (a DateTime for Get-Date,
 * the I32 of an enum) or, as Windows sometimes writes, a wrapped object; `list` or `dict` its collection; `adapted` the Props, `extended` the MS.
 * The same PSObject met twice in a graph is one instance (`<Ref>`), also when deserialized.
 */
export class PSObject {
  typeNames: string[];
  /** The `<ToString>` text, when the sender gave one. */
  toStringText: string | undefined;
  value: PSValue | undefined;
  listKind: ListKind | undefined;
  list: PSValue[] | undefined;
  /** A dictionary's entries in order (keys may be any value). */
  dict: Array<[PSValue, PSValue]> | undefined;
  readonly adapted: Map<string, PSValue>;
  readonly extended: Map<string, PSValue>;

  constructor(init: {
    typeNames?: string[];
    toStringText?: string;
    value?: PSValue;
    listKind?: ListKind;
    list?: PSValue[];
    dict?: Array<[PSValue, PSValue]>;
    adapted?: Iterable<[string, PSValue]>;
    extended?: Iterable<[string, PSValue]>;
  } = {}) {
    this.typeNames = init.typeNames ?? [];
    this.toStringText = init.toStringText;
    this.value = init.value;
    this.list = init.list;
    this.listKind = init.list ? (init.listKind ?? 'LST') : init.listKind;
    this.dict = init.dict;
    this.adapted = new Map(init.adapted ?? []);
    this.extended = new Map(init.extended ?? []);
  }

  /** A property by name: extended first, then adapted (PowerShell's member lookup order). */
  get(name: string): PSValue | undefined {
    return this.extended.has(name) ? this.extended.get(name) : this.adapted.get(name);
  }

  /** A dictionary entry by a string key. */
  entry(key: string): PSValue | undefined {
    return this.dict?.find(([k]) => k === key)?.[1];
  }

  toString(): string {
    if (this.toStringText !== undefined) return this.toStringText;
    if (this.value !== undefined && this.value !== null) return String(this.value);
    return this.typeNames[0] ?? 'PSObject';
  }
}

/** Shorthands for building typed values to send. PowerShell casts in their names. */
export const ps = {
  char: (c: string | number) => new PSPrimitive('C', typeof c === 'string' ? c.charCodeAt(0) : c),
  byte: (n: number) => new PSPrimitive('By', n),
  sbyte: (n: number) => new PSPrimitive('SB', n),
  int16: (n: number) => new PSPrimitive('I16', n),
  uint16: (n: number) => new PSPrimitive('U16', n),
  uint32: (n: number) => new PSPrimitive('U32', n),
  int64: (n: bigint | number) => new PSPrimitive('I64', BigInt(n)),
  uint64: (n: bigint | number) => new PSPrimitive('U64', BigInt(n)),
  single: (n: number) => new PSPrimitive('Sg', Math.fround(n)),
  double: (n: number) => new PSPrimitive('Db', n),
  decimal: (text: string) => new PSPrimitive('D', text),
  datetime: (d: Date | PSDateTime) => new PSPrimitive('DT', d instanceof Date ? PSDateTime.fromDate(d) : d),
  timespan: (ticks: bigint) => new PSPrimitive('TS', ticks),
  guid: (g: string) => new PSPrimitive('G', g.toLowerCase()),
  uri: (u: string) => new PSPrimitive('URI', u),
  version: (v: string) => new PSPrimitive('Version', v),
  xml: (x: string) => new PSPrimitive('XD', x),
  scriptBlock: (s: string) => new PSPrimitive('SBK', s),
  secureString: (payload: string) => new PSPrimitive('SS', payload),
};
