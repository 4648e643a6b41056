/**
 * Hostile and unusual XML: each is refused with the typed WsmanProtocolError (or accepted where it
 * is legal XML). The per-test timeout is the hang guard; nothing here asserts speed.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeMessage, parseXml, WsmanProtocolError, WsmanError, DEFAULT_XML_LIMITS, type Message } from '../../src/core/index.js';

// A hang guard, generous enough for a loaded 2-core machine (allocating 100 MB there took over 2 s once).
const T = 20_000;
const S = 'http://www.w3.org/2003/05/soap-envelope';
const RSP = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';

function envelope(body: string, extraNs = ''): string {
  return `<s:Envelope xmlns:s="${S}" xmlns:rsp="${RSP}"${extraNs}><s:Header/><s:Body>${body}</s:Body></s:Envelope>`;
}

function receiveResponse(streamContent: string): string {
  return envelope(`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">${streamContent}</rsp:Stream></rsp:ReceiveResponse>`);
}

function refused(input: string | Uint8Array, code: string, charset?: string): WsmanProtocolError {
  let caught: unknown;
  try {
    decodeMessage(input, undefined, charset);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a WsmanProtocolError').toBeInstanceOf(WsmanProtocolError);
  expect((caught as WsmanProtocolError).code).toBe(code);
  return caught as WsmanProtocolError;
}

function stdout(m: Message): string {
  expect(m.body.kind).toBe('ReceiveResponse');
  return m.body.kind === 'ReceiveResponse' ? Buffer.concat(m.body.streams.map((s) => s.data)).toString('utf8') : '';
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('entities and DTDs', () => {
  it('billion laughs is refused as ERR_XML_FORBIDDEN without expansion', { timeout: T }, () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
      ']>',
      envelope('<rsp:Receive><rsp:DesiredStream>&lol9;</rsp:DesiredStream></rsp:Receive>'),
    ].join('\n');
    const err = refused(lol, 'ERR_XML_FORBIDDEN');
    expect(err.message).not.toContain('lollol');
  });

  it('an external entity naming /etc/passwd is refused as ERR_XML_FORBIDDEN and nothing of the file appears', { timeout: T }, () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${receiveResponse('&xxe;')}`;
    const err = refused(xxe, 'ERR_XML_FORBIDDEN');
    let passwd = 'root:x:0:0';
    try {
      passwd = readFileSync('/etc/passwd', 'utf8').split('\n')[0]!.slice(0, 12);
    } catch {
      // no /etc/passwd here: the fixed marker stands in
    }
    expect(`${err.message} ${String(err.cause ?? '')}`).not.toContain(passwd);
    expect(JSON.stringify(err)).not.toContain(passwd);
  });

  it('a parameter entity / external DTD subset is refused', { timeout: T }, () => {
    refused(`<!DOCTYPE x SYSTEM "file:///etc/passwd">${envelope('')}`, 'ERR_XML_FORBIDDEN');
    refused(`<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>${envelope('')}`, 'ERR_XML_FORBIDDEN');
    refused(`<!doctype x>${envelope('')}`, 'ERR_XML_FORBIDDEN');
  });

  it('an undeclared entity reference is refused; the five predefined ones are accepted', { timeout: T }, () => {
    refused(envelope('<rsp:Signal><rsp:Code>&xxe;</rsp:Code></rsp:Signal>'), 'ERR_XML_FORBIDDEN');
    const m = decodeMessage(envelope('<rsp:Signal><rsp:Code>&lt;&gt;&amp;&quot;&apos;</rsp:Code></rsp:Signal>'));
    expect(m.body).toEqual({ kind: 'Signal', code: `<>&"'` });
  });

  it('XInclude is just an unknown element: nothing is fetched or read', { timeout: T }, () => {
    const xml = envelope('<rsp:Signal><rsp:Code>x<xi:include href="file:///etc/passwd" parse="text"/></rsp:Code></rsp:Signal>', ' xmlns:xi="http://www.w3.org/2001/XInclude"');
    expect(decodeMessage(xml).body).toEqual({ kind: 'Signal', code: 'x' });
  });
});

describe('size and shape limits', () => {
  it('a 100 MB body is refused by size before it is decoded or parsed', { timeout: T }, () => {
    // 0xFF is never valid UTF-8: an ERR_XML_LIMIT (not ERR_XML_ENCODING) proves the size check came first
    const body = Buffer.alloc(100 * 1024 * 1024, 0xff);
    const err = refused(body, 'ERR_XML_LIMIT');
    expect(err.fault.wsmanCode).toBe(2150858805);
  });

  it('a string over the size limit is refused as ERR_XML_LIMIT', { timeout: T }, () => {
    const xml = receiveResponse('A'.repeat(DEFAULT_XML_LIMITS.maxBytes + 4));
    refused(xml, 'ERR_XML_LIMIT');
  });

  it('10,000-deep nesting is refused as ERR_XML_LIMIT', { timeout: T }, () => {
    const deep = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
    refused(envelope(deep), 'ERR_XML_LIMIT');
    expect(() => parseXml(deep)).toThrow(WsmanProtocolError);
  });

  it('too many elements and too many attributes are refused as ERR_XML_LIMIT', { timeout: T }, () => {
    refused(envelope('<x/>'.repeat(DEFAULT_XML_LIMITS.maxElements + 1)), 'ERR_XML_LIMIT');
    const attrs = Array.from({ length: DEFAULT_XML_LIMITS.maxAttributes + 1 }, (_, i) => `a${i}="v"`).join(' ');
    refused(envelope(`<x ${attrs}/>`), 'ERR_XML_LIMIT');
  });

  it('caller limits apply', { timeout: T }, () => {
    expect(() => decodeMessage(envelope(''), { maxBytes: 50 })).toThrow(expect.objectContaining({ code: 'ERR_XML_LIMIT' }));
    expect(() => decodeMessage(envelope('<a><b><c/></b></a>'), { maxDepth: 3 })).toThrow(expect.objectContaining({ code: 'ERR_XML_LIMIT' }));
  });
});

describe('encodings', () => {
  it('invalid UTF-8 is refused as ERR_XML_ENCODING', { timeout: T }, () => {
    const good = Buffer.from(receiveResponse(b64('x')));
    for (const bad of [[0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80] /* surrogate */, [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf] /* overlong */]) {
      const at = good.indexOf('<rsp:Stream');
      const broken = Buffer.concat([good.subarray(0, at), Buffer.from(bad), good.subarray(at)]);
      refused(broken, 'ERR_XML_ENCODING');
    }
  });

  it('UTF-16 with a BOM is accepted, little- and big-endian', { timeout: T }, () => {
    const xml = receiveResponse(b64('héllo ☃'));
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    expect(stdout(decodeMessage(le))).toBe('héllo ☃');
    const be = Buffer.from(le);
    be.swap16();
    expect(stdout(decodeMessage(be))).toBe('héllo ☃');
  });

  it('UTF-8 with a BOM, and UTF-16 by declared charset without a BOM, are accepted', { timeout: T }, () => {
    const xml = receiveResponse(b64('ok'));
    expect(stdout(decodeMessage(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)])))).toBe('ok');
    expect(stdout(decodeMessage(Buffer.from(xml, 'utf16le'), undefined, 'utf-16'))).toBe('ok');
  });

  it('UTF-16 with an unpaired surrogate is refused as ERR_XML_ENCODING', { timeout: T }, () => {
    const xml = Buffer.from(receiveResponse('QQ=='), 'utf16le');
    const at = xml.indexOf(Buffer.from('QQ==', 'utf16le'));
    const bad = Buffer.concat([Buffer.from([0xff, 0xfe]), xml.subarray(0, at), Buffer.from([0x00, 0xd8]), xml.subarray(at)]);
    refused(bad, 'ERR_XML_ENCODING');
  });
});

