/**
 * The encoder's shortcuts (names checked once and remembered; the writer's string building) refuse
 * and accept exactly what the exact checks do, and the string and bytes encoders agree.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, encodeMessageBytes, Action, type Message } from '../../src/core/index.js';
import { reqHeaders } from './samples.js';

const cmd = (command: string): Message => ({
  headers: reqHeaders(Action.Command),
  body: { kind: 'CommandLine', commandId: 'ID', command, arguments: [command] },
});

const config = (name: string): Message => ({ headers: {}, body: { kind: 'Config', config: { [name]: 'v' } } });

describe('encoder shortcuts', () => {
  it('accepts the characters at the edges of what XML carries (surrogate pairs, U+E000, U+FFFD, U+D7FF), strings and bytes alike', () => {
    for (const v of ['\u{1F600}', 'a\u{10FFFF}b', '\ue000', '\ufffd', '\ud7ff', '\u00e9\u{1F600}\t\n']) {
      const m = cmd(v);
      const xml = encodeMessage(m, 'request');
      expect(decodeMessage(xml).body).toMatchObject({ command: v, arguments: [v] });
      expect(encodeMessageBytes(m, 'request').equals(Buffer.from(xml, 'utf8'))).toBe(true);
    }
  });

  it('refuses a lone surrogate beside a valid pair, either side', () => {
    for (const v of ['\u{1F600}\ud800', '\udc00\u{1F600}', '\u{1F600}\ud83d', '\ude00x']) {
      expect(() => encodeMessage(cmd(v), 'request')).toThrow(expect.objectContaining({ code: 'ERR_XML_CHAR' }));
    }
  });

  it('keeps refusing a bad name every time, and a good name once written does not let a bad one through', () => {
    expect(() => encodeMessage(config('Good_1'), 'response')).not.toThrow();
    for (let i = 0; i < 3; i++) {
      for (const name of ['Good_1 x', 'Good_1>', 'x><y']) {
        expect(() => encodeMessage(config(name), 'response')).toThrow(expect.objectContaining({ code: 'ERR_XML_NAME' }));
      }
    }
  });

  it('checks every name once more than 512 distinct ones were written (the memory is bounded)', () => {
    for (let i = 0; i < 600; i++) expect(encodeMessage(config(`N${i}`), 'response')).toContain(`N${i}`);
    expect(() => encodeMessage(config('N1 x'), 'response')).toThrow(expect.objectContaining({ code: 'ERR_XML_NAME' }));
  });
});
