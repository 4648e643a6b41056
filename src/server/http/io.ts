/**
 * What every stage of the HTTP layer shares: the request's record (what its log line says), body
 * reading within a limit, and responses that always carry Content-Length.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ListenerCore } from '../core.js';
import type { ListenerUser } from '../users.js';

export const SOAP_TYPE = 'application/soap+xml;charset=UTF-8';

/** One request as the stages see it; user, action, shellId and reason end up in its log line. */
export interface RequestState {
  readonly core: ListenerCore;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The client's address (IPv4 without its ::ffff: prefix). */
  readonly client: string;
  /** Our own address on this connection (the Machine of faults). */
  readonly machine: string;
  /** The endpoint's challenges (WWW-Authenticate of a 401). */
  readonly challenges: () => string[];
  user?: ListenerUser;
  action?: string;
  shellId?: string;
  reason?: string;
}

export function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The client went away, or was cut off (REQUEST_TIMEOUT_MS), before its body was complete. */
export class BodyAborted extends Error {}

/** Read a body up to `limit` bytes; resolves undefined when it is larger (the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      if (over) return;
      size += d.length;
      if (size > limit) {
        over = true;
        req.pause();
        resolve(undefined);
        return;
      }
      parts.push(d);
    });
    let done = false;
    req.once('end', () => {
      done = true;
      if (!over) resolve(Buffer.concat(parts, size));
    });
    req.once('error', (err) => (over ? undefined : reject(new BodyAborted(`request body: ${err.message}`))));
    // A client that goes away mid-body: settle, so nothing waits forever.
    req.once('close', () => {
      if (!done && !over) reject(new BodyAborted('request body aborted'));
    });
  });
}

export function write(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string | string[]> = {}, contentType = SOAP_TYPE): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body.length || status !== 200) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Answer with an empty body and say why in the log line. */
export function refuse(st: RequestState, status: number, reason: string, headers: Record<string, string | string[]> = {}): void {
  st.reason = reason;
  write(st.res, status, Buffer.alloc(0), headers);
}
