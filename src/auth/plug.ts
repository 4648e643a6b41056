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
};