describe('content', () => {
  it('corrupt base64 in a stream is refused as ERR_BAD_BASE64', { timeout: T }, () => {
    for (const bad of ['b3V0IA0K!', 'b3V0IA0', 'b3V0IA0K=====', 'b3V0\u00e9IA0K', '====', 'b3V0IA==0K']) {
      refused(receiveResponse(bad), 'ERR_BAD_BASE64');
    }
  });

  it('base64 split by whitespace and line breaks is accepted', { timeout: T }, () => {
    expect(stdout(decodeMessage(receiveResponse(' b3V0\r\n IA0K\t')))).toBe('out \r\n');
  });

  it('CDATA content is accepted as text', { timeout: T }, () => {
    expect(stdout(decodeMessage(receiveResponse(`<![CDATA[${b64('cdata!')}]]>`)))).toBe('cdata!');
    const m = decodeMessage(envelope('<rsp:CommandLine><rsp:Command><![CDATA[a <b> & c]]></rsp:Command></rsp:CommandLine>'));
    expect(m.body).toMatchObject({ kind: 'CommandLine', command: 'a <b> & c' });
  });

  it('numeric character references are decoded; invalid ones are refused', { timeout: T }, () => {
    const m = decodeMessage(envelope('<rsp:CommandLine><rsp:Command>&#65;&#x42;&#x1F600;&#10;</rsp:Command></rsp:CommandLine>'));
    expect(m.body).toMatchObject({ command: 'AB\u{1F600}\n' });
    for (const bad of ['&#0;', '&#xD800;', '&#x110000;', '&#99999999999;', '&#xZZ;']) {
      expect(() => decodeMessage(envelope(`<rsp:CommandLine><rsp:Command>${bad}</rsp:Command></rsp:CommandLine>`)), bad).toThrow(WsmanProtocolError);
    }
  });

  it('characters XML cannot carry (NUL, C0 controls, U+FFFE, lone surrogates) are refused as ERR_XML_MALFORMED', { timeout: T }, () => {
    for (const c of ['\u0000', '\u0001', '\u001f', '\ufffe', '\ud800', '\udc00']) {
      refused(envelope(`<rsp:CommandLine><rsp:Command>a${c}b</rsp:Command></rsp:CommandLine>`), 'ERR_XML_MALFORMED');
    }
    // tab, CR, LF and a proper surrogate pair are fine
    const m = decodeMessage(envelope('<rsp:CommandLine><rsp:Command>a\tb\u{1F600}</rsp:Command></rsp:CommandLine>'));
    expect(m.body).toMatchObject({ command: 'a\tb\u{1F600}' });
  });

  it('an unbound prefix is refused as ERR_XML_MALFORMED (element and attribute)', { timeout: T }, () => {
    refused(envelope('<q:Thing/>'), 'ERR_XML_MALFORMED');
    refused(envelope('<rsp:Signal q:x="1"><rsp:Code>c</rsp:Code></rsp:Signal>'), 'ERR_XML_MALFORMED');
  });

  it('two roots, trailing junk, text before the root and unclosed tags are refused as ERR_XML_MALFORMED', { timeout: T }, () => {
    refused(envelope('') + envelope(''), 'ERR_XML_MALFORMED');
    refused(`${envelope('')}junk`, 'ERR_XML_MALFORMED');
    refused(`junk${envelope('')}`, 'ERR_XML_MALFORMED');
    refused(envelope('<rsp:Receive>'), 'ERR_XML_MALFORMED');
    refused(envelope('').slice(0, -5), 'ERR_XML_MALFORMED');
    refused('', 'ERR_XML_MALFORMED');
  });

  it('a comment or whitespace after the root is accepted', { timeout: T }, () => {
    expect(decodeMessage(`${envelope('')}\n<!-- trailer -->\n`).body).toEqual({ kind: 'Empty' });
  });

  it('SOAP 1.1 and non-envelope roots are refused as ERR_NOT_ENVELOPE; a missing Body as ERR_NO_BODY', { timeout: T }, () => {
    refused('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>', 'ERR_NOT_ENVELOPE');
    refused('<html><body>500</body></html>', 'ERR_NOT_ENVELOPE');
    refused(`<s:Envelope xmlns:s="${S}"><s:Header/></s:Envelope>`, 'ERR_NO_BODY');
  });

  it('default namespaces and foreign prefixes resolve like Windows prefixes', { timeout: T }, () => {
    const xml = `<Envelope xmlns="${S}"><Header/><Body><ReceiveResponse xmlns="${RSP}"><Stream Name="stdout">${b64('dflt')}</Stream></ReceiveResponse></Body></Envelope>`;
    expect(stdout(decodeMessage(xml))).toBe('dflt');
  });

  it('integer headers must be non-negative safe integers (ERR_BAD_HEADER)', { timeout: T }, () => {
    const withHeader = (h: string): string => `<s:Envelope xmlns:s="${S}" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>${h}</s:Header><s:Body/></s:Envelope>`;
    for (const v of ['-5', '99999999999999999999', '1.5', 'abc', '']) refused(withHeader(`<w:MaxEnvelopeSize>${v}</w:MaxEnvelopeSize>`), 'ERR_BAD_HEADER');
    expect(decodeMessage(withHeader('<w:MaxEnvelopeSize> +153600 </w:MaxEnvelopeSize>')).headers.maxEnvelopeSize).toBe(153600);
  });

  it('every refusal above is a WsmanError with a fault hint', { timeout: T }, () => {
    const err = refused(envelope('<q:x/>'), 'ERR_XML_MALFORMED');
    expect(err).toBeInstanceOf(WsmanError);
    expect(err.fault.wsmanCode).toBe(2150858817);
  });
});
