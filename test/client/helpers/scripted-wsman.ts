/**
 * A scripted WS-Man endpoint on 127.0.0.1:0 for resource tests: each request is decoded and
 * handed to `answer`, whose body XML (or fault) is wrapped in an envelope relating to the request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeMessage, type Message } from '../../../src/core/messages/index.js';

export interface ScriptedReply {
  body: string;
  /** Extra xmlns declarations on the Envelope. */
  status?: number;
}

export interface Scripted {
  url: string;
  requests: { raw: string; msg: Message }[];
  close(): Promise<void>;
}

const ENV_NS = 'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
  'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" ' +
  'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

export async function startScripted(answer: (msg: Message, raw: string) => ScriptedReply | Promise<ScriptedReply>): Promise<Scripted> {
  const requests: Scripted['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const msg = decodeMessage(raw);
        requests.push({ raw, msg });
        const r = await answer(msg, raw);
        const fault = /<s:Fault>/.test(r.body);
        const xml = `<s:Envelope ${ENV_NS}><s:Header><a:Action>${fault ? 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault' : `${msg.headers.action ?? ''}Response`}</a:Action>` +
          `<a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID><a:RelatesTo>${msg.headers.messageId ?? ''}</a:RelatesTo></s:Header><s:Body>${r.body}</s:Body></s:Envelope>`;
        const out = Buffer.from(xml, 'utf8');
        res.writeHead(r.status ?? (fault ? 500 : 200), { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(out.length) }).end(out);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/wsman`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export const CIMV2 = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2';

/** A Win32_Service item as WMI writes it. */
export function service(name: string, extra = ''): string {
  const uri = `${CIMV2}/Win32_Service`;
  return `<p:Win32_Service xmlns:p="${uri}" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"><p:Name>${name}</p:Name>` +
    `<p:ProcessId>1234</p:ProcessId><p:Started>true</p:Started><p:InstallDate xsi:nil="true"/><p:TagId>0</p:TagId>` +
    `<p:ExitCode xsi:type="xs:unsignedInt" xmlns:xs="http://www.w3.org/2001/XMLSchema">0077</p:ExitCode>` +
    `<p:Code>0042</p:Code><p:Big>18446744073709551615</p:Big><p:Caps>1</p:Caps><p:Caps>2</p:Caps>` +
    `<p:Since><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:Since>${extra}</p:Win32_Service>`;
}
