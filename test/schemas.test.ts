/**
 * The XML Schemas in schemas/ against recorded Windows traffic (everything
 * must validate) and against deliberately broken envelopes (each must fail,
 * for the expected reason).
 *
 * All documents of a group are validated in one xmllint run (beforeAll) and
 * the individual tests only look up their results: one run costs about as
 * much as a single document.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  REPO_ROOT,
  validateEnvelope,
  validateEnvelopes,
  assertValidEnvelope,
  type EnvelopeValidation,
} from './helpers/schema.js';

const RECORDED = path.join(REPO_ROOT, 'fixtures', 'windows-recorded');

interface Doc {
  /** file, and for YAML the message index and side, e.g. "x.yml#3 request" */
  id: string;
  file: string;
  xml: string;
}

// ---------------------------------------------------------------------------
// Recorded traffic
// ---------------------------------------------------------------------------

interface PypsrpMessage {
  request?: string | null;
  response?: string | null;
}

function loadPypsrp(): Doc[] {
  const dir = path.join(RECORDED, 'pypsrp');
  const docs: Doc[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml') && f !== '_template.yml').sort()) {
    const parsed = parseYaml(readFileSync(path.join(dir, file), 'utf8')) as { messages?: PypsrpMessage[] };
    (parsed.messages ?? []).forEach((m, i) => {
      for (const side of ['request', 'response'] as const) {
        const xml = m[side];
        if (typeof xml === 'string' && xml.trim() !== '') docs.push({ id: `${file}#${i} ${side}`, file, xml });
      }
    });
  }
  return docs;
}

/** Plausible values for the <%= name %> slots of the WinRb ERB templates. */
function fillErbSlot(name: string): string {
  if (/(^|_)id$/i.test(name)) return '1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D';
  if (/exit|code|count|number/i.test(name)) return '0';
  // stream data: base64 of "hello world\r\n" (varied a little per slot)
  return /stderr/.test(name) ? 'ZXJyb3IgdGV4dA0K' : 'aGVsbG8gd29ybGQNCg==';
}

function loadWinrb(): Doc[] {
  const dir = path.join(RECORDED, 'winrb');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.xml') || f.endsWith('.xml.erb'))
    .sort()
    .map((file) => {
      const raw = readFileSync(path.join(dir, file), 'utf8');
      const xml = raw.replace(/<%=\s*([\w.]+)\s*%>/g, (_, name: string) => fillErbSlot(name));
      return { id: file, file, xml };
    });
}

/**
 * Recorded messages that must NOT validate. Only requests Windows itself
 * refused belong here; every response recorded from Windows must validate.
 */
const EXPECTED_INVALID: Record<string, RegExp> = {
  // pypsrp's test sends OperationTimeout "PT-1S" on purpose (not an
  // xs:duration: the sign goes before the P); Windows answered with a
  // wsa:InvalidMessageInformationHeader fault ("invalid timeout field").
  'test_psrp_is_alive_other_wsman_error.yml#3 request': /OperationTimeout.*PT-1S.*xs:duration/,
};

