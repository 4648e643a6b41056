/**
 * A faulty HTTP hop between a client and the listener, on 127.0.0.1:0: it forwards each POST and
 * its answer, except that it can swallow chosen answers (the server did answer; the client's
 * connection is cut) and can be "down" (every connection is cut at once).
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  action: string;
  sequenceId: number | undefined;
  /** The answer was swallowed. */
  dropped: boolean;
  /** The answer carried stream data. */
  hadData: boolean;
}

export interface FaultyProxy {
  url: string;
  seen: SeenRequest[];
  /** Decide, per answered request, whether to swallow the answer. */
  dropWhen: (req: SeenRequest, answer: string) => boolean;
  /** While true, every connection is cut without forwarding. */
  down: boolean;
  /** Hold an answer until the returned promise settles (undefined: pass it at once). */
  holdWhen: (req: SeenRequest, answer: string) => Promise<void> | undefined;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<FaultyProxy> {
  const t = new URL(target);
  const proxy: FaultyProxy = { url: '', seen: [], dropWhen: () => false, holdWhen: () => undefined, down: false, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (proxy.down) {
      req.socket.destroy();
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const text = body.toString('utf8');
      const action = /<(?:\w+:)?Action[^>]*>([^<]*)</.exec(text)?.[1] ?? '';
      const seq = /<(?:\w+:)?Receive\b[^>]*SequenceId="(\d+)"/.exec(text)?.[1];
      const up = httpRequest({ host: t.hostname, port: t.port, path: t.pathname, method: 'POST', headers: req.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const out = Buffer.concat(chunks);
          const s = out.toString('utf8');
          const seen: SeenRequest = {
            action: action.slice(action.lastIndexOf('/') + 1), sequenceId: seq === undefined ? undefined : Number(seq),
            dropped: false, hadData: /<rsp:Stream [^>]*>[^<]+</.test(s),
          };
          if (proxy.down || proxy.dropWhen(seen, s)) {
            seen.dropped = true;
            proxy.seen.push(seen);
            req.socket.destroy();
            return;
          }
          proxy.seen.push(seen);
          const pass = (): void => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(out);
          };
          const hold = proxy.holdWhen(seen, s);
          if (hold) void hold.then(pass, pass);
          else pass();
        });
      });
      up.on('error', () => req.socket.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${t.pathname}`;
  proxy.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return proxy;
}
