/**
 * The listener's own answer to a PowerShell Connect (backends/pwsh-connect.ts) against the shape
 * Windows answers in fixtures/windows-recorded/pypsrp/test_psrp_disconnect_runspaces.yml, and the
 * whole-message mode of the output buffer the pwsh backend uses (Drop discards whole PSRP
 * messages; a response cuts a fragment only when none fits; a new client starts at a message).
 * Offline: no pwsh needed.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Defragmenter, decodeTyped, encodeTyped, fragmentBytes, Destination, EMPTY_GUID } from '../../src/psrp/index.js';
import { WsmanProtocolError } from '../../src/core/index.js';
import { answerConnect, translateRpid, rpidOf } from '../../src/server/backends/pwsh-connect.js';
import type { PwshSession } from '../../src/server/backends/pwsh-session.js';
import { OutputBuffer } from '../../src/server/output.js';
import { MemoryBudget } from '../../src/server/budget.js';

const recording = readFileSync(join(import.meta.dirname, '../../fixtures/windows-recorded/pypsrp/test_psrp_disconnect_runspaces.yml'), 'utf8');
const CONNECT_XML = /<connectXml[^>]*>([^<]+)<\/connectXml>/.exec(recording)![1]!;
const RESPONSE_XML = /<connectResponseXml[^>]*>([^<]+)<\/connectResponseXml>/.exec(recording)![1]!;

function messages(base64: string | Buffer) {
  const bytes = typeof base64 === 'string' ? Buffer.from(base64, 'base64') : base64;
  return new Defragmenter().push(new Uint8Array(bytes)).map((m) => decodeTyped(m.data));
}

const windows = messages(RESPONSE_XML);
const POOL = messages(CONNECT_XML)[0]!.rpid;

/** A session as the pwsh backend keeps it after the pool opened: pwsh's own messages, as written. */
function session(rpid = POOL): PwshSession {
  const capability = Buffer.from(encodeTyped(windows[0]!.message, { destination: Destination.Client, rpid, pid: EMPTY_GUID }));
  const privateData = Buffer.from(encodeTyped({ type: 'APPLICATION_PRIVATE_DATA', applicationPrivateData: null } as never, { destination: Destination.Client, rpid, pid: EMPTY_GUID }));
  return { opened: { capability, privateData }, poolRpid: rpid, runspaces: { min: 1, max: 1 } } as unknown as PwshSession;
}

function connectXml(types: Array<Parameters<typeof encodeTyped>[0]>, rpid = POOL, destination: 1 | 2 = Destination.Server): string {
  return Buffer.concat(types.map((m, i) => fragmentBytes(BigInt(i + 1), encodeTyped(m, { destination, rpid, pid: EMPTY_GUID }), 32768))).toString('base64');
}

