/**
 * Envelopes we build match the recorded Windows envelopes structurally: each recorded message is
 * decoded, re-encoded in its role, and the two element trees are compared on (namespace URI,
 * local name), attributes and text. Prefixes and namespace declarations never count.
 *
 * Tolerated differences (the whole list):
 *  1. Request header order: pypsrp writes its headers sorted by name; we write them in the order
 *     Windows' own client does. Response headers are compared in order.
 *  2. Child order inside a request's rsp:Shell: pypsrp writes InputStreams/OutputStreams first; we
 *     write the MS-WSMV ShellType sequence order.
 *  3. rsp:Environment variable order: decoded into a plain object, whose integer-like keys
 *     ("1234") enumerate first.
 *  4. xs:boolean attributes (End, MustComply, mustUnderstand) compare as booleans: pypsrp writes
 *     `True`/`False`, we write `true`/`false`.
 *  5. Text compares with surrounding whitespace trimmed (winrb stubs are pretty-printed; fault
 *     Reason and Message are decoded trimmed, Windows ends them with a space).
 *  6. Durations (IdleTimeOut, Lifetime, MaxIdleTimeOut, OperationTimeout) compare by value:
 *     pypsrp writes `PT60S`, we write Windows' `PT60.000S`.
 *  7. Decode-only parts of nested provider faults: `f:ExtendedError` and an `xml:lang` on the
 *     nested `f:WSManFault` (winrb soap_fault_v1/v2).
 * Not compared: the OMI stubs (not Windows) and winrb wmi_error_v2.xml (an MSFT_WmiError detail,
 * decode-only: we write WSManFault).
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, parseXml, parseDuration, NS, type XmlElement } from '../../src/core/index.js';
import { allRecordedEnvelopes, isInvalidRequest, type RecordedEnvelope } from '../helpers/fixtures.js';

interface Node {
  key: string;
  attrs: string[];
  text: string;
  children: Node[];
}

const BOOLEAN_ATTRS = new Set(['End', 'MustComply', 'mustUnderstand']);
const DURATIONS = new Set(['IdleTimeOut', 'Lifetime', 'MaxIdleTimeOut', 'OperationTimeout']);
const key = (ns: string, name: string): string => `{${ns}}${name}`;

function textValue(e: XmlElement): string {
  const t = e.text.trim(); // (5)
  if (DURATIONS.has(e.name) && (e.ns === NS.rsp || e.ns === NS.w)) return `duration:${parseDuration(t) ?? t}`; // (6)
  return t;
}

function attrValue(name: string, value: string): string {
  if (BOOLEAN_ATTRS.has(name) && /^(true|false|1|0)$/i.test(value.trim())) return String(/^(true|1)$/i.test(value.trim())); // (4)
  return value;
}

function normalize(e: XmlElement, role: 'request' | 'response', parent?: XmlElement): Node {
  const isNestedWsmanFault = e.ns === NS.f && e.name === 'WSManFault' && parent?.name === 'ProviderFault';
  const attrs = e.attrs
    .filter((a) => !(isNestedWsmanFault && a.ns === NS.xml && a.name === 'lang')) // (7)
    .map((a) => `${key(a.ns, a.name)}=${attrValue(a.name, a.value)}`)
    .sort();
  let children = e.children
    .filter((c) => !(c.ns === NS.f && c.name === 'ExtendedError')) // (7)
    .map((c) => normalize(c, role, e));
  const byKey = (a: Node, b: Node): number => (a.key + a.attrs.join() < b.key + b.attrs.join() ? -1 : 1);
  if (role === 'request' && e.ns === NS.s && e.name === 'Header') children = children.sort(byKey); // (1)
  if (role === 'request' && e.ns === NS.rsp && e.name === 'Shell') children = children.sort(byKey); // (2)
  if (e.ns === NS.rsp && e.name === 'Environment') children = children.sort(byKey); // (3)
  return { key: key(e.ns, e.name), attrs, text: textValue(e), children };
}

function diff(a: Node, b: Node, path: string, out: string[]): void {
  const here = `${path}/${a.key}`;
  if (a.key !== b.key) {
    out.push(`${path}: element ${a.key} recorded, ${b.key} built`);
    return;
  }
  if (a.attrs.join('\n') !== b.attrs.join('\n')) out.push(`${here}: attributes [${a.attrs.join(', ')}] recorded, [${b.attrs.join(', ')}] built`);
  if (a.text !== b.text) out.push(`${here}: text '${a.text.slice(0, 80)}' recorded, '${b.text.slice(0, 80)}' built`);
  const n = Math.max(a.children.length, b.children.length);
  for (let i = 0; i < n; i++) {
    const x = a.children[i];
    const y = b.children[i];
    if (!x || !y) out.push(`${here}: child #${i} ${x?.key ?? '(none)'} recorded, ${y?.key ?? '(none)'} built`);
    else diff(x, y, here, out);
  }
}

/** Differences between a recorded envelope and our re-encoding of its decoded message. */
function structuralDiff(e: RecordedEnvelope): string[] {
  const built = encodeMessage(decodeMessage(e.xml), e.role);
  const out: string[] = [];
  diff(normalize(parseXml(e.xml), e.role), normalize(parseXml(built), e.role), '', out);
  return out;
}

const EXCLUDED = new Set(['winrb/wmi_error_v2.xml']);
const windowsRecorded = allRecordedEnvelopes().filter(
  (e) => !isInvalidRequest(e) && !e.file.includes('_omi') && !EXCLUDED.has(e.id),
);

describe('built envelopes match the recorded Windows envelopes structurally', () => {
  it('covers the recordings (all pypsrp envelopes but one, and the Windows winrb stubs)', () => {
    expect(windowsRecorded.filter((e) => e.source === 'pypsrp')).toHaveLength(1040);
    expect(windowsRecorded.filter((e) => e.source === 'winrb').length).toBeGreaterThanOrEqual(9);
  });

  for (const role of ['request', 'response'] as const) {
    it(`every recorded ${role} re-encodes to the same elements, attributes and text`, () => {
      const failures: string[] = [];
      for (const e of windowsRecorded.filter((x) => x.role === role)) {
        const d = structuralDiff(e);
        if (d.length) failures.push(`${e.id}:\n  ${d.slice(0, 5).join('\n  ')}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('the comparison notices a changed value, a missing element and a renamed namespace', () => {
    const e = windowsRecorded.find((x) => x.id === 'pypsrp/test_winrs_stderr_rc.yml#2 response')!;
    const recorded = normalize(parseXml(e.xml), 'response');
    const tamper = (xml: string): string[] => {
      const out: string[] = [];
      diff(recorded, normalize(parseXml(xml), 'response'), '', out);
      return out;
    };
    expect(tamper(e.xml)).toEqual([]);
    expect(tamper(e.xml.replace('<rsp:ExitCode>1<', '<rsp:ExitCode>2<')).length).toBeGreaterThan(0);
    expect(tamper(e.xml.replace(/<rsp:ExitCode>1<\/rsp:ExitCode>/, '')).length).toBeGreaterThan(0);
    expect(tamper(e.xml.replace('xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"', 'xmlns:rsp="urn:other"')).length).toBeGreaterThan(0);
    // and response header order counts
    const swapped = e.xml.replace(/(<a:MessageID>[^<]*<\/a:MessageID>)(<a:To>[^<]*<\/a:To>)/, '$2$1');
    expect(swapped).not.toBe(e.xml);
    expect(tamper(swapped).length).toBeGreaterThan(0);
  });
});