describe('recorded Windows traffic validates against schemas/', () => {
  const pypsrp = loadPypsrp();
  const winrb = loadWinrb();
  const results = new Map<string, EnvelopeValidation>();

  beforeAll(async () => {
    const all = [...pypsrp, ...winrb];
    const out = await validateEnvelopes(all.map((d) => d.xml));
    all.forEach((d, i) => results.set(d.id, out[i]!));
  });

  it('found the fixtures', () => {
    expect(pypsrp.length).toBeGreaterThan(1000);
    expect(new Set(pypsrp.map((d) => d.file)).size).toBe(66);
    expect(winrb.length).toBe(16);
    expect(winrb.every((d) => !d.xml.includes('<%'))).toBe(true);
  });

  const pypsrpFiles = [...new Set(pypsrp.map((d) => d.file))];
  it.each(pypsrpFiles)('pypsrp/%s', (file) => {
    const failures = pypsrp
      .filter((d) => d.file === file && !(d.id in EXPECTED_INVALID))
      .map((d) => ({ id: d.id, result: results.get(d.id)! }))
      .filter((r) => !r.result.valid)
      .map((r) => `${r.id}:\n  ${r.result.errors.join('\n  ')}`);
    expect(failures).toEqual([]);
  });

  it.each(Object.entries(EXPECTED_INVALID))('%s is rejected (Windows rejected it too)', (id, why) => {
    const result = results.get(id);
    expect(result, `fixture message ${id} not found`).toBeDefined();
    expect(result!.valid).toBe(false);
    expect(result!.errors.join('\n')).toMatch(why);
  });

  it.each(winrb.map((d) => d.id))('winrb/%s', (id) => {
    const result = results.get(id)!;
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Broken envelopes
// ---------------------------------------------------------------------------

const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  x: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
};
const XMLNS = Object.entries(NS)
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(' ');
const ANON = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
const SHELL_ID = 'C4E2A0A1-1B8E-4F0B-9A39-6E6B53C9D5A1';
const COMMAND_ID = '7B8E1A2C-3D4E-4F50-8A6B-7C8D9E0F1A2B';

function envelope(action: string, body: string, extraHeaders = ''): string {
  return (
    `<s:Envelope xml:lang="en-US" ${XMLNS}><s:Header>` +
    `<a:Action>${action}</a:Action><a:MessageID>uuid:0D1E2F30-4152-4637-8899-AABBCCDDEEFF</a:MessageID>` +
    `<a:To>${ANON}</a:To><a:RelatesTo>uuid:11223344-5566-4778-8899-AABBCCDDEEFF</a:RelatesTo>${extraHeaders}` +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

function request(action: string, body: string, extraHeaders = ''): string {
  return (
    `<s:Envelope ${XMLNS}><s:Header>` +
    `<a:To>http://host:5985/wsman</a:To><a:Action s:mustUnderstand="true">${action}</a:Action>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANON}</a:Address></a:ReplyTo>` +
    `<a:MessageID>uuid:0D1E2F30-4152-4637-8899-AABBCCDDEEFF</a:MessageID>` +
    `<w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>` +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>` +
    `<w:Locale xml:lang="en-US" s:mustUnderstand="false"/><p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>` +
    `<w:OperationTimeout>PT20S</w:OperationTimeout>` +
    `<w:SelectorSet><w:Selector Name="ShellId">${SHELL_ID}</w:Selector></w:SelectorSet>${extraHeaders}` +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

const SHELL_RESPONSE = envelope(
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse',
  `<rsp:Shell><rsp:ShellId>${SHELL_ID}</rsp:ShellId>` +
    `<rsp:ResourceUri>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</rsp:ResourceUri>` +
    `<rsp:Owner>vagrant</rsp:Owner><rsp:ClientIP>192.0.2.10</rsp:ClientIP><rsp:ProcessId>4180</rsp:ProcessId>` +
    `<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>` +
    `<rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut>` +
    `<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>` +
    `<rsp:CompressionMode>NoCompression</rsp:CompressionMode><rsp:ProfileLoaded>Yes</rsp:ProfileLoaded>` +
    `<rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode><rsp:State>Connected</rsp:State>` +
    `<rsp:ShellRunTime>P0DT0H0M2S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>` +
    `</rsp:Shell>`,
);

const RECEIVE_RESPONSE = envelope(
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse',
  `<rsp:ReceiveResponse>` +
    `<rsp:Stream Name="stdout" CommandId="${COMMAND_ID}">aGVsbG8NCg==</rsp:Stream>` +
    `<rsp:Stream Name="stdout" CommandId="${COMMAND_ID}" End="true"></rsp:Stream>` +
    `<rsp:CommandState CommandId="${COMMAND_ID}" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done">` +
    `<rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
);

const SEND_REQUEST = request(
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send',
  `<rsp:Send><rsp:Stream Name="stdin" CommandId="${COMMAND_ID}" End="true">ZGlyDQo=</rsp:Stream></rsp:Send>`,
);

const FAULT = envelope(
  'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  `<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request.</s:Text></s:Reason>` +
    `<s:Detail><w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors</w:FaultDetail>` +
    `<f:WSManFault Code="2150858843" Machine="host"><f:Message>The request is invalid.</f:Message></f:WSManFault>` +
    `</s:Detail></s:Fault>`,
);

const SIGNAL_REQUEST = request(
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal',
  `<rsp:Signal CommandId="${COMMAND_ID}"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate</rsp:Code></rsp:Signal>`,
);

interface BrokenCase {
  name: string;
  /** a valid envelope ... */
  valid: string;
  /** ... and what to replace in it to break it */
  from: string | RegExp;
  to: string;
  /** the validation errors must match this */
  error: RegExp;
}

const BROKEN: BrokenCase[] = [
  {
    name: 'rsp:Shell with ShellId after ResourceUri',
    valid: SHELL_RESPONSE,
    from: /(<rsp:ShellId>.*?<\/rsp:ShellId>)(<rsp:ResourceUri>.*?<\/rsp:ResourceUri>)/,
    to: '$2$1',
    error: /ShellId': This element is not expected/,
  },
  {
    name: 'rsp:Shell with ShellRunTime before State',
    valid: SHELL_RESPONSE,
    from: /(<rsp:State>.*?<\/rsp:State>)(<rsp:ShellRunTime>.*?<\/rsp:ShellRunTime>)/,
    to: '$2$1',
    error: /State': This element is not expected/,
  },
  {
    name: 'rsp:Shell with InputStreams after OutputStreams',
    valid: SHELL_RESPONSE,
    from: /(<rsp:InputStreams>.*?<\/rsp:InputStreams>)(<rsp:OutputStreams>.*?<\/rsp:OutputStreams>)/,
    to: '$2$1',
    error: /InputStreams': This element is not expected/,
  },
  {
    name: 'rsp:Shell with an undeclared rsp: element',
    valid: SHELL_RESPONSE,
    from: '<rsp:Owner>',
    to: '<rsp:Colour>red</rsp:Colour><rsp:Owner>',
    error: /Colour': This element is not expected/,
  },
  {
    name: 'non-integer ExitCode',
    valid: RECEIVE_RESPONSE,
    from: '<rsp:ExitCode>0</rsp:ExitCode>',
    to: '<rsp:ExitCode>zero</rsp:ExitCode>',
    error: /ExitCode.*'zero'.*xs:integer/,
  },
  {
    name: 'fractional ExitCode',
    valid: RECEIVE_RESPONSE,
    from: '<rsp:ExitCode>0</rsp:ExitCode>',
    to: '<rsp:ExitCode>1.5</rsp:ExitCode>',
    error: /ExitCode.*'1\.5'.*xs:integer/,
  },
  {
    name: 'IdleTimeOut that is not an xs:duration',
    valid: SHELL_RESPONSE,
    from: '<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>',
    to: '<rsp:IdleTimeOut>7200</rsp:IdleTimeOut>',
    error: /IdleTimeOut.*'7200'.*xs:duration/,
  },
  {
    name: 'CommandState without State',
    valid: RECEIVE_RESPONSE,
    from: / State="[^"]*"/,
    to: '',
    error: /CommandState.*attribute 'State' is required/,
  },
  {
    name: 'CommandState with an unknown State URI',
    valid: RECEIVE_RESPONSE,
    from: 'CommandState/Done',
    to: 'CommandState/Finished',
    error: /CommandState', attribute 'State'/,
  },
  {
    name: 'BufferMode "Foo"',
    valid: SHELL_RESPONSE,
    from: '<rsp:BufferMode>Block</rsp:BufferMode>',
    to: '<rsp:BufferMode>Foo</rsp:BufferMode>',
    error: /BufferMode.*'Foo'/,
  },
  {
    name: 'Stream content that is not base64',
    valid: RECEIVE_RESPONSE,
    from: '>aGVsbG8NCg==<',
    to: '>hello, world!<',
    error: /Stream.*xs:base64Binary/,
  },
  {
    name: 'Send Stream with a non-boolean End',
    valid: SEND_REQUEST,
    from: 'End="true"',
    to: 'End="maybe"',
    error: /Stream', attribute 'End'/,
  },
  {
    name: 'Fault without Code',
    valid: FAULT,
    from: /<s:Code>.*?<\/s:Code>/,
    to: '',
    error: /Reason': This element is not expected\. Expected is \( \{http:\/\/www\.w3\.org\/2003\/05\/soap-envelope\}Code \)/,
  },
  {
    name: 'Fault with a top-level code that SOAP does not define',
    valid: FAULT,
    from: '<s:Value>s:Sender</s:Value>',
    to: '<s:Value>s:Client</s:Value>',
    error: /Value'.*enumeration/,
  },
  {
    name: 'WSManFault with a non-numeric Code',
    valid: FAULT,
    from: 'Code="2150858843"',
    to: 'Code="0x8033805B"',
    error: /WSManFault', attribute 'Code'/,
  },
  {
    name: 'Signal without Code',
    valid: SIGNAL_REQUEST,
    from: /<rsp:Code>.*?<\/rsp:Code>/,
    to: '',
    error: /Signal': Missing child element/,
  },
  {
    name: 'MaxEnvelopeSize of 0',
    valid: SEND_REQUEST,
    from: '>153600<',
    to: '>0<',
    error: /MaxEnvelopeSize.*xs:positiveInteger/,
  },
  {
    name: 'mustUnderstand="yes"',
    valid: SEND_REQUEST,
    from: '<a:Action s:mustUnderstand="true">',
    to: '<a:Action s:mustUnderstand="yes">',
    error: /mustUnderstand.*xs:boolean/,
  },
  {
    name: 'wsman:Locale without xml:lang',
    valid: SEND_REQUEST,
    from: '<w:Locale xml:lang="en-US" ',
    to: '<w:Locale ',
    error: /Locale.*lang' is required/,
  },
  {
    name: 'Selector without Name',
    valid: SEND_REQUEST,
    from: '<w:Selector Name="ShellId">',
    to: '<w:Selector>',
    error: /Selector.*attribute 'Name' is required/,
  },
  {
    name: 'document element that is not a SOAP 1.2 Envelope',
    valid: SHELL_RESPONSE,
    from: /^[\s\S]*<s:Body>(<rsp:Shell)([\s\S]*<\/rsp:Shell>)[\s\S]*$/,
    to: `$1 xmlns:rsp="${NS.rsp}"$2`,
    error: /expected a SOAP 1\.2 Envelope/,
  },
];

describe('schemas/ reject broken envelopes', () => {
  const controls = [...new Set(BROKEN.map((c) => c.valid))];
  const broken = BROKEN.map((c) => {
    const xml = c.valid.replace(c.from, c.to);
    return { ...c, xml };
  });
  let controlResults: EnvelopeValidation[] = [];
  let brokenResults: EnvelopeValidation[] = [];

  beforeAll(async () => {
    const out = await validateEnvelopes([...controls, ...broken.map((b) => b.xml)]);
    controlResults = out.slice(0, controls.length);
    brokenResults = out.slice(controls.length);
  });

  it('the unbroken envelopes validate', () => {
    controlResults.forEach((r) => expect(r.errors).toEqual([]));
    controlResults.forEach((r) => expect(r.valid).toBe(true));
  });

  it.each(broken.map((b, i) => [b.name, i] as const))('%s', (_name, i) => {
    const b = broken[i]!;
    expect(b.xml, 'the replacement did not change the envelope').not.toBe(b.valid);
    const result = brokenResults[i]!;
    expect(result.valid).toBe(false);
    expect(result.errors.join('\n')).toMatch(b.error);
  });
});

// ---------------------------------------------------------------------------
// Helper behaviour
// ---------------------------------------------------------------------------

describe('test/helpers/schema.ts', () => {
  it('validateEnvelope accepts a valid envelope', async () => {
    await expect(validateEnvelope(RECEIVE_RESPONSE)).resolves.toEqual({ valid: true, errors: [] });
  });

  it('assertValidEnvelope throws with the errors listed', async () => {
    const bad = RECEIVE_RESPONSE.replace('<rsp:ExitCode>0<', '<rsp:ExitCode>x<');
    await expect(assertValidEnvelope(bad)).rejects.toThrow(/ExitCode.*'x'.*xs:integer/);
    await expect(assertValidEnvelope(SHELL_RESPONSE)).resolves.toBeUndefined();
  });

  it('reports a document that is not well-formed as invalid, not as a crash', async () => {
    const [bad, good] = await validateEnvelopes([SHELL_RESPONSE.slice(0, -20), SHELL_RESPONSE]);
    expect(bad!.valid).toBe(false);
    expect(bad!.errors.join('\n')).toMatch(/parser error/);
    expect(good).toEqual({ valid: true, errors: [] });
  });

  it('keeps results in order when concurrent calls are batched', async () => {
    const inputs = [SHELL_RESPONSE, FAULT.replace(/<s:Code>.*?<\/s:Code>/, ''), RECEIVE_RESPONSE, '<nope/>'];
    const results = await Promise.all(inputs.map((xml) => validateEnvelope(xml)));
    expect(results.map((r) => r.valid)).toEqual([true, false, true, false]);
  });
});
