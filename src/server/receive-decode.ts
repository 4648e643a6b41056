/**
 * The listener's shortcut for the Receive loop: a client streaming output sends the same Receive
 * envelope again and again, only its MessageID and SequenceId changing. The last one decoded is
 * kept as a shape (its text around those two values, and its message); a request whose text is
 * the same shape is answered with a copy of that message carrying its own two values, without
 * parsing the XML again (the parse was a tenth of the listener's CPU per Receive at 153600).
 *
 * A shape is kept only when the full decoder read those two values from exactly the places cut
 * out (each name appears only there), and a hit only takes values made of characters that carry
 * no markup (a `uuid:` MessageID, a decimal SequenceId): the same text around them then parses
 * the same way. Anything else goes through the full decoder.
 */
import { decodeMessage, type Headers, type Message, type ReceiveBody } from '../core/index.js';

/** Where a body's MessageID text (a..ae) and SequenceId value (b..be) are, and those values. */
interface Cut {
  a: number;
  ae: number;
  b: number;
  be: number;
  id: string;
  seq: string;
}

interface Shape extends Cut {
  bytes: Buffer;
  charset: string | undefined;
  message: Message;
}

const ID_RE = /^uuid:[0-9A-Fa-f-]{1,64}$/;
const SEQ_RE = /^(?:0|[1-9][0-9]{0,8})$/;
const ID_OPEN = Buffer.from('MessageID>', 'latin1');
const SEQ_OPEN = Buffer.from('SequenceId="', 'latin1');

/** Cut the body at its MessageID element's text and its SequenceId attribute's value. */
function cut(body: Buffer): Cut | undefined {
  const m = body.indexOf(ID_OPEN);
  if (m < 0) return undefined;
  const a = m + ID_OPEN.length;
  const ae = body.indexOf(0x3c, a);
  if (ae < 0 || ae - a > 80) return undefined;
  const s = body.indexOf(SEQ_OPEN, ae);
  if (s < 0) return undefined;
  const b = s + SEQ_OPEN.length;
  const be = body.indexOf(0x22, b);
  if (be < 0 || be - b > 10) return undefined;
  const id = body.toString('latin1', a, ae);
  const seq = body.toString('latin1', b, be);
  if (!ID_RE.test(id) || !SEQ_RE.test(seq)) return undefined;
  return { a, ae, b, be, id, seq };
}

/** Whether the body equals the shape's bytes outside the two values. */
function sameShape(body: Buffer, c: Cut, s: Shape): boolean {
  return body.length - (c.be - c.b) - (c.ae - c.a) === s.bytes.length - (s.be - s.b) - (s.ae - s.a)
    && c.a === s.a && c.b - c.ae === s.b - s.ae
    && body.compare(s.bytes, 0, s.a, 0, c.a) === 0
    && body.compare(s.bytes, s.ae, s.b, c.ae, c.b) === 0
    && body.compare(s.bytes, s.be, s.bytes.length, c.be, body.length) === 0;
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
}

/** Whether the full decoder's message took its two values from the cut's places and nowhere else. */
function fits(text: string, c: Cut, message: Message): boolean {
  const h = message.headers;
  if (message.body.kind !== 'Receive' || h.unknown !== undefined || h.invalid !== undefined || h.notUnderstood !== undefined) return false;
  if (h.messageId !== c.id || message.body.sequenceId !== Number(c.seq)) return false;
  const lower = text.toLowerCase();
  return count(lower, 'messageid') === 2 && count(lower, 'sequenceid') === 1;
}

/** A Receive message of its own (a handler may change it), with these two values. */
function copy(m: Message, messageId: string, sequenceId: number): Message {
  const h = m.headers;
  const headers: Headers = { ...h, messageId };
  if (h.selectors) headers.selectors = { ...h.selectors };
  if (h.options) headers.options = h.options.map((o) => ({ ...o }));
  const b = m.body as ReceiveBody;
  return { headers, body: { ...b, streams: [...b.streams], sequenceId } };
}

/** Decodes requests like dispatch does, with the Receive shortcut; one per listener. */
export class RequestDecoder {
  private shape: Shape | undefined;
  /** Requests answered by the shortcut (for tests). */
  hits = 0;

  /** Decode a request body (throws as decodeMessage does). */
  decode(body: Buffer, maxBytes: number, charset: string | undefined): Message {
    const c = body.length <= 16384 ? cut(body) : undefined;
    const s = this.shape;
    if (c && s && s.charset === charset && sameShape(body, c, s)) {
      this.hits++;
      return copy(s.message, c.id, Number(c.seq));
    }
    const message = decodeMessage(body, { maxBytes: Math.max(maxBytes, body.length) }, charset);
    if (c && fits(body.toString('latin1'), c, message)) {
      this.shape = { ...c, bytes: Buffer.from(body), charset, message: copy(message, c.id, Number(c.seq)) };
    }
    return message;
  }
}
