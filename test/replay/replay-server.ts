/**
 * A tiny replay server on 127.0.0.1:0: answers each request with the recorded response of the
 * matching exchange, after checking that the request says what the recorded one said (action,
 * resource, ShellId, and the body's meaningful fields; IDs and timestamps aside).
 *
 * Matching: the first exchange not yet served whose Action equals the request's. Its answer is
 * held until every earlier exchange has been served, which models causality (a Receive that
 * arrives while stdin is still being sent waits for the Sends, as a real server's long poll would).
 * The recorded RelatesTo is rewritten to the request's MessageID.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import { decodeMessage, type Message } from '../../src/core/messages/index.js';
import { selector } from '../../src/core/envelope.js';

export interface Exchange {
  request: string;
  response?: string;
  /** HTTP status to answer with (recorded `transport_error.code`). */
  status?: number;
  /** Drop the connection instead of answering. */
  httpError?: boolean;
  /** Expected CommandId of a DesiredStream when the recording overrode it. */
  overrideCommandId?: string;
}

export function loadConversation(file: string): Exchange[] {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { messages: Record<string, unknown>[] };
  return doc.messages.map((m) => {
    const x: Exchange = { request: String(m.request) };
    if (typeof m.response === 'string') x.response = m.response;
    const te = m.transport_error as { code?: number } | undefined;
    if (te?.code !== undefined) x.status = te.code;
    if (m.http_error === true || m.http_error === 'yes') x.httpError = true;
    const ov = m.overrides as { attributes?: Record<string, string> }[] | undefined;
    const cid = ov?.find((o) => o.attributes?.CommandId)?.attributes?.CommandId;
    if (cid !== undefined) x.overrideCommandId = cid;
    return x;
  });
}

export interface ReplayOptions {
  /** Required `Authorization` header value (anything else gets 401). */
  authorization?: string;
  /** Do not compare these fields (e.g. 'Signal.commandId'). */
  relax?: string[];
}

export interface Replay {
  url: string;
  /** Differences between what the client sent and what was recorded. */
  mismatches: string[];
  /** Requests received, in arrival order, as decoded. */
  received: Message[];
  /** Raw request bodies, in arrival order. */
  rawRequests: string[];
  served(): number;
  close(): Promise<void>;
}

const up = (s: string | undefined): string | undefined => s?.toUpperCase();

function compare(i: number, got: Message, want: Message, x: Exchange, relax: Set<string>, out: string[]): void {
  const diff = (what: string, a: unknown, b: unknown): void => {
    if (relax.has(what)) return;
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`#${i} ${want.headers.action ?? 'Identify'} ${what}: sent ${JSON.stringify(a)}, recorded ${JSON.stringify(b)}`);
  };
  diff('resourceUri', got.headers.resourceUri, want.headers.resourceUri);
  diff('ShellId', up(selector(got.headers, 'ShellId')), up(selector(want.headers, 'ShellId')));
  diff('body', got.body.kind, want.body.kind);
  const g = got.body;
  const w = want.body;
  if (g.kind === 'Shell' && w.kind === 'Shell') {
    for (const k of ['name', 'environment', 'workingDirectory', 'idleTimeOut', 'lifetime', 'inputStreams', 'outputStreams', 'requestedShellId'] as const) {
      diff(`Shell.${k}`, g.shell[k], w.shell[k]);
    }
    const noProfile = (m: Message): boolean => m.headers.options?.some((o) => o.name === 'WINRS_NOPROFILE' && /^(true|1)$/i.test(o.value)) ?? false;
    diff('WINRS_NOPROFILE', noProfile(got), noProfile(want));
  } else if (g.kind === 'CommandLine' && w.kind === 'CommandLine') {
    diff('command', g.command, w.command);
    diff('arguments', g.arguments, w.arguments);
    const skip = (m: Message): boolean => m.headers.options?.some((o) => o.name === 'WINRS_SKIP_CMD_SHELL' && /^true$/i.test(o.value)) ?? false;
    diff('WINRS_SKIP_CMD_SHELL', skip(got), skip(want));
  } else if (g.kind === 'Send' && w.kind === 'Send') {
    diff('Send.streams', g.streams.map((s) => [s.name, up(s.commandId), s.data.toString('base64'), s.end === true]),
      w.streams.map((s) => [s.name, up(s.commandId), s.data.toString('base64'), s.end === true]));
  } else if (g.kind === 'Receive' && w.kind === 'Receive') {
    diff('Receive.commandId', up(g.commandId), up(x.overrideCommandId ?? w.commandId));
    diff('Receive.streams', g.streams, w.streams);
  } else if (g.kind === 'Signal' && w.kind === 'Signal') {
    diff('Signal.commandId', up(g.commandId), up(w.commandId));
  }
}

