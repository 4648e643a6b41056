/**
 * HTTP message encryption for the transport and the listener (their BodySealer), typed
 * structurally so src/auth imports neither. Contexts themselves come from entry.ts.
 */
import { sealBody, unsealBody, isEncryptedContentType, encryptedProtocolOf } from './encryption.js';
import type { ClientAuthContext, ServerAuthContext } from './types.js';

/** The transport's BodySealer shape: seals and unseals HTTP bodies with an established context. */
export interface HttpBodySealer {
  seal(ctx: ClientAuthContext | ServerAuthContext, plaintext: Uint8Array, contentType: string): { body: Uint8Array; contentType: string };
  isSealed(contentType: string): boolean;
  unseal(ctx: ClientAuthContext | ServerAuthContext, body: Uint8Array, contentType: string): Uint8Array;
  /** In the background, generate the key stream of `ctx`'s next sealed (`wrap`) or unsealed (`unwrap`) body. */
  ahead(ctx: ClientAuthContext | ServerAuthContext, direction: 'wrap' | 'unwrap', later: Later): void;
}

/** Runs a function on a later event-loop turn (the caller's setImmediate: src/auth itself has no timers). */
export type Later = (f: () => void) => void;

/** Key-stream bytes generated per event-loop turn: about 0.15 ms of RC4, so I/O waits little. */
export const AHEAD_SLICE = 65536;

/** Contexts with a key-stream loop under way, per direction (one loop each at a time). */
const running = { wrap: new WeakSet<object>(), unwrap: new WeakSet<object>() };

/**
 * Generate the key stream of the context's next message in `direction` in slices, one per
 * event-loop turn (`later`: the caller's setImmediate), until it is ready: the RC4 work moves from the message's own
 * path into the time spent waiting for the peer (issue 20). Nothing for contexts without `prefill`.
 */
export function keyStreamAhead(ctx: ClientAuthContext | ServerAuthContext, direction: 'wrap' | 'unwrap', later: Later): void {
  if (ctx.prefill === undefined || running[direction].has(ctx)) return;
  running[direction].add(ctx);
  const slice = (): void => {
    if ((ctx.prefill?.(direction, AHEAD_SLICE) ?? 0) > 0) later(slice);
    else running[direction].delete(ctx);
  };
  later(slice);
}

/** multipart/encrypted framing over any context (protocol.md §8.3); the protocol follows the context. */
export const httpBodySealer: HttpBodySealer = {
  seal(ctx, plaintext, contentType) {
    const protocol = (ctx as { encryptionProtocol?: string }).encryptionProtocol;
    return sealBody(ctx, plaintext, { originalType: contentType, ...(protocol ? { protocol } : {}) });
  },
  isSealed: isEncryptedContentType,
  unseal(ctx, body, contentType) {
    const protocol = encryptedProtocolOf(contentType);
    // The body was just received and is not read again: decrypt it where it lies.
    return unsealBody(ctx, body, { inPlace: true, ...(protocol ? { protocol } : {}) }).plaintext;
  },
  ahead: keyStreamAhead,
};
