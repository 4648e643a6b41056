/**
 * PSRP fragments (MS-PSRP 2.2.4) and the defragmenter. All fields big-endian:
 *
 *   ObjectId u64 | FragmentId u64 | flags u8 (0x1 Start, 0x2 End) | BlobLength u32 | Blob
 *   00 00 00 00 00 00 00 01  00 00 00 00 00 00 00 00  03  00 00 00 5c  <92 bytes of message>
 *
 * A message is cut into fragments sharing its ObjectId, numbered from 0; several fragments may
 * travel in one Receive chunk, and (over out-of-process stdio) a fragment may arrive in pieces.
 */
import { PsrpProtocolError, psrpUsage } from './errors.js';

/** One fragment as on the wire. */
export interface Fragment {
  objectId: bigint;
  fragmentId: bigint;
  start: boolean;
  end: boolean;
  blob: Uint8Array;
}

/** Bytes of a fragment header. */
export const FRAGMENT_HEADER_SIZE = 21;

/** 2.2.4: one fragment to bytes. */
export function encodeFragment(f: Fragment): Uint8Array {
  const out = new Uint8Array(FRAGMENT_HEADER_SIZE + f.blob.length);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, f.objectId);
  v.setBigUint64(8, f.fragmentId);
  v.setUint8(16, (f.start ? 1 : 0) | (f.end ? 2 : 0));
  v.setUint32(17, f.blob.length);
  out.set(f.blob, FRAGMENT_HEADER_SIZE);
  return out;
}

/**
 * A message cut into fragments of at most `maxFragmentSize` bytes each (header included), as
 * PowerShell sizes them from the transport's envelope size. An empty message is one fragment.
 */
export function fragmentMessage(objectId: bigint, message: Uint8Array, maxFragmentSize: number): Fragment[] {
  const room = maxFragmentSize - FRAGMENT_HEADER_SIZE;
  if (!Number.isInteger(maxFragmentSize) || room < 1) throw psrpUsage(`a fragment size of ${maxFragmentSize} leaves no room for data`, 'ERR_PSRP_FRAGMENT_SIZE');
  if (objectId < 0n || objectId >= 2n ** 64n) throw psrpUsage(`ObjectId ${objectId} is not a u64`, 'ERR_PSRP_FRAGMENT_SIZE');
  const out: Fragment[] = [];
  let at = 0;
  let id = 0n;
  do {
    const blob = message.subarray(at, at + room);
    at += blob.length;
    out.push({ objectId, fragmentId: id++, start: id === 1n, end: at >= message.length, blob });
  } while (at < message.length);
  return out;
}

/** The bytes of a message's fragments, concatenated. */
export function fragmentBytes(objectId: bigint, message: Uint8Array, maxFragmentSize: number): Uint8Array {
  const parts = fragmentMessage(objectId, message, maxFragmentSize).map(encodeFragment);
  return concat(parts, parts.reduce((n, p) => n + p.length, 0));
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Read every whole fragment in `bytes` (tests and recordings). A trailing partial fragment is an error. */
export function decodeFragments(bytes: Uint8Array): Fragment[] {
  const out: Fragment[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < FRAGMENT_HEADER_SIZE) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `${bytes.length - at} bytes left: not a fragment header`);
    const v = new DataView(bytes.buffer, bytes.byteOffset + at, FRAGMENT_HEADER_SIZE);
    const len = v.getUint32(17);
    if (bytes.length - at - FRAGMENT_HEADER_SIZE < len) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `fragment blob of ${len} bytes is cut short`);
    out.push(headerOf(v, bytes.subarray(at + FRAGMENT_HEADER_SIZE, at + FRAGMENT_HEADER_SIZE + len)));
    at += FRAGMENT_HEADER_SIZE + len;
  }
  return out;
}

function headerOf(v: DataView, blob: Uint8Array): Fragment {
  const flags = v.getUint8(16);
  if (flags & ~3) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `unknown fragment flags 0x${flags.toString(16)}`);
  return { objectId: v.getBigUint64(0), fragmentId: v.getBigUint64(8), start: (flags & 1) !== 0, end: (flags & 2) !== 0, blob };
}

/** A reassembled message: its ObjectId and its bytes (a PSRP message, see message.ts). */
export interface DefragmentedMessage {
  objectId: bigint;
  data: Uint8Array;
}

export interface DefragmenterLimits {
  /** Largest reassembled message, in bytes. */
  maxMessageBytes: number;
  /** Most messages being reassembled at once. */
  maxPending: number;
}

