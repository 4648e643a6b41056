/**
 * PowerShell's out-of-process transport (`pwsh -s`, `pwsh -NoLogo -s`, SSH and Hyper-V remoting):
 * one XML element per line on stdin/stdout, PSRP fragments in base64.
 *
 *   <Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>AAAAAAAAAAEAAAAAAAAAAAMAAA…</Data>
 *   <DataAck PSGuid='00000000-0000-0000-0000-000000000000' />
 *   <Command PSGuid='…pipeline id…' />     <CommandAck PSGuid='…' />
 *   <Signal PSGuid='…' />                  <SignalAck PSGuid='…' />
 *   <Close PSGuid='…' />                   <CloseAck PSGuid='…' />
 *
 * PSGuid is the pipeline id, or all zeros for the runspace pool. Sans-IO: packets to text and
 * text (in any chunks) to packets.
 */
import { attr, parseXml } from '../core/xml.js';
import { PsrpProtocolError, psrpUsage } from './errors.js';
import { EMPTY_GUID } from './message.js';

export type OutOfProcKind = 'Data' | 'DataAck' | 'Command' | 'CommandAck' | 'Signal' | 'SignalAck' | 'Close' | 'CloseAck';

/** One packet. `data` (fragments) and `stream` only on Data. */
export interface OutOfProcPacket {
  kind: OutOfProcKind;
  psGuid: string;
  stream?: 'Default' | 'PromptResponse';
  data?: Uint8Array;
}

const KINDS = new Set<string>(['Data', 'DataAck', 'Command', 'CommandAck', 'Signal', 'SignalAck', 'Close', 'CloseAck']);
const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A packet as the line PowerShell expects (with its newline). */
export function encodePacket(p: OutOfProcPacket): string {
  if (!KINDS.has(p.kind)) throw psrpUsage(`unknown out-of-process packet ${String(p.kind)}`);
  if (!GUID_RE.test(p.psGuid)) throw psrpUsage(`PSGuid '${p.psGuid.slice(0, 40)}' is not a GUID`);
  const guid = p.psGuid.toLowerCase();
  if (p.kind === 'Data') {
    const b64 = Buffer.from(p.data ?? new Uint8Array(0)).toString('base64');
    return `<Data Stream='${p.stream ?? 'Default'}' PSGuid='${guid}'>${b64}</Data>\n`;
  }
  return `<${p.kind} PSGuid='${guid}' />\n`;
}

/** A pool-level packet's PSGuid. */
export const POOL_GUID = EMPTY_GUID;

/** Splits stdout text into lines and lines into packets. Bad lines are PsrpProtocolErrors. */
export class OutOfProcParser {
  private pending = '';
  constructor(private readonly maxLine = 64 * 1024 * 1024) {}

  push(text: string): OutOfProcPacket[] {
    const buf = this.pending + text;
    const out: OutOfProcPacket[] = [];
    let at = 0;
    let nl: number;
    while ((nl = buf.indexOf('\n', at)) !== -1) {
      const line = buf.slice(at, buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      at = nl + 1;
      if (line.trim()) out.push(decodePacket(line));
    }
    this.pending = at === 0 ? buf : buf.slice(at);
    if (this.pending.length > this.maxLine) throw new PsrpProtocolError('ERR_PSRP_LIMIT', `an out-of-process line longer than ${this.maxLine} characters`);
    return out;
  }
}

const GUID_SRC = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** The exact lines pwsh and encodePacket write: an ack, Command, Signal or Close… */
const PLAIN_LINE = new RegExp(`^<(DataAck|Command|CommandAck|Signal|SignalAck|Close|CloseAck) PSGuid='(${GUID_SRC})' />$`);
/** … and the start of a Data line. */
const DATA_HEAD = new RegExp(`^<Data Stream='(Default|PromptResponse)' PSGuid='(${GUID_SRC})'>`);
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * One line to a packet. The lines pwsh writes (exactly encodePacket's form) are read without the
 * XML parser, a few times faster for the many small packets of a session; any other line goes
 * through decodePacketFull, which alone decides what is wrong with it.
 */
export function decodePacket(line: string): OutOfProcPacket {
  if (line.charCodeAt(1) === 0x44 /* D */ && line.startsWith('<Data ')) {
    const m = DATA_HEAD.exec(line);
    if (m && line.endsWith('</Data>')) {
      const b64 = line.slice(m[0].length, line.length - 7);
      if (b64.length % 4 === 0 && B64.test(b64)) {
        return { kind: 'Data', psGuid: m[2]!.toLowerCase(), stream: m[1] as 'Default' | 'PromptResponse', data: new Uint8Array(Buffer.from(b64, 'base64')) };
      }
    }
  } else {
    const m = PLAIN_LINE.exec(line);
    if (m) return { kind: m[1] as OutOfProcKind, psGuid: m[2]!.toLowerCase() };
  }
  return decodePacketFull(line);
}

/** One line to a packet through the XML parser: the reference decodePacket is held to. */
export function decodePacketFull(line: string): OutOfProcPacket {
  let el;
  try {
    el = parseXml(line, { maxDepth: 2, maxElements: 2 });
  } catch (err) {
    throw new PsrpProtocolError('ERR_PSRP_OUTOFPROC', `not an out-of-process packet: ${line.slice(0, 80)}`, { cause: err });
  }
  if (!KINDS.has(el.name) || el.ns !== '') throw new PsrpProtocolError('ERR_PSRP_OUTOFPROC', `unknown out-of-process packet <${el.name}>`);
  const psGuid = attr(el, 'PSGuid');
  if (psGuid === undefined || !GUID_RE.test(psGuid)) throw new PsrpProtocolError('ERR_PSRP_OUTOFPROC', `<${el.name}> without a valid PSGuid`);
  const p: OutOfProcPacket = { kind: el.name as OutOfProcKind, psGuid: psGuid.toLowerCase() };
  if (p.kind === 'Data') {
    const stream = attr(el, 'Stream') ?? 'Default';
    if (stream !== 'Default' && stream !== 'PromptResponse') throw new PsrpProtocolError('ERR_PSRP_OUTOFPROC', `unknown Data stream '${stream.slice(0, 40)}'`);
    const b64 = el.text.trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4) throw new PsrpProtocolError('ERR_PSRP_OUTOFPROC', '<Data> is not base64');
    p.stream = stream;
    p.data = new Uint8Array(Buffer.from(b64, 'base64'));
  }
  return p;
}
