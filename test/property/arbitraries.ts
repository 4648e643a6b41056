/**
 * fast-check arbitraries for messages of every family, built from arbitrary field values within
 * what XML can carry. Text fields the decoder trims are generated trimmed.
 */
import fc from 'fast-check';
import { normalizeSubcode, type Message, type Headers, type Body, type ShellFields, type EnumerationItem, type ConfigTree } from '../../src/core/index.js';

/** One XML-legal character, biased toward the troublesome ones. */
const xmlChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('<', '>', '&', '"', "'", ' ', '\t', '\n', '\r', ']]>', '&amp;', '&#65;', '-->', '<!--', '\u00a0', '\u2028', '\ufeff', '=', ':', '/') },
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xfffd }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
);

/** Any string XML can carry (whitespace included). */
export const xmlText = fc.string({ unit: xmlChar, maxLength: 24 });
/** A string as the decoder returns trimmed fields. */
export const trimmed = xmlText.map((s) => s.trim());
export const nonEmptyTrimmed = trimmed.filter((s) => s.length > 0);
/** A whitespace-free token (stream names in lists). */
export const token = fc.string({ unit: xmlChar, minLength: 1, maxLength: 12 }).map((s) => s.replace(/\s/g, '')).filter((s) => s.length > 0);
/** An XML NCName (config element names). */
export const ncName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/);
/** Names used as object keys: include the awkward ones. */
const keyName = fc.oneof(xmlText, fc.constantFrom('__proto__', 'constructor', 'toString', '1234', 'ShellId'));
const record = (value: fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> => fc.dictionary(keyName, value, { maxKeys: 4 });

const ms = fc.nat({ max: 10 * 365 * 86_400_000 });
const wholeSeconds = fc.nat({ max: 10 * 365 * 86_400 }).map((s) => s * 1000);
const u32 = fc.nat({ max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));

function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined });
}

