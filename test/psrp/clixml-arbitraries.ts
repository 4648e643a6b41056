/**
 * fast-check arbitraries for CLIXML values. `faithfulValue` stays within what PowerShell gives back
 * unchanged after its own deserialize -> serialize (it rehydrates or renames other shapes: arrays
 * become ArrayLists, unknown type names gain `Deserialized.`, script blocks become strings, secure strings need the
 * session key, Local
 * DateTimes move to its own zone). `anyValue` is everything our model can hold, for our own round trip.
 */
import fc from 'fast-check';
import { PSDateTime, PSObject, PSPrimitive, PSProgressRecord, type PSValue } from '../../src/psrp/clixml/index.js';

const MAX_TICKS = 3_155_378_975_999_999_999n;

/** Strings with the characters 2.2.5.3.2 escapes: controls, surrogates (also lone), `_x` sequences. */
const tricky = fc.constantFrom('_x', '_X', '_x0041_', '_x005F_', '\t', '\r', '\n', '\r\n', '\u0000', '\u0085', '\u{1F600}', '\ud800', '\udfff', '&', '<', ']]>', ' ', '"', '\ufffe');
export const anyString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.array(fc.oneof(tricky, fc.string({ maxLength: 3, unit: 'binary' })), { maxLength: 8 }).map((a) => a.join('')),
);
/** PowerShell's serializer throws on U+FFFE and U+FFFF (it reads our `_xFFFE_` fine): kept out of live batches. */
export const psString = anyString.map((s) => s.replace(/[\ufffe\uffff]/g, '?'));
const int32 = fc.integer({ min: -2147483648, max: 2147483647 });

const decimal = fc.tuple(fc.bigInt({ min: -(2n ** 96n) + 1n, max: 2n ** 96n - 1n }), fc.integer({ min: 0, max: 28 })).map(([m, scale]) => {
  const neg = m < 0n;
  const digits = (neg ? -m : m).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return new PSPrimitive('D', (neg ? '-' : '') + text);
});

const dateTime = (local: fc.Arbitrary<number>): fc.Arbitrary<PSPrimitive> =>
  fc.tuple(fc.bigInt({ min: 0n, max: MAX_TICKS }), fc.constantFrom('Utc', 'Local', 'Unspecified' as const), local)
    .map(([t, kind, off]) => new PSPrimitive('DT', new PSDateTime(t, kind, kind === 'Local' ? off : 0)));

const version = fc.array(fc.integer({ min: 0, max: 2147483647 }), { minLength: 2, maxLength: 4 }).map((p) => new PSPrimitive('Version', p.join('.')));

const progress = fc.record({
  activity: psString.filter((s) => s.trim().length > 0),
  activityId: fc.integer({ min: 0, max: 2147483647 }),
  currentOperation: fc.option(psString.filter((s) => s !== ""), { nil: null }), // PowerShell writes "" as Nil
  parentActivityId: fc.integer({ min: -1, max: 2147483647 }),
  percentComplete: fc.integer({ min: -1, max: 100 }),
  recordType: fc.constantFrom('Processing', 'Completed'),
  secondsRemaining: fc.integer({ min: -1, max: 2147483647 }),
  statusDescription: psString.filter((s) => s.trim().length > 0),
}).filter((f) => f.parentActivityId !== f.activityId).map((f) => new PSProgressRecord(f));

/** Primitives PowerShell keeps as they are. */
export const faithfulPrimitive: fc.Arbitrary<PSValue> = fc.oneof(
  psString,
  fc.boolean(),
  int32,
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
  fc.integer({ min: 0, max: 65535 }).map((n) => new PSPrimitive('C', n)),
  fc.integer({ min: 0, max: 255 }).map((n) => new PSPrimitive('By', n)),
  fc.integer({ min: -128, max: 127 }).map((n) => new PSPrimitive('SB', n)),
  fc.integer({ min: -32768, max: 32767 }).map((n) => new PSPrimitive('I16', n)),
  fc.integer({ min: 0, max: 65535 }).map((n) => new PSPrimitive('U16', n)),
  fc.integer({ min: 0, max: 4294967295 }).map((n) => new PSPrimitive('U32', n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => new PSPrimitive('I64', n)),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => new PSPrimitive('U64', n)),
  fc.float().map((n) => new PSPrimitive('Sg', n)),
  fc.double().map((n) => new PSPrimitive('Db', n)),
  decimal,
  dateTime(fc.constant(0)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => new PSPrimitive('TS', n)),
  fc.uuid().map((g) => new PSPrimitive('G', g)),
  fc.constantFrom('http://example.com/', 'https://host.example/a/b?c=d&e=f', 'urn:isbn:0451450523', 'file:///tmp/x').map((u) => new PSPrimitive('URI', u)),
  version,
  fc.constantFrom('<a />', '<a b="1">t &amp; u</a>', '<r><c>1</c><c>2</c></r>').map((x) => new PSPrimitive('XD', x)),
  progress,
);