export const DEFAULT_DEFRAGMENTER_LIMITS: Readonly<DefragmenterLimits> = {
  maxMessageBytes: 64 * 1024 * 1024,
  maxPending: 64,
};

interface Pending {
  next: bigint;
  parts: Uint8Array[];
  size: number;
}

/**
 * Reassembles messages from a byte stream of fragments: feed chunks as they come (several
 * fragments, or part of one, per chunk); each call returns the messages it completed, in order.
 * A broken sequence or a quota exceeded is a PsrpProtocolError, after which the defragmenter
 * refuses further input (the stream cannot be trusted any more).
 */
export class Defragmenter {
  private readonly limits: DefragmenterLimits;
  private readonly pending = new Map<bigint, Pending>();
  private buffer: Uint8Array = new Uint8Array(0);
  private failed: PsrpProtocolError | undefined;

  constructor(limits: Partial<DefragmenterLimits> = {}) {
    this.limits = { ...DEFAULT_DEFRAGMENTER_LIMITS, ...limits };
  }

  /** Bytes held: a partial fragment plus the parts of unfinished messages. */
  get bufferedBytes(): number {
    let n = this.buffer.length;
    for (const p of this.pending.values()) n += p.size;
    return n;
  }

  /** Messages whose last fragment has not come yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** True when no partial fragment or unfinished message is held. */
  get idle(): boolean {
    return this.buffer.length === 0 && this.pending.size === 0;
  }

  push(chunk: Uint8Array): DefragmentedMessage[] {
    if (this.failed) throw this.failed;
    try {
      return this.consume(chunk);
    } catch (err) {
      this.failed = err instanceof PsrpProtocolError ? err : new PsrpProtocolError('ERR_PSRP_FRAGMENT', String(err), { cause: err });
      this.pending.clear();
      this.buffer = new Uint8Array(0);
      throw this.failed;
    }
  }

  private consume(chunk: Uint8Array): DefragmentedMessage[] {
    let bytes = chunk;
    if (this.buffer.length) bytes = concat([this.buffer, chunk], this.buffer.length + chunk.length);
    const out: DefragmentedMessage[] = [];
    let at = 0;
    while (bytes.length - at >= FRAGMENT_HEADER_SIZE) {
      const v = new DataView(bytes.buffer, bytes.byteOffset + at, FRAGMENT_HEADER_SIZE);
      const len = v.getUint32(17);
      if (len > this.limits.maxMessageBytes) throw new PsrpProtocolError('ERR_PSRP_LIMIT', `a fragment of ${len} bytes exceeds the message limit of ${this.limits.maxMessageBytes}`);
      const f = headerOf(v, new Uint8Array(0));
      if (!f.start && !this.pending.has(f.objectId)) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `fragment ${f.fragmentId} of object ${f.objectId} without its start`);
      if (bytes.length - at - FRAGMENT_HEADER_SIZE < len) break;
      f.blob = bytes.slice(at + FRAGMENT_HEADER_SIZE, at + FRAGMENT_HEADER_SIZE + len);
      at += FRAGMENT_HEADER_SIZE + len;
      const done = this.accept(f);
      if (done) out.push(done);
    }
    this.buffer = at === bytes.length ? new Uint8Array(0) : bytes.slice(at);
    return out;
  }

  private accept(f: Fragment): DefragmentedMessage | undefined {
    let p = this.pending.get(f.objectId);
    if (f.start) {
      if (p) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `object ${f.objectId} started again before it ended`);
      if (f.fragmentId !== 0n) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `start fragment of object ${f.objectId} has FragmentId ${f.fragmentId}`);
      if (f.end) return { objectId: f.objectId, data: f.blob };
      if (this.pending.size >= this.limits.maxPending) throw new PsrpProtocolError('ERR_PSRP_LIMIT', `more than ${this.limits.maxPending} messages in reassembly`);
      p = { next: 0n, parts: [], size: 0 };
      this.pending.set(f.objectId, p);
    }
    if (!p) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `fragment of object ${f.objectId} without its start`);
    if (f.fragmentId !== p.next) throw new PsrpProtocolError('ERR_PSRP_FRAGMENT', `object ${f.objectId}: FragmentId ${f.fragmentId} where ${p.next} was due`);
    p.size += f.blob.length;
    if (p.size > this.limits.maxMessageBytes) throw new PsrpProtocolError('ERR_PSRP_LIMIT', `object ${f.objectId} exceeds the message limit of ${this.limits.maxMessageBytes} bytes`);
    p.parts.push(f.blob);
    p.next++;
    if (!f.end) return undefined;
    this.pending.delete(f.objectId);
    return { objectId: f.objectId, data: concat(p.parts, p.size) };
  }
}
