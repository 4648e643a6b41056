/** Encoder details: whitespace a conforming parser would normalise, characters XML cannot carry, header marks. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, responseHeaders, Action, WsmanUsageError, type Message, type EnumerationItem } from '../../src/core/index.js';
import { prewritten } from '../../src/core/xml.js';
import { encodeShell, encodeCommandItem } from '../../src/core/messages/shell.js';
import { reqHeaders } from './samples.js';

const cmd = (command: string, commandId = 'ID'): Message => ({
  headers: reqHeaders(Action.Command),
  body: { kind: 'CommandLine', commandId, command, arguments: [command] },
});

describe('encoder', () => {
  it('writes CR as &#xD; so it survives line-end normalisation, and round-trips CR, LF and TAB', () => {
    const value = 'a\r\nb\rc\td\ne';
    const xml = encodeMessage(cmd(value), 'request');
    expect(xml).not.toMatch(/\r/);
    expect(xml).toContain('a&#xD;\nb&#xD;c\td\ne');
    expect(decodeMessage(xml).body).toMatchObject({ command: value, arguments: [value] });
  });

  it('writes LF and TAB inside attribute values as references (attribute-value normalisation)', () => {
    const xml = encodeMessage(cmd('x', 'id\n1\t2'), 'request');
    expect(xml).toContain('CommandId="id&#xA;1&#x9;2"');
    expect(decodeMessage(xml).body).toMatchObject({ commandId: 'id\n1\t2' });
  });

  it.each(['\u0000', '\u0007', '\u001b', '\ufffe', '\uffff', '\ud800', 'x\udfff'])('refuses a value holding %j with WsmanUsageError ERR_XML_CHAR', (c) => {
    let caught: unknown;
    try {
      encodeMessage(cmd(`a${c}b`), 'request');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WsmanUsageError);
    expect((caught as WsmanUsageError).code).toBe('ERR_XML_CHAR');
  });

  it('escapes every & even when the value looks like a reference (&amp; &#65; &lt; &foo; are data)', () => {
    for (const v of ['&amp;', '&#65;', '&lt;x', '&foo;', 'a & b', '&#x1F600;']) {
      const xml = encodeMessage(cmd(v, v), 'request');
      expect(xml).toContain(`<rsp:Command>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</rsp:Command>`);
      expect(decodeMessage(xml).body).toMatchObject({ command: v, commandId: v, arguments: [v] });
    }
  });

  it('refuses a config name that is not an XML name with WsmanUsageError ERR_XML_NAME (no markup injection)', () => {
    for (const name of ['a b', 'x><y', '1abc', '']) {
      expect(() => encodeMessage({ headers: {}, body: { kind: 'Config', config: { [name]: 'v' } } }, 'response')).toThrow(
        expect.objectContaining({ name: 'WsmanUsageError', code: 'ERR_XML_NAME' }),
      );
    }
  });

  it('marks request headers mustUnderstand as Windows clients do, and none on responses', () => {
    const req = encodeMessage(cmd('dir'), 'request');
    expect(req).toMatch(/<a:Action s:mustUnderstand="true">/);
    expect(req).toMatch(/<w:ResourceURI s:mustUnderstand="true">/);
    expect(req).toMatch(/<a:Address s:mustUnderstand="true">/);
    expect(req).toMatch(/<w:Locale xml:lang="en-US" s:mustUnderstand="false"\/>/);
    const res = encodeMessage({ headers: responseHeaders(decodeMessage(req).headers, Action.CommandResponse, 'uuid:R'), body: { kind: 'CommandResponse', commandId: 'C' } }, 'response');
    expect(res).not.toContain('mustUnderstand');
    expect(res).toMatch(/^<s:Envelope [^>]*xml:lang="en-US"/);
  });

  it('responseHeaders relates the response to the request and addresses it to anonymous', () => {
    const h = responseHeaders({ messageId: 'uuid:REQ' }, Action.SendResponse, 'uuid:RES', { activityId: 'A' });
    expect(h).toEqual({
      action: Action.SendResponse, messageId: 'uuid:RES', relatesTo: 'uuid:REQ', activityId: 'A',
      to: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous',
    });
  });

  it('declares only the namespace prefixes it uses', () => {
    const xml = encodeMessage({ headers: {}, body: { kind: 'Identify' } }, 'request');
    expect(xml).toMatch(/xmlns:wsmid=/);
    expect(xml).not.toMatch(/xmlns:rsp=/);
    expect(xml).not.toMatch(/xmlns:n=/);
  });

  it('writes prewritten enumeration items (as the listener sizes them) exactly as it writes the items themselves', () => {
    const items: EnumerationItem[] = [
      { kind: 'Shell', shell: { shellId: 'A1', name: 'x&<y>"', environment: { A: '1\r\n' }, creationXml: 'AAAA', state: 'Disconnected', idleTimeOut: 60_000 } },
      { kind: 'Command', shellId: 'A1', commandId: 'C1', commandLine: 'echo "hi" & <b>', commandState: 'Running' },
    ];
    const pull = (its: EnumerationItem[]): string => encodeMessage({ headers: { action: Action.PullResponse }, body: { kind: 'PullResponse', context: 'uuid:1', items: its } }, 'response');
    const raw: EnumerationItem[] = [
      { kind: 'Raw', node: prewritten(encodeShell((items[0] as Extract<EnumerationItem, { kind: 'Shell' }>).shell)) },
      { kind: 'Raw', node: prewritten(encodeCommandItem(items[1] as Extract<EnumerationItem, { kind: 'Command' }>)) },
    ];
    const xml = pull(raw);
    expect(xml).toBe(pull(items));
    // The prefix only the prewritten items use is still declared on the envelope.
    expect(xml).toMatch(/xmlns:rsp=/);
    expect(decodeMessage(xml).body).toEqual(decodeMessage(pull(items)).body);
  });
});
