/**
 * One HTTP exchange through undici's `dispatch` with a handler of our own (issue 20): the body
 * is collected straight from the parser's chunks. undici's `request()` wraps each exchange in a
 * promise, a Readable body stream with its own listeners and an abort-signal hook; on a Receive
 * loop at 153600 bytes (about 870 requests per 100 MB) that machinery was a tenth of the client's CPU.
 */
import type { Dispatcher } from './undici.js';
import { WsmanProtocolError, WsmanCode } from '../core/errors.js';

/** Largest response body we read (a MaxEnvelopeSize of 500 KiB is the usual ceiling). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface DispatchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A request's cancellation: set by its timer or the caller's signal, seen by the POST in flight.
 * A plain object where an AbortController would make an AbortSignal (an event target) per request.
 */
export class Cancel {
  aborted = false;
  reason: unknown;
  /** The POST in flight (one at a time per request). */
  hook: (() => void) | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.hook?.();
  }
}

/** Options of one POST (undici's DispatchOptions, as `raw` builds them). */
export type PostOptions = Dispatcher.DispatchOptions & { body: Uint8Array };

/**
 * POST and collect the answer, at most MAX_RESPONSE_BYTES. `signal.abort()` aborts it. `progress.started`
 * is set once the answer's status line and headers came (an error after that is no early close).
 */
export function dispatchPost(dispatcher: Dispatcher, opts: PostOptions, signal: Cancel, url: string,
  progress: { started: boolean }): Promise<DispatchResult> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let headers: DispatchResult['headers'] = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (err: Error | undefined, result?: DispatchResult): void => {
      if (settled) return;
      settled = true;
      if (signal.hook === onAbort) signal.hook = undefined;
      if (err) reject(err);
      else resolve(result as DispatchResult);
    };
    const fail = (err: Error): void => {
      controller?.abort(err);
      done(err);
    };
    function onAbort(): void {
      fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    }
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.hook = onAbort;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new Error('aborted'));
      },
      onResponseStart(_c, statusCode, h) {
        // 1xx informational answers precede the real one: only the last counts.
        if (statusCode < 200) return;
        progress.started = true;
        status = statusCode;
        headers = h as DispatchResult['headers'];
      },
      onResponseData(_c, chunk) {
        if (status === 0) return;
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          fail(new WsmanProtocolError('ERR_RESPONSE_TOO_LARGE', `the response from ${url} exceeds ${MAX_RESPONSE_BYTES} bytes`,
            { wsmanCode: WsmanCode.EncodingLimit }));
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        done(undefined, { status, headers, body: chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size) });
      },
      onResponseError(_c, err) {
        done(err);
      },
    };
    try {
      dispatcher.dispatch(opts, handler);
    } catch (err) {
      done(err as Error);
    }
  });
}
