/**
 * Ready-made adapters for the transport's `registerClientMechanism` (src/transport/auth.ts) and the
 * listener's `ContextAuthenticator` (src/server/auth.ts), typed structurally so src/auth does not
 * import either:
 *
 *   registerClientMechanism('negotiate', negotiateClientMechanism);
 *   registerClientMechanism('ntlm', ntlmClientMechanism);
 *   new ContextAuthenticator('Negotiate', () => negotiateServerContext(lookup), users, true, profiles);
 */
import { sealBody, unsealBody, isEncryptedContentType, encryptedProtocolOf } from './encryption.js';
import { NegotiateClientContext, NegotiateServerContext } from './negotiate.js';
import { NtlmClientContext } from './ntlm/client.js';
import { KerberosClientContext } from './kerberos.js';
import type { NtlmServerOptions } from './ntlm/server.js';
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
    return unsealBody(ctx, body, protocol ? { protocol } : {}).plaintext;
  },
};

interface Credential {
  username: string;
  password: string;
}
interface Target {
  host: string;
  service: string;
  https: boolean;
  /** `tls-server-end-point:` data of the server certificate, when the transport has it. */
  channelBinding?: Uint8Array;
}

/** For `registerClientMechanism('negotiate', …)`: SPNEGO-wrapped NTLM with sealing. */
export const negotiateClientMechanism = {
  createContext(credential: Credential, target: Target): ClientAuthContext {
    return new NegotiateClientContext({
      username: credential.username,
      password: credential.password,
      ...(target.channelBinding ? { channelBinding: target.channelBinding } : {}),
    });
  },
  sealer: httpBodySealer,
};

/** For `registerClientMechanism('ntlm', …)`: bare NTLMSSP in the Negotiate scheme, with sealing. */
export const ntlmClientMechanism = {
  createContext(credential: Credential, target: Target): ClientAuthContext {
    return new NtlmClientContext({
      username: credential.username,
      password: credential.password,
      ...(target.channelBinding ? { channelBinding: target.channelBinding } : {}),
    });
  },
  sealer: httpBodySealer,
};

/**
 * For `registerClientMechanism('kerberos', …)`: the `Kerberos` scheme through the optional native
 * package, with the ticket of the credential cache (kinit), SPN `HTTP/<host>`. No sealing (use HTTPS,
 * or a listener that allows unencrypted traffic). FeatureMissingError without the package.
 */
export const kerberosClientMechanism = {
  createContext(_credential: Credential, target: Target): Promise<ClientAuthContext> {
    return KerberosClientContext.create({ host: target.host, mechanism: 'kerberos' });
  },
};

/** A Negotiate server context for one connection (accepts SPNEGO and bare NTLMSSP). */
export function negotiateServerContext(opts: NtlmServerOptions): ServerAuthContext {
  return new NegotiateServerContext(opts);
}
