/** The Receive loop's envelope template (src/client/receive.ts) writes exactly what the encoder writes. */
import { describe, it, expect } from 'vitest';
import { WsmanClient, newMessageId, type RequestOptions } from '../../src/client/client.js';
import { receiveTemplate } from '../../src/client/receive.js';
import { encodeEnvelope } from '../../src/core/envelope.js';
import { encodeBody } from '../../src/core/messages/index.js';
import { Action, ResourceURI } from '../../src/core/namespaces.js';
import { WsmanFaultError } from '../../src/core/errors.js';

describe('receiveTemplate', () => {
  it('gives the encoder\'s envelope for any MessageID and SequenceId, and follows a MaxEnvelopeSize change', () => {
    const client = new WsmanClient({ endpoint: { connectionUri: 'http://127.0.0.1:5985/wsman' }, credential: { username: 'u', password: 'p' }, authentication: 'basic', allowUnencrypted: true, maxEnvelopeSize: 512_000 });
    const opts: RequestOptions = { resourceUri: ResourceURI.Cmd, selectors: { ShellId: 'A-B' }, options: [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'TRUE' }], operationTimeout: 20_000 };
    const target = { client, resourceUri: ResourceURI.Cmd, shellId: 'A-B', commandId: '1234-5678', onData: () => undefined };
    const template = receiveTemplate(target, ['stdout', 'stderr'], opts);
    const expected = (id: string, seq: number): string => encodeEnvelope(client.requestHeaders(Action.Receive, id, opts),
      encodeBody({ kind: 'Receive', sequenceId: seq, commandId: '1234-5678', streams: ['stdout', 'stderr'] }), 'request');
    for (const seq of [0, 1, 2, 99, 987654321, 4294967295]) {
      const id = newMessageId();
      expect(template(id, seq)).toBe(expected(id, seq));
    }
    expect(template(newMessageId(), 1)).toContain('512000');
    // A server refusing 512000 makes the client fall back to 153600: the template follows.
    const refused = new WsmanFaultError({ soapCode: 'Sender', subcode: 'w:EncodingLimit', reason: 'MaxEnvelopeSize too large', wsmanCode: 2150858823 });
    expect(client.shrinkEnvelope(refused)).toBe(true);
    const id = newMessageId();
    expect(template(id, 7)).toBe(expected(id, 7));
    expect(template(id, 7)).toContain('153600');
  });
});
