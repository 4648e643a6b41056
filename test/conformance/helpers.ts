/**
 * A deliberately broken server for the conformance tests: a proxy in front of our listener that
 * damages its answers in one chosen way, so each defect is known exactly.
 */
import { createServer, request as httpRequest, type Server, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A defect: rewrite one answer (the request body is given for context). */
export type Defect = (answer: Answer, requestBody: string) => Answer;

export interface BrokenServer {
  url: string;
  close(): Promise<void>;
}

/** `reset`: drop the connection, without an answer, for requests whose body it picks. */
export async function brokenServer(targetUrl: string, defect: Defect, reset?: (requestBody: string) => boolean): Promise<BrokenServer> {
  const target = new URL(targetUrl);
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (reset?.(body.toString('utf8'))) {
        req.socket.destroy();
        return;
      }
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const up = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (d: Buffer) => chunks.push(d));
        upRes.on('end', () => {
          const answer = defect({ status: upRes.statusCode ?? 500, headers: { ...upRes.headers }, body: Buffer.concat(chunks).toString('utf8') }, body.toString('utf8'));
          const out = Buffer.from(answer.body, 'utf8');
          const h = { ...answer.headers, 'content-length': String(out.length) };
          delete h['transfer-encoding'];
          delete h.connection;
          res.writeHead(answer.status, h as unknown as Record<string, string | string[]>);
          res.end(out);
        });
      });
      up.on('error', () => {
        // The listener may close after answering an oversize body; only answer if nothing was sent.
        if (res.headersSent) return;
        res.writeHead(502, { 'content-length': '0' });
        res.end();
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Leave answers alone. */
export const noDefect: Defect = (a) => a;
