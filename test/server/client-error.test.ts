/**
 * A request Node's HTTP parser refuses (here: a header line with a space in its name) is answered
 * 400 with Connection: close, and logged at warn with the parser's code: never with what the
 * client sent, whose credentials may be in it.
 */
import { connect } from 'node:net';
import { describe, it, expect } from 'vitest';
import { createLogger } from '../../src/server/log.js';
import { startListener } from './helpers.js';

describe('a request the HTTP parser refuses', () => {
  it('gets 400 and Connection: close, and a warn line with the parser code and no request bytes', async () => {
    const lines: string[] = [];
    const t = await startListener({ logger: createLogger('info', (l) => lines.push(l)) });
    try {
      const port = Number(new URL(t.url).port);
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        let got = '';
        s.on('data', (c: Buffer) => { got += c.toString('latin1'); });
        s.on('end', () => resolve(got));
        s.on('error', reject);
        s.end('POST /wsman HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2VjcmV0LXRva2Vu\r\nBad Header: 1\r\n\r\n');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toContain('Connection: close');
      const warn = lines.filter((l) => l.includes('"bad HTTP request"'));
      expect(warn).toHaveLength(1);
      const rec = JSON.parse(warn[0]!) as Record<string, unknown>;
      expect(rec).toMatchObject({ level: 'warn', status: 400, writable: true });
      expect(String(rec.code)).toMatch(/^HPE_/);
      expect(lines.join('\n')).not.toContain('c2VjcmV0LXRva2Vu');
    } finally {
      await t.stop();
    }
  });
});
