/**
 * Listener shells created with rsp:CompressionType xpress (protocol.md §3.8): Send data arrives in
 * WinRM's xpress chunks and is decompressed; Receive stream data leaves in them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI } from '../../src/core/index.js';
import { winrmCompress, winrmDecompress } from '../../src/core/xpress/index.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { startListener, call, faultCode, TestShell, type TestListener } from './helpers.js';

let t: TestListener;
beforeAll(async () => {
  t = await startListener();
});
afterAll(async () => {
  await t.stop();
});

const XPRESS = { compressionType: 'xpress' };

function sendRaw(sh: TestShell, commandId: string, data: Uint8Array, end = false) {
  return call(t.url, Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId, data: Buffer.from(data), end }] }, { selectors: { ShellId: sh.id } });
}

/** Receive until Done; each stream element's data decompressed on its own, as a client does. */
async function collectXpress(sh: TestShell, commandId: string, maxEnvelopeSize?: number): Promise<{ stdout: Buffer; wire: number; elements: number; sizes: number[] }> {
  const out: Buffer[] = [];
  const sizes: number[] = [];
  let wire = 0;
  let elements = 0;
  for (;;) {
    const r = await sh.receive(commandId, maxEnvelopeSize ? { maxEnvelopeSize } : {});
    sizes.push(Buffer.byteLength(r.raw));
    if (r.msg.body.kind === 'Fault' && r.msg.body.fault.wsmanCode === 2150858793) continue;
    if (r.msg.body.kind !== 'ReceiveResponse') throw new Error(`receive failed: ${r.raw.slice(0, 500)}`);
    for (const s of r.msg.body.streams) {
      if (s.data.length === 0) continue;
      elements++;
      wire += s.data.length;
      if (s.name === 'stdout') out.push(Buffer.from(winrmDecompress(s.data, 1 << 24)));
    }
    if (r.msg.body.commandState?.state === 'Done') return { stdout: Buffer.concat(out), wire, elements, sizes };
  }
}

describe('CompressionType xpress', () => {
  it('Create accepts it and the shell reports XpressCompression (Create response and Get)', async () => {
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: { inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] } }, XPRESS);
    expect(r.msg.body.kind).toBe('ResourceCreated');
    expect(r.raw).toContain('<rsp:CompressionMode>XpressCompression</rsp:CompressionMode>');
    const sh = new TestShell(t.url, r.msg.body.kind === 'ResourceCreated' ? r.msg.body.selectors!.ShellId! : '');
    const g = await call(t.url, Action.Get, { kind: 'Empty' }, { selectors: { ShellId: sh.id } }, ResourceURI.Cmd);
    expect(g.raw).toContain('<rsp:CompressionMode>XpressCompression</rsp:CompressionMode>');
    await sh.delete();
    const plain = await TestShell.create(t.url);
    const g2 = await call(t.url, Action.Get, { kind: 'Empty' }, { selectors: { ShellId: plain.id } }, ResourceURI.Cmd);
    expect(g2.raw).toContain('<rsp:CompressionMode>NoCompression</rsp:CompressionMode>');
    await plain.delete();
  });

  it('refuses a CompressionType it does not know with UnsupportedFeature', async () => {
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: {} }, { compressionType: 'lznt1' });
    expect(faultCode(r.msg)).toBe(2150858818);
  });

  it("decompresses a constructed Send: MS-XCA 3.2 example 2 in a WinRM chunk header", async () => {
    const ex = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'fixtures', 'xpress', 'ms-xca-examples.json'), 'utf8')) as { vectors: { decompressedHex?: string; decompressed: string; compressedHex: string }[] }).vectors[1]!;
    const body = Buffer.from(ex.compressedHex, 'hex');
    // uint16 LE originalSize - 1 (299), uint16 LE compressedSize - 1 (262).
    const framed = Buffer.concat([Buffer.from([299 & 255, 299 >> 8, (body.length - 1) & 255, (body.length - 1) >> 8]), body]);
    const sh = await TestShell.create(t.url, {}, XPRESS);
    const id = await sh.start('cat');
    expect((await sendRaw(sh, id, framed, true)).msg.body.kind).toBe('SendResponse');
    const r = await collectXpress(sh, id);
    expect(r.stdout.toString()).toBe(ex.decompressed);
    await sh.delete();
  });

  it('round-trips large input through cat: compressed Sends in, compressed Receives out, smaller on the wire', async () => {
    const text = Buffer.from(Array.from({ length: 7000 }, (_, i) => `Return ${i} ${'-'.repeat(i % 40)}\n`).join(''));
    expect(text.length).toBeGreaterThan(3 * 65536);
    const sh = await TestShell.create(t.url, {}, XPRESS);
    const id = await sh.start('cat');
    const half = text.length >> 1;
    expect((await sendRaw(sh, id, winrmCompress(text.subarray(0, half)))).msg.body.kind).toBe('SendResponse');
    expect((await sendRaw(sh, id, winrmCompress(text.subarray(half)), true)).msg.body.kind).toBe('SendResponse');
    const r = await collectXpress(sh, id);
    expect(r.stdout.equals(text)).toBe(true);
    expect(r.wire).toBeLessThan(text.length / 4);
    await sh.delete();
  });

  it('answers damaged compressed Send data with a fault and keeps the shell usable', async () => {
    const sh = await TestShell.create(t.url, {}, XPRESS);
    const id = await sh.start('cat');
    const bad = Buffer.from(winrmCompress(Buffer.from('abc'.repeat(500))));
    bad.fill(0xff, 4, 40); // the Huffman table
    const r = await sendRaw(sh, id, bad);
    expect(faultCode(r.msg)).toBe(2150858791);
    const cut = await sendRaw(sh, id, Buffer.from([0x10, 0x00, 0x10]));
    expect(faultCode(cut.msg)).toBe(2150858791);
    expect((await sendRaw(sh, id, winrmCompress(Buffer.from('still here\n')), true)).msg.body.kind).toBe('SendResponse');
    expect((await collectXpress(sh, id)).stdout.toString()).toBe('still here\n');
    await sh.delete();
  });

  it('incompressible output in stored chunks still fits the request MaxEnvelopeSize', async () => {
    const sh = await TestShell.create(t.url, {}, XPRESS);
    const id = await sh.start('head -c 150000 /dev/urandom');
    const r = await collectXpress(sh, id, 8192);
    expect(r.stdout.length).toBe(150000);
    expect(r.sizes.length).toBeGreaterThan(15);
    for (const size of r.sizes) expect(size).toBeLessThanOrEqual(8192);
    await sh.delete();
  });

  it('refuses a Send that would decompress to more than twice MaxEnvelopeSizekb (a decompression bomb)', async () => {
    const sh = await TestShell.create(t.url, {}, XPRESS);
    const id = await sh.start('cat');
    const bomb = winrmCompress(new Uint8Array(2 * 500 * 1024 + 1));
    expect(bomb.length).toBeLessThan(8000);
    expect(faultCode((await sendRaw(sh, id, bomb)).msg)).toBe(2150858791);
    await sh.delete();
  });
});
