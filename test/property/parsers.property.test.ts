/**
 * Fuzzing the small parsers: parseDuration, parseXml with arbitrary and XML-shaped strings, and
 * base64-bearing fields (stream content). Each either succeeds or fails in its typed way.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDuration, formatTimeout, formatDurationShort, parseXml, decodeMessage, WsmanProtocolError } from '../../src/core/index.js';

const RUNS = Number(process.env.FC_RUNS ?? 1000);

function protocolErrorOrValue<T>(f: () => T): T | WsmanProtocolError {
  try {
    return f();
  } catch (err) {
    if (err instanceof WsmanProtocolError) return err;
    throw new Error(`threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
  }
}

describe('parseDuration', () => {
  const durationish = fc.string({ unit: fc.constantFrom('P', 'T', 'Y', 'M', 'W', 'D', 'H', 'S', '-', '.', '0', '1', '5', '9', ' ', 'e', '+'), maxLength: 16 });

  it('never throws; returns undefined or a finite whole number of milliseconds', { timeout: 10_000 }, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), durationish), (s) => {
        const ms = parseDuration(s);
        if (ms !== undefined) {
          expect(Number.isFinite(ms)).toBe(true);
          expect(Number.isInteger(ms)).toBe(true);
          expect(s.trim()).toMatch(/^-?P/);
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('formatTimeout and formatDurationShort parse back to the same milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (ms) => {
        expect(parseDuration(formatTimeout(ms))).toBe(ms);
        expect(parseDuration(formatDurationShort(ms))).toBe(ms);
      }),
      { numRuns: RUNS },
    );
  });

  it('any composed xs:duration parses to the sum of its parts', () => {
    fc.assert(
      fc.property(fc.nat({ max: 400 }), fc.nat({ max: 100 }), fc.nat({ max: 100 }), fc.nat({ max: 100_000 }), (d, h, m, sMillis) => {
        const secs = `${Math.floor(sMillis / 1000)}.${String(sMillis % 1000).padStart(3, '0')}`;
        expect(parseDuration(`P${d}DT${h}H${m}M${secs}S`)).toBe(((d * 24 + h) * 60 + m) * 60_000 + sMillis);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parseXml', () => {
  const PIECES = ['<a>', '</a>', '<b x="1">', '<b x=\'&amp;\'>', '</b>', '<c/>', 'text', ' ', '&amp;', '&lt;', '&#65;', '&#x0;', '&bogus;', '&',
    '<![CDATA[x<y]]>', '<!--c-->', '<?pi x?>', '<p:d xmlns:p="urn:p"/>', '<q:e/>', '<f xmlns="urn:d"><g/></f>', '<h a="1" a="2"/>', '<i a=1/>',
    '<!DOCTYPE d>', '<!ENTITY e "x">', '>', '"', '<', '/>', '</', 'xmlns:z="u"', '<j xml:lang="en"/>', '\u00e9', '\ufeff', '\r\n'];
  const xmlish = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join(''));

  it('arbitrary strings: a tree or WsmanProtocolError, never another error', { timeout: 15_000 }, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), xmlish), (s) => {
        const r = protocolErrorOrValue(() => parseXml(s));
        if (!(r instanceof WsmanProtocolError)) expect(typeof r.name).toBe('string');
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('arbitrary bytes: a tree or WsmanProtocolError', { timeout: 10_000 }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        protocolErrorOrValue(() => parseXml(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('XML-shaped strings that parse have every prefix resolved to a namespace', { timeout: 10_000 }, () => {
    let parsed = 0;
    fc.assert(
      fc.property(xmlish, (s) => {
        const r = protocolErrorOrValue(() => parseXml(s));
        if (r instanceof WsmanProtocolError) return;
        parsed++;
        const walk = (e: typeof r): void => {
          if (e.prefix) expect(e.ns).not.toBe('');
          e.children.forEach(walk);
        };
        walk(r);
      }),
      { numRuns: RUNS * 3 },
    );
    expect(parsed).toBeGreaterThan(0);
  });
});

describe('base64-bearing fields', () => {
  const S = 'http://www.w3.org/2003/05/soap-envelope';
  const RSP = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';
  const wrap = (content: string): string =>
    `<s:Envelope xmlns:s="${S}" xmlns:rsp="${RSP}"><s:Body><rsp:ReceiveResponse><rsp:Stream Name="stdout">${content}</rsp:Stream></rsp:ReceiveResponse></s:Body></s:Envelope>`;
  const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

  it('random bytes as base64 (with line breaks anywhere) decode to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, breaks) => {
        let b64 = Buffer.from(bytes).toString('base64');
        for (const at of breaks) {
          const i = at % (b64.length + 1);
          b64 = `${b64.slice(0, i)}\r\n ${b64.slice(i)}`;
        }
        const m = decodeMessage(wrap(b64));
        expect(m.body.kind === 'ReceiveResponse' && m.body.streams[0]!.data).toEqual(Buffer.from(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary stream text decodes exactly when it is strict base64, else ERR_BAD_BASE64 (or another protocol error)', () => {
    const b64ish = fc.string({ unit: fc.constantFrom('A', 'b', '0', '+', '/', '=', ' ', '\n', '-', '_', '.', '!', 'é'), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(b64ish, fc.string({ maxLength: 24 })), (text) => {
        const r = protocolErrorOrValue(() => decodeMessage(wrap(escape(text))));
        const compact = text.replace(/\s+/g, '');
        const strict = compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
        if (r instanceof WsmanProtocolError) {
          if (r.code === 'ERR_BAD_BASE64') expect(strict).toBe(false);
        } else {
          expect(strict).toBe(true);
          expect(r.body.kind === 'ReceiveResponse' && r.body.streams[0]!.data).toEqual(Buffer.from(compact, 'base64'));
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
