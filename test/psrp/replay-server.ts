/**
 * A fake WS-Man server that answers from one recorded Windows conversation (pypsrp's
 * test_psrp_*.yml in fixtures/windows-recorded/pypsrp/): the n-th request gets the n-th recorded
 * response, its RelatesTo rewritten to our MessageID. Each request is compared with the recorded
 * one by meaning, not bytes: Action, ResourceURI, ShellId selector, CommandId, stream names,
 * signal code; the PSRP messages the client sends (creationXml, connectXml, Arguments, Send) are
 * reassembled on both sides and compared by type at the end.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pypsrpExchanges, type RecordedExchange } from '../helpers/fixtures.js';
import { parseXml, type XmlElement } from '../../src/core/xml.js';
import { decodeMessage as decodeSoap } from '../../src/core/messages/index.js';
import { Defragmenter, decodeFragments, encodeFragment } from '../../src/psrp/fragment.js';
import { bytesToGuid, decodeMessage, guidToBytes, messageTypeName } from '../../src/psrp/message.js';

const PAYLOADS = new Set(['creationXml', 'connectXml', 'Arguments', 'Stream']);

function payloads(el: XmlElement, out: Uint8Array[] = []): Uint8Array[] {
  if (PAYLOADS.has(el.name) && el.text.trim()) out.push(Buffer.from(el.text.trim(), 'base64'));
  for (const c of el.children) payloads(c, out);
  return out;
}

/** The same GUID with its first three groups byte-swapped (RFC order vs .NET order). */
export function swapGuid(g: string): string {
  const h = g.replace(/-/g, '').toLowerCase();
  const sw = (s: string): string => s.match(/../g)!.reverse().join('');
  return `${sw(h.slice(0, 8))}-${sw(h.slice(8, 12))}-${sw(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sameGuid = (a: string | undefined, b: string | undefined): boolean =>
  a === b || (!!a && !!b && (a.toLowerCase() === b.toLowerCase() || swapGuid(a) === b.toLowerCase()));

/** What the test needs to drive the client as the recorded one: ids from the recorded requests. */
export interface RecordedIds {
  /** ShellIds of the Creates, in order. */
  shellIds: string[];
  /** The RunspacePool id of each Create, as in its messages' headers. */
  rpids: string[];
  /** Pipeline ids of the CREATE_PIPELINE messages (headers), in order. */
  pids: string[];
}

export interface Replay {
  url: string;
  exchanges: RecordedExchange[];
  ids: RecordedIds;
  /** Differences between our requests and the recorded ones. */
  mismatches: string[];
  /** Requests answered so far. */
  served(): number;
  /** Leave out the next `k` recorded exchanges (requests this test does not make, e.g. enumerations). */
  skip(k: number): void;
  /** PSRP message types the client sent: ours and the recording's (the part already replayed). */
  clientMessages(): { ours: string[]; recorded: string[] };
  close(): Promise<void>;
}

function header(blob: Uint8Array): { rpid: string; pid: string; type: number } {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return { type: v.getUint32(4, true), rpid: bytesToGuid(blob.subarray(8, 24)), pid: bytesToGuid(blob.subarray(24, 40)) };
}

export function recordedIds(exchanges: RecordedExchange[]): RecordedIds {
  const ids: RecordedIds = { shellIds: [], rpids: [], pids: [] };
  for (const ex of exchanges) {
    const req = decodeSoap(ex.request);
    const root = parseXml(ex.request);
    if (req.body.kind === 'Shell' && req.headers.action?.endsWith('/Create')) {
      ids.shellIds.push(req.body.shell.requestedShellId!);
      const first = decodeFragments(payloads(root)[0]!)[0]!;
      ids.rpids.push(header(first.blob).rpid);
    }
    if (req.body.kind === 'CommandLine') {
      const first = decodeFragments(payloads(root)[0]!)[0]!;
      ids.pids.push(header(first.blob).pid);
    }
  }
  return ids;
}

function types(d: Defragmenter, chunks: Uint8Array[], out: string[]): void {
  for (const c of chunks) for (const m of d.push(c)) out.push(messageTypeName(decodeMessage(m.data).messageType) ?? 'UNKNOWN');
}

/**
 * The ids the client chose, learnt from its requests: recorded ShellId/CommandId text -> ours, and
 * recorded message-header RunspacePool/pipeline ids -> ours. Responses are rewritten with them, so
 * a client that picks its own ids (the CLI) replays too.
 */
class IdMap {
  readonly text = new Map<string, string>();
  readonly header = new Map<string, string>();

  learn(ours: string, recorded: string): void {
    const o = decodeSoap(ours);
    const r = decodeSoap(recorded);
    if (o.body.kind === 'Shell' && r.body.kind === 'Shell' && o.body.shell.requestedShellId && r.body.shell.requestedShellId) {
      this.text.set(r.body.shell.requestedShellId.toLowerCase(), o.body.shell.requestedShellId);
    }
    if (o.body.kind === 'CommandLine' && r.body.kind === 'CommandLine' && o.body.commandId && r.body.commandId) {
      this.text.set(r.body.commandId.toLowerCase(), o.body.commandId);
    }
    const op = payloads(parseXml(ours));
    const rp = payloads(parseXml(recorded));
    if ((o.body.kind === 'Shell' || o.body.kind === 'CommandLine') && op[0] && rp[0]) {
      const oh = header(decodeFragments(op[0])[0]!.blob);
      const rh = header(decodeFragments(rp[0])[0]!.blob);
      this.header.set(rh.rpid, oh.rpid);
      this.header.set(rh.pid, oh.pid);
    }
  }

  /** A recorded id as the client would write it. */
  mapped(id: string | undefined): string | undefined {
    return id === undefined ? undefined : (this.text.get(id.toLowerCase()) ?? id);
  }

  rewrite(xml: string): string {
    let out = xml;
    for (const [rec, ours] of this.text) out = out.replace(new RegExp(rec, 'gi'), ours.toUpperCase());
    return out.replace(/(<(?:\w+:)?(?:Stream|connectResponseXml)\b[^>]*>)([A-Za-z0-9+/=]+)(<)/g, (_m, open: string, b64: string, close: string) => {
      const frags = decodeFragments(Buffer.from(b64, 'base64')).map((f) => {
        if (f.start && f.blob.length >= 40) {
          const blob = Buffer.from(f.blob);
          for (const at of [8, 24]) {
            const ours = this.header.get(bytesToGuid(blob.subarray(at, at + 16)));
            if (ours) blob.set(guidToBytes(ours), at);
          }
          return encodeFragment({ ...f, blob });
        }
        return encodeFragment(f);
      });
      return `${open}${Buffer.concat(frags).toString('base64')}${close}`;
    });
  }
}

/**
 * `normalize` rewrites the recorded requests and ours before anything reads them, for a header a
 * test cannot send as recorded and does not want compared (the test says so and checks it itself,
 * e.g. pypsrp's invalid OperationTimeout `PT-1S`).
 */
export async function startReplay(file: string, opts: { from?: number; normalize?: (xml: string) => string } = {}): Promise<Replay> {
  const rewrite = opts.normalize;
  const exchanges = pypsrpExchanges().filter((e) => e.file === file).slice(opts.from ?? 0)
    .map((e) => (rewrite ? { ...e, request: rewrite(e.request) } : e));
  if (!exchanges.length) throw new Error(`no recording ${file}`);
  const mismatches: string[] = [];
  const ours: string[] = [];
  const recorded: string[] = [];
  const ourDefrag = new Defragmenter();
  const recDefrag = new Defragmenter();
  const ids = new IdMap();
  let n = 0;
  const isReceive = (xml: string | undefined): boolean => !!xml && /<(\w+:)?Action\b[^>]*>[^<]*\/shell\/Receive</.test(xml);
  // A Receive that comes while the recording's next request is something else (a host response the
  // client is still sending) waits, as a real server holds a Receive until it has output.
  const held: Array<{ text: string; res: import('node:http').ServerResponse }> = [];
  const releaseHeld = (): void => {
    while (held.length && isReceive(exchanges[n]?.request)) {
      const h = held.shift()!;
      serve(h.text, h.res);
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = Buffer.concat(chunks).toString('utf8');
      const text = rewrite ? rewrite(received) : received;
      const next = exchanges[n]?.request;
      if (isReceive(text) && next !== undefined && !isReceive(next) && exchanges.slice(n).some((e) => isReceive(e.request))) {
        held.push({ text, res });
        return;
      }
      serve(text, res);
      releaseHeld();
    });
  });
  function serve(text: string, res: import('node:http').ServerResponse): void {
    {
      // The recorded connection broke (http_error): the client's own retry of that request breaks too.
      const broken = exchanges[n - 1];
      const action = (xml: string): string | undefined => /<(?:\w+:)?Action\b[^>]*>([^<]*)</.exec(xml)?.[1];
      if (broken?.httpError && action(text) === action(broken.request)) {
        res.socket?.destroy();
        return;
      }
      const ex = exchanges[n];
      const at = `#${ex?.index ?? n}`;
      n++;
      if (!ex || (ex.response === undefined && !ex.httpError)) {
        mismatches.push(`${at}: a request beyond the recording`);
        res.writeHead(500).end();
        return;
      }
      try {
        ids.learn(text, ex.request);
        const m = decodeSoap(text);
        const r = decodeSoap(ex.request);
        const tail = (a?: string): string | undefined => a?.split('/').pop();
        if (m.headers.action !== r.headers.action) mismatches.push(`${at}: Action ${tail(m.headers.action)}, recorded ${tail(r.headers.action)}`);
        if (m.headers.resourceUri !== r.headers.resourceUri) mismatches.push(`${at}: ResourceURI ${m.headers.resourceUri}, recorded ${r.headers.resourceUri}`);
        const sel = (x: typeof m): string | undefined => x.headers.selectors?.ShellId;
        if (!sameGuid(sel(m), ids.mapped(sel(r)))) mismatches.push(`${at}: ShellId ${sel(m)}, recorded ${sel(r)}`);
        const bodyKey = (x: typeof m): string => {
          const b = x.body as { kind: string; commandId?: string; streams?: Array<{ name: string; commandId?: string } | string>; code?: string };
          const streams = (b.streams ?? []).map((s) => (typeof s === 'string' ? s : `${s.name}`)).join(' ');
          // Signal codes compare without case; PowerShell's stop signal (…/powershell/signal/crtl_c, sic) and pypsrp's (powershell/signal/ctrl_c) are one.
          const code = (b.code ?? '').toLowerCase().replace(/^(http:\/\/schemas\.microsoft\.com\/)?powershell\/signal\/c(rt|tr)l_c$/, 'powershell-stop');
          return `${b.kind} ${streams} ${code}`;
        };
        if (bodyKey(m) !== bodyKey(r)) mismatches.push(`${at}: body ${bodyKey(m)}, recorded ${bodyKey(r)}`);
        const cid = (x: typeof m): string | undefined => {
          const b = x.body as { commandId?: string; streams?: Array<{ commandId?: string }> };
          return b.commandId ?? (Array.isArray(b.streams) ? (b.streams[0] as { commandId?: string } | undefined)?.commandId : undefined);
        };
        // pypsrp sends host responses (Send of `pr`) without the CommandId PowerShell's client writes; Windows took both.
        const prQuirk = cid(r) === undefined && / pr /.test(`${bodyKey(r)} `) && bodyKey(r).startsWith('Send');
        if (!prQuirk && !sameGuid(cid(m), ids.mapped(cid(r)))) mismatches.push(`${at}: CommandId ${cid(m)}, recorded ${cid(r)}`);
        types(ourDefrag, payloads(parseXml(text)), ours);
        types(recDefrag, payloads(parseXml(ex.request)), recorded);
        if (ex.httpError) {
          // The recording's connection broke here (pypsrp's http_error): no answer at all.
          res.socket?.destroy();
          return;
        }
        const ourId = m.headers.messageId!;
        const body = ids.rewrite(ex.response!).replace(/(<(\w+:)?RelatesTo>)[^<]*(<\/)/, `$1${ourId}$3`);
        const status = /<(\w+:)?Fault[ >]/.test(body) ? 500 : 200;
        res.writeHead(status, { 'Content-Type': 'application/soap+xml;charset=UTF-8' }).end(body);
      } catch (err) {
        mismatches.push(`${at}: ${(err as Error).message}`);
        res.writeHead(500).end();
      }
    }
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`,
    exchanges,
    ids: recordedIds(exchanges),
    mismatches,
    served: () => n,
    skip: (k: number) => {
      for (const ex of exchanges.slice(n, n + k)) types(recDefrag, payloads(parseXml(ex.request)), recorded);
      n += k;
    },
    clientMessages: () => ({ ours, recorded }),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