const typeNameSuffix = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,8}(\.[A-Z][A-Za-z0-9]{0,8}){0,2}$/);
const propName = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('_x0041_', 'a b', '<&>', 'Key', 'Value', '__proto__'));

/**
 * A property name as PowerShell's member collections compare it (OrdinalIgnoreCase: each character
 * upper-cased by its simple mapping). PowerShell keeps one of two properties of one set (`<Props>` or
 * `<MS>`) whose names differ only in case ("T" and "t"), so live batches keep such names apart;
 * clixml-live.test.ts shows PowerShell doing it. Hashtable keys stay case-sensitive.
 */
export function memberKey(name: string): string {
  let out = '';
  for (const unit of name) {
    const up = unit.toUpperCase();
    out += up.length === unit.length ? up : unit;
  }
  return out;
}

/** Objects PowerShell keeps: `Deserialized.*` type names with properties, and top-level collections of primitives. */
export const faithfulValue: fc.Arbitrary<PSValue> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, faithfulPrimitive, tie('obj'), tie('collection')),
  obj: fc.record({
    typeNames: fc.array(typeNameSuffix, { minLength: 1, maxLength: 3 }).map((t) => [...t.map((x) => `Deserialized.${x}`), 'Deserialized.System.Object']),
    toStringText: fc.option(psString, { nil: undefined }),
    adapted: fc.uniqueArray(fc.tuple(propName, fc.oneof(faithfulPrimitive, tie('obj'))), { maxLength: 4, selector: ([k]) => memberKey(k) }),
    extended: fc.uniqueArray(fc.tuple(propName, fc.oneof(faithfulPrimitive, tie('obj'))), { maxLength: 4, selector: ([k]) => memberKey(k) }),
  }).map((r) => new PSObject(r as ConstructorParameters<typeof PSObject>[0])),
  collection: fc.oneof(
    fc.tuple(fc.constantFrom(['System.Collections.ArrayList', 'LST'], ['System.Collections.Stack', 'STK'], ['System.Collections.Queue', 'QUE']), fc.array(faithfulPrimitive, { maxLength: 5 }))
      .map(([[t, kind], list]) => new PSObject({ typeNames: [t!, 'System.Object'], listKind: kind as 'LST', list })),
    fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), faithfulPrimitive), { maxLength: 5, selector: ([k]) => k })
      .map((dict) => new PSObject({ typeNames: ['System.Collections.Hashtable', 'System.Object'], dict })),
  ),
})).value as fc.Arbitrary<PSValue>;

/** Everything the model holds (any type names, base values, collections anywhere, shared objects). */
export const anyValue: fc.Arbitrary<PSValue> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, faithfulPrimitive, dateTime(fc.integer({ min: -14 * 60, max: 14 * 60 })).filter((p) => {
    const dt = p.value as PSDateTime;
    return dt.ticks > 864_000_000_000n && dt.ticks < MAX_TICKS - 864_000_000_000n;
  }), anyString, fc.string().map((s) => new PSPrimitive('SBK', s)),
    fc.stringMatching(/^[0-9a-f]{0,40}$/).map((s) => new PSPrimitive('SS', s)), tie('obj')),
  obj: fc.record({
    typeNames: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    toStringText: fc.option(psString, { nil: undefined }),
    content: fc.oneof(
      fc.constant({}),
      faithfulPrimitive.map((value) => ({ value })),
      tie('obj').map((value) => ({ value })), // an Obj wrapping an Obj, as Windows writes for some adapted objects
      fc.tuple(fc.constantFrom('LST', 'IE', 'STK', 'QUE' as const), fc.array(tie('value'), { maxLength: 3 })).map(([listKind, list]) => ({ listKind, list })),
      fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((dict) => ({ dict })),
    ),
    adapted: fc.uniqueArray(fc.tuple(propName, tie('value')), { maxLength: 3, selector: ([k]) => k }),
    extended: fc.uniqueArray(fc.tuple(propName, tie('value')), { maxLength: 3, selector: ([k]) => k }),
  }).map(({ content, ...r }) => new PSObject({ ...r, ...content } as ConstructorParameters<typeof PSObject>[0])),
})).value as fc.Arbitrary<PSValue>;
