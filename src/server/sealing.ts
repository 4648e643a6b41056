/**
 * HTTP message encryption (MS-WSMV §2.2.9.1, protocol.md §8.3): the one place where sealed request
 * bodies are unsealed and responses sealed, apart from authentication and dispatch. Framing and
 * cryptography are src/auth's (`httpBodySealer` over the connection's security context).
 */
import type { ServerAuthContext } from '../auth/types.js';
import { httpBodySealer } from '../auth/plug.js';

const SOAP_TYPE = 'application/soap+xml;charset=UTF-8';

export function isSealedContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && httpBodySealer.isSealed(contentType);
}

/** Unseal a `multipart/encrypted` body; throws on bad framing, tampering or replay. */
export function unsealBody(body: Buffer, contentType: string, ctx: ServerAuthContext): Buffer {
  const plain = httpBodySealer.unseal(ctx, body, contentType);
  return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
}

/**
 * After a sealed response is written: generate, while the client works on it, the key stream of
 * the connection's next sealed response (in event-loop slices; src/auth/plug.ts).
 */
export function sealAhead(ctx: ServerAuthContext): void {
  httpBodySealer.ahead(ctx, 'wrap', setImmediate);
}

/** Seal a SOAP response body; returns the body and its Content-Type. */
export function sealBody(plain: Buffer, ctx: ServerAuthContext, contentType = SOAP_TYPE): { body: Buffer; contentType: string } {
  const s = httpBodySealer.seal(ctx, plain, contentType);
  return { body: Buffer.from(s.body.buffer, s.body.byteOffset, s.body.byteLength), contentType: s.contentType };
}