/** Drop undefined properties (decoders never set them). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const headersArb: fc.Arbitrary<Headers> = fc
  .record({
    to: optional(trimmed), replyTo: optional(trimmed), action: optional(trimmed), messageId: optional(trimmed),
    relatesTo: optional(trimmed), resourceUri: optional(trimmed), maxEnvelopeSize: optional(u32), operationTimeout: optional(ms),
    locale: optional(xmlText), localeMustUnderstand: optional(fc.constant(true as const)),
    dataLocale: optional(xmlText), dataLocaleMustUnderstand: optional(fc.constant(true as const)),
    sessionId: optional(trimmed),
    selectors: optional(record(trimmed)),
    options: optional(fc.array(fc.record({ name: xmlText, value: xmlText, mustComply: optional(fc.boolean()), type: optional(xmlText) }).map(compact), { maxLength: 3 })),
    optionSetMustUnderstand: optional(fc.constant(true as const)),
    operationId: optional(trimmed), operationIdMustUnderstand: optional(fc.constant(true as const)),
    sequenceId: optional(u32), activityId: optional(trimmed), compressionType: optional(trimmed),
  })
  .map((h) => {
    const out = compact(h);
    // the mustUnderstand flags only exist beside their header
    if (out.locale === undefined) delete out.localeMustUnderstand;
    if (out.dataLocale === undefined) delete out.dataLocaleMustUnderstand;
    if (out.options === undefined) delete out.optionSetMustUnderstand;
    if (out.operationId === undefined) delete out.operationIdMustUnderstand;
    return out;
  });

export const shellArb: fc.Arbitrary<ShellFields> = fc
  .record({
    shellId: optional(trimmed), requestedShellId: optional(xmlText), name: optional(trimmed), resourceUri: optional(trimmed),
    owner: optional(trimmed), clientIp: optional(trimmed), processId: optional(u32), environment: optional(record(xmlText)),
    workingDirectory: optional(xmlText), lifetime: optional(ms), idleTimeOut: optional(ms),
    inputStreams: optional(fc.array(token, { maxLength: 3 })), outputStreams: optional(fc.array(token, { maxLength: 3 })),
    maxIdleTimeOut: optional(ms), locale: optional(trimmed), dataLocale: optional(trimmed), compressionMode: optional(trimmed),
    profileLoaded: optional(trimmed), encoding: optional(trimmed), bufferMode: optional(fc.constantFrom('Block' as const, 'Drop' as const)),
    state: optional(trimmed), shellRunTime: optional(wholeSeconds), shellInactivity: optional(wholeSeconds), memoryUsed: optional(trimmed),
    childProcesses: optional(u32), creationXml: optional(trimmed),
  })
  .map(compact);

const stream = fc.record({ name: xmlText, commandId: optional(xmlText), end: optional(fc.boolean()), data: bytes }).map(compact);

const itemArb: fc.Arbitrary<EnumerationItem> = fc.oneof(
  shellArb.map((shell) => ({ kind: 'Shell' as const, shell })),
  fc.record({ kind: fc.constant('Command' as const), commandId: trimmed, commandLine: xmlText, commandState: trimmed }),
);

const configArb: fc.Arbitrary<ConfigTree> = fc.letrec<{ tree: ConfigTree }>((tie) => ({
  tree: fc.dictionary(ncName, fc.oneof({ depthSize: 'small', withCrossShrink: true }, trimmed, tie('tree').filter((t) => Object.keys(t as object).length > 0)), { minKeys: 1, maxKeys: 4 }) as fc.Arbitrary<ConfigTree>,
})).tree;

const faultArb = fc
  .record({
    soapCode: fc.constantFrom('Sender', 'Receiver'),
    subcode: optional(ncName.map((l) => normalizeSubcode(`w:${l}`))),
    reason: trimmed,
    faultDetail: optional(trimmed),
    wsmanCode: optional(u32),
    machine: optional(xmlText),
    message: optional(trimmed),
  })
  .map(compact);

export const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  fc.constant({ kind: 'Empty' as const }),
  fc.constant({ kind: 'Identify' as const }),
  fc.record({ kind: fc.constant('IdentifyResponse' as const), protocolVersion: trimmed, productVendor: trimmed, productVersion: trimmed, securityProfiles: optional(fc.array(trimmed, { maxLength: 3 })) }).map(compact),
  shellArb.map((shell) => ({ kind: 'Shell' as const, shell })),
  fc.record({ kind: fc.constant('ResourceCreated' as const), address: trimmed, resourceUri: optional(trimmed), selectors: optional(record(trimmed)), shell: optional(shellArb) }).map(compact),
  fc.record({ kind: fc.constant('CommandLine' as const), commandId: optional(xmlText), command: xmlText, arguments: fc.array(xmlText, { maxLength: 3 }) }).map(compact),
  fc.record({ kind: fc.constant('CommandResponse' as const), commandId: nonEmptyTrimmed }),
  fc.record({ kind: fc.constant('Send' as const), streams: fc.array(stream, { maxLength: 3 }) }),
  fc.constantFrom({ kind: 'SendResponse' as const }, { kind: 'SignalResponse' as const }),
  fc.record({ kind: fc.constant('Receive' as const), sequenceId: optional(u32), commandId: optional(xmlText), streams: fc.array(token, { maxLength: 3 }) }).map(compact),
  fc.record({
    kind: fc.constant('ReceiveResponse' as const), sequenceId: optional(u32), streams: fc.array(stream, { maxLength: 3 }),
    commandState: optional(fc.record({ commandId: optional(xmlText), state: fc.oneof(fc.constantFrom('Done', 'Running', 'Pending'), trimmed), exitCode: optional(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })) }).map(compact)),
  }).map(compact),
  fc.record({ kind: fc.constant('Signal' as const), commandId: optional(xmlText), code: nonEmptyTrimmed }).map(compact),
  fc.record({ kind: fc.constant('Disconnect' as const), idleTimeOut: optional(ms), bufferMode: optional(fc.constantFrom('Block' as const, 'Drop' as const)) }).map(compact),
  fc.record({ kind: fc.constant('Reconnect' as const), commandId: optional(xmlText), bufferMode: optional(fc.constantFrom('Block' as const, 'Drop' as const)) }).map(compact),
  fc.record({ kind: fc.constant('Connect' as const), commandId: optional(xmlText), bufferMode: optional(fc.constantFrom('Block' as const, 'Drop' as const)), connectXml: optional(trimmed) }).map(compact),
  fc.record({ kind: fc.constant('ConnectResponse' as const), inputStreams: optional(fc.array(token, { maxLength: 3 })), outputStreams: optional(fc.array(token, { maxLength: 3 })), connectResponseXml: optional(trimmed) }).map(compact),
  fc.record({ kind: fc.constant('Enumerate' as const), optimize: optional(fc.constant(true as const)), maxElements: optional(u32), filterDialect: optional(xmlText), filterSelectors: optional(record(trimmed)), enumerationMode: optional(trimmed) }).map(compact),
  fc.record({ kind: fc.constant('EnumerateResponse' as const), context: trimmed, items: optional(fc.array(itemArb, { maxLength: 3 })), endOfSequence: optional(fc.constant(true as const)) }).map(compact),
  fc.record({ kind: fc.constant('Pull' as const), context: trimmed, maxElements: optional(u32) }).map(compact),
  fc.record({ kind: fc.constant('PullResponse' as const), context: optional(trimmed), items: fc.array(itemArb, { maxLength: 3 }), endOfSequence: optional(fc.constant(true as const)) }).map(compact),
  fc.record({ kind: fc.constant('Release' as const), context: trimmed }),
  configArb.map((config) => ({ kind: 'Config' as const, config })),
  faultArb.map((fault) => ({ kind: 'Fault' as const, fault })),
) as fc.Arbitrary<Body>;

export const messageArb: fc.Arbitrary<Message> = fc.record({ headers: headersArb, body: bodyArb });
export const roleArb = fc.constantFrom('request' as const, 'response' as const);