describe('the listener\'s answer to a PowerShell Connect', () => {
  it('answers the recorded connectXml as Windows did: SESSION_CAPABILITY then RUNSPACEPOOL_INIT_DATA, for the client, same pool, same values', () => {
    const a = answerConnect(session(), CONNECT_XML);
    const ours = messages(a.responseXml);
    expect(ours.map((m) => m.message.type)).toEqual(['SESSION_CAPABILITY', 'RUNSPACEPOOL_INIT_DATA']);
    expect(windows.map((m) => m.message.type)).toEqual(['SESSION_CAPABILITY', 'RUNSPACEPOOL_INIT_DATA']);
    for (const [i, m] of ours.entries()) {
      expect(m.destination).toBe(Destination.Client);
      expect(m.rpid).toBe(POOL);
      expect(m.pid).toBe(EMPTY_GUID);
      expect(m.message).toEqual(windows[i]!.message);
    }
    // Then, first on the pool's output: APPLICATION_PRIVATE_DATA and the Opened state.
    const after = messages(a.poolOutput);
    expect(after.map((m) => m.message.type)).toEqual(['APPLICATION_PRIVATE_DATA', 'RUNSPACEPOOL_STATE']);
    expect(after[1]!.message).toMatchObject({ runspaceState: 2 });
    expect(after.every((m) => m.rpid === POOL && m.destination === Destination.Client)).toBe(true);
  });

  it('a client naming the pool by another id gets its own id in every message', () => {
    const other = '0badc0de-1111-2222-3333-444455556666';
    const a = answerConnect(session(), connectXml([
      { type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' },
      { type: 'CONNECT_RUNSPACEPOOL' },
    ], other));
    expect(a.rpid).toBe(other);
    expect(messages(a.responseXml).every((m) => m.rpid === other)).toBe(true);
    expect(messages(a.poolOutput).every((m) => m.rpid === other)).toBe(true);
  });

  it('translateRpid rewrites the pool id of each message start and leaves other data alone', () => {
    const other = '0badc0de-1111-2222-3333-444455556666';
    const big = fragmentBytes(7n, encodeTyped({ type: 'PIPELINE_OUTPUT', value: 'x'.repeat(300) }, { destination: Destination.Client, rpid: POOL, pid: EMPTY_GUID }), 100);
    const small = fragmentBytes(8n, encodeTyped({ type: 'PIPELINE_OUTPUT', value: 'y' }, { destination: Destination.Client, rpid: POOL, pid: EMPTY_GUID }), 32768);
    const both = Buffer.concat([big, small]);
    const moved = translateRpid(both, POOL, other);
    expect(messages(moved).map((m) => [m.rpid, m.message])).toEqual([[other, { type: 'PIPELINE_OUTPUT', value: 'x'.repeat(300) }], [other, { type: 'PIPELINE_OUTPUT', value: 'y' }]]);
    expect(rpidOf(moved)).toBe(other);
    expect(translateRpid(moved, other, POOL).equals(both)).toBe(true);
    const junk = Buffer.from('not fragments at all');
    expect(translateRpid(junk, POOL, other)).toBe(junk);
  });

  it('refuses, with a WS-Man fault, what is not SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL for the server', () => {
    const cap = { type: 'SESSION_CAPABILITY', protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' } as const;
    const bad = [
      '', 'not base64!', Buffer.from('garbage').toString('base64'),
      connectXml([cap]),
      connectXml([cap, { type: 'INIT_RUNSPACEPOOL', minRunspaces: 1, maxRunspaces: 1, threadOptions: { value: 0, name: 'Default' }, apartmentState: { value: 2, name: 'Unknown' }, hostInfo: { isHostNull: true, isHostUINull: true, isHostRawUINull: true, useRunspaceHost: true, hostDefaultData: undefined }, applicationArguments: null } as never]),
      connectXml([cap, { type: 'CONNECT_RUNSPACEPOOL' }], POOL, Destination.Client),
      Buffer.from(Buffer.from(CONNECT_XML, 'base64').subarray(0, 100)).toString('base64'),
    ];
    for (const x of bad) expect(() => answerConnect(session(), x), x.slice(0, 30)).toThrow(WsmanProtocolError);
    // A pool pwsh never opened cannot be connected to.
    const unopened = { opened: {}, poolRpid: POOL, runspaces: { min: 1, max: 1 } } as unknown as PwshSession;
    expect(() => answerConnect(unopened, CONNECT_XML)).toThrow(/not opened/);
  });
});

describe('OutputBuffer in whole-message mode (PSRP)', () => {
  const buffer = (mode: 'Block' | 'Drop', limit: number): OutputBuffer => {
    const b = new OutputBuffer(mode, limit, () => undefined, () => undefined);
    b.wholeMessages = true;
    return b;
  };
  /** Message `n` as `parts` fragments of 10 bytes ("m<n>f<i>" padded), the last marked. */
  const push = (b: OutputBuffer, n: number, parts: number): void => {
    for (let i = 0; i < parts; i++) b.push('stdout', Buffer.from(`m${n}f${i}`.padEnd(10, '.')), i === parts - 1);
  };
  const text = (b: OutputBuffer): string => b.take(1 << 20, 0).map((c) => c.data.toString()).join('');

  it('Drop discards the oldest whole messages, never part of one, and keeps the newest', () => {
    const b = buffer('Drop', 45);
    for (let n = 1; n <= 5; n++) push(b, n, 3); // 30 bytes each
    // 150 bytes for a 45-byte limit: only whole messages can go, so only the newest (30 bytes) stays.
    expect(b.size).toBe(30);
    expect(b.dropped).toBe(120);
    expect(text(b)).toBe('m5f0......m5f1......m5f2......');
  });

  it('Drop of a message still arriving discards the rest of it as it comes, then keeps the next', () => {
    const b = buffer('Drop', 25);
    push(b, 1, 1);
    b.push('stdout', Buffer.from('m2f0......'), false);
    b.push('stdout', Buffer.from('m2f1......'), false);
    b.push('stdout', Buffer.from('m2f2......'), false); // 40 bytes > 25: message 1 and the start of 2 go
    b.push('stdout', Buffer.from('m2f3......'), true);
    push(b, 3, 1);
    expect(text(b)).toBe('m3f0......');
  });

  it('a response cuts a fragment only when no whole one fits', () => {
    const b = buffer('Block', 1 << 20);
    b.push('stdout', Buffer.alloc(100, 0x61), true);
    b.push('stdout', Buffer.alloc(100, 0x62), true);
    const first = b.take(4 + 134 + 80, 0);
    expect(first.map((c) => c.data.length)).toEqual([100]);
    const cut = b.take(4 + 40, 0); // not even one fits: it is cut
    expect(cut[0]!.data.length).toBe(30);
    expect(b.size).toBe(70);
  });

  it('resync: a new client gets again, whole, the message the last reader took only part of', () => {
    const b = buffer('Block', 1 << 20);
    b.push('stdout', Buffer.from('m1f0......'), false);
    b.push('stdout', Buffer.from('m1f1......'), true);
    push(b, 2, 1);
    expect(b.take(4 + 14, 0)[0]!.data.toString()).toBe('m1f0......');
    expect(b.size).toBe(20);
    b.resync();
    expect(b.size).toBe(30);
    expect(text(b)).toBe('m1f0......m1f1......m2f0......');
    b.resync(); // at a boundary: nothing comes again
    push(b, 3, 1);
    expect(text(b)).toBe('m3f0......');
  });

  it('resync after a fragment was cut gives the whole fragment again; the retained part counts in the shared budget until the message ends', () => {
    const budget = new MemoryBudget(1 << 20);
    const b = new OutputBuffer('Block', 1 << 20, () => undefined, () => undefined, budget);
    b.wholeMessages = true;
    b.push('stdout', Buffer.alloc(100, 0x61), false);
    b.push('stdout', Buffer.alloc(10, 0x62), true);
    expect(b.take(4 + 40, 0)[0]!.data.length).toBe(30); // cut: nothing whole fits
    expect(budget.used).toBe(110);
    b.resync();
    const again = Buffer.concat(b.take(1 << 20, 0).map((c) => c.data));
    expect(again.equals(Buffer.concat([Buffer.alloc(100, 0x61), Buffer.alloc(10, 0x62)]))).toBe(true);
    expect(budget.used).toBe(0);
  });
});