/** Windows' fault for a ShellId it has no shell for (w:InvalidSelectors, 2150858843). */
const NO_SUCH_SHELL_FAULT = '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action><a:MessageID>uuid:3ED7300E-14C7-4D87-9C57-3FB6259EC2FB</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:877294B2-0B63-493A-9A91-DD6A4D68B0B3</a:RelatesTo></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request because the request contained invalid selectors for the resource. </s:Text></s:Reason><s:Detail><w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors</w:FaultDetail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858843" Machine="127.0.0.1"><f:Message><f:ProviderFault provider="Shell provider" path="%systemroot%\\system32\\WsmSvc.dll"><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858843" Machine="127.0.0.1"><f:Message>The WS-Management service cannot process the request because the request contained invalid selectors for the resource. </f:Message></f:WSManFault></f:ProviderFault></f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>';

function rewriteRelatesTo(xml: string, messageId: string | undefined): string {
  if (messageId === undefined) return xml;
  return xml.replace(/(<([\w-]+:)?RelatesTo\b[^>]*>)[^<]*(<\/)/, `$1${messageId}$3`);
}

export async function startReplay(exchanges: Exchange[], opts: ReplayOptions = {}): Promise<Replay> {
  const relax = new Set(opts.relax ?? []);
  const mismatches: string[] = [];
  const received: Message[] = [];
  const rawRequests: string[] = [];
  const served = new Array<boolean>(exchanges.length).fill(false);
  const claimed = new Array<boolean>(exchanges.length).fill(false);
  const pending: (() => void)[] = [];
  const recorded = exchanges.map((x) => decodeMessage(x.request));

  const tryPending = (): void => {
    for (const p of pending.splice(0)) p();
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    if (opts.authorization !== undefined && req.headers.authorization !== opts.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="WSMAN"', 'Content-Length': '0' }).end();
      return;
    }
    const text = body.toString('utf8');
    rawRequests.push(text);
    let msg: Message;
    try {
      msg = decodeMessage(text);
    } catch (err) {
      mismatches.push(`undecodable request: ${(err as Error).message}`);
      res.writeHead(400, { 'Content-Length': '0' }).end();
      return;
    }
    received.push(msg);
    if (msg.body.kind === 'Enumerate' && msg.body.filterSelectors?.ShellId === '*') {
      // Our listener's all-shells command enumeration: the recordings have none (pypsrp never
      // sends it); Windows answers a ShellId it has no shell for with this fault (recorded in
      // test_psrp_is_alive_invalid_selectors.yml), and the client falls back to one per shell.
      const out = Buffer.from(rewriteRelatesTo(NO_SUCH_SHELL_FAULT, msg.headers.messageId), 'utf8');
      res.writeHead(500, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(out.length) }).end(out);
      return;
    }
    const idx = recorded.findIndex((r, i) => !claimed[i] && r.headers.action === msg.headers.action);
    const x = exchanges[idx];
    const want = recorded[idx];
    if (idx < 0 || !x || !want) {
      mismatches.push(`unexpected request ${msg.headers.action ?? 'Identify'} (nothing left to replay for it)`);
      res.writeHead(500, { 'Content-Length': '0' }).end();
      return;
    }
    claimed[idx] = true;
    compare(idx, msg, want, x, relax, mismatches);
    const answer = (): void => {
      if (served.slice(0, idx).some((s) => !s)) {
        pending.push(answer);
        return;
      }
      served[idx] = true;
      if (x.httpError) {
        res.socket?.destroy();
      } else {
        const out = Buffer.from(rewriteRelatesTo(x.response ?? '', msg.headers.messageId), 'utf8');
        const status = x.status ?? (/:Fault>/.test(x.response ?? '') ? 500 : 200);
        res.writeHead(status, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(out.length) }).end(out);
      }
      setImmediate(tryPending);
    };
    answer();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/wsman`,
    mismatches,
    received,
    rawRequests,
    served: () => served.filter(Boolean).length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
