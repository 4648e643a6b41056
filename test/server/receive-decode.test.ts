import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Action, ANONYMOUS, decodeMessageFull, encodeBody, encodeEnvelope, type Headers, type Message } from '../../src/core/index.js';
import { RequestDecoder } from '../../src/server/receive-decode.js';

const SHELL_URI = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';

interface Shape {
  shellId: string;
  commandId: string | undefined;
  streams: string[];
  keepAlive: boolean;
  timeout: number;
}

function envelope(s: Shape, messageId: string, sequenceId: number | undefined): Buffer {
  const headers: Headers = {
    to: 'http://host:5985/wsman', replyTo: ANONYMOUS, action: Action.Receive, messageId, resourceUri: SHELL_URI,
    maxEnvelopeSize: 153600, operationTimeout: s.timeout, locale: 'en-US', selectors: { ShellId: s.shellId },
    ...(s.keepAlive ? { options: [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'TRUE' }] } : {}),
  };
  const body = encodeBody({ kind: 'Receive', ...(sequenceId !== undefined ? { sequenceId } : {}), ...(s.commandId ? { commandId: s.commandId } : {}), streams: s.streams });
  return Buffer.from(encodeEnvelope(headers, body, 'request'), 'utf8');
}

function full(body: Buffer): Message | Error {
  try {
    return decodeMessageFull(body, { maxBytes: Math.max(153600, body.length) });
  } catch (err) {
    return err as Error;
  }
}

function fast(d: RequestDecoder, body: Buffer): Message | Error {
  try {
    return d.decode(body, 153600, undefined);
  } catch (err) {
    return err as Error;
  }
}

const uuid = fc.uuid().map((u) => `uuid:${u.toUpperCase()}`);
const shape: fc.Arbitrary<Shape> = fc.record({
  shellId: fc.uuid().map((u) => u.toUpperCase()),
  commandId: fc.option(fc.uuid().map((u) => u.toUpperCase()), { nil: undefined }),
  streams: fc.subarray(['stdout', 'stderr', 'pr'], { minLength: 1 }),
  keepAlive: fc.boolean(),
  timeout: fc.integer({ min: 1, max: 60_000 }),
});
/** A MessageID: mostly the client's `uuid:`, sometimes anything (escaped by the encoder). */
const messageId = fc.oneof({ weight: 4, arbitrary: uuid }, { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: fc.constantFrom(...'ab1-:<>&"é ') }) });
const sequenceId = fc.oneof({ weight: 4, arbitrary: fc.nat(1_000_000) }, { weight: 1, arbitrary: fc.constantFrom(undefined, 2 ** 31, Number.MAX_SAFE_INTEGER) });
/** A request of the stream: a new Receive, the same shape again, or the same shape with one byte changed. */
const step = fc.tuple(fc.nat(2), messageId, sequenceId, fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { nil: undefined }));

describe('listener Receive decode shortcut', () => {
  it('decodes every request of a stream as the full decoder does (same shape, new shapes, edited bytes)', () => {
    fc.assert(fc.property(fc.array(shape, { minLength: 1, maxLength: 3 }), fc.array(step, { minLength: 1, maxLength: 30 }), (shapes, steps) => {
      const d = new RequestDecoder();
      for (const [which, id, seq, edit] of steps) {
        let body = envelope(shapes[which % shapes.length]!, id, seq);
        if (edit) {
          body = Buffer.from(body);
          body[edit[0] % body.length] = edit[1];
        }
        const want = full(body);
        const got = fast(d, body);
        if (want instanceof Error) {
          expect(got).toBeInstanceOf(Error);
          expect((got as Error).message).toBe(want.message);
        } else {
          expect(got).toEqual(want);
        }
      }
    }), { numRuns: 300 });
  });

  it('answers a repeated Receive without the full parse, each with its own MessageID and SequenceId', () => {
    const s: Shape = { shellId: 'A1B2C3D4-0000-4000-8000-000000000001', commandId: 'A1B2C3D4-0000-4000-8000-000000000002', streams: ['stdout', 'stderr'], keepAlive: true, timeout: 60000 };
    const d = new RequestDecoder();
    const seen: Message[] = [];
    for (let i = 0; i < 5; i++) seen.push(d.decode(envelope(s, `uuid:00000000-0000-4000-8000-00000000000${i}`, i), 153600, undefined));
    expect(d.hits).toBe(4);
    seen.forEach((m, i) => {
      expect(m.headers.messageId).toBe(`uuid:00000000-0000-4000-8000-00000000000${i}`);
      expect(m.body).toEqual({ kind: 'Receive', sequenceId: i, commandId: s.commandId, streams: ['stdout', 'stderr'] });
    });
    // Each message is its own: changing one leaves the next untouched.
    seen[1]!.headers.selectors!.ShellId = 'changed';
    (seen[1]!.body as { streams: string[] }).streams.push('x');
    const next = d.decode(envelope(s, 'uuid:00000000-0000-4000-8000-000000000009', 9), 153600, undefined);
    expect(next.headers.selectors).toEqual({ ShellId: s.shellId });
    expect(next.body).toEqual({ kind: 'Receive', sequenceId: 9, commandId: s.commandId, streams: ['stdout', 'stderr'] });
  });

  it('takes the full parse for another charset than the shape was decoded with', () => {
    const s: Shape = { shellId: 'S', commandId: 'C', streams: ['stdout'], keepAlive: false, timeout: 5000 };
    const d = new RequestDecoder();
    d.decode(envelope(s, 'uuid:1', 1), 153600, undefined);
    d.decode(envelope(s, 'uuid:2', 2), 153600, 'utf-8');
    expect(d.hits).toBe(0);
  });
});
