/**
 * What the HTTP transport takes and gives. The client speaks envelopes; the transport speaks
 * POST bodies, authentication legs, TLS and proxies (protocol.md §8).
 */
import type { ClientAuthContext, Mechanism } from '../auth/types.js';

/** TLS settings for HTTPS endpoints (New-PSSessionOption's SkipCACheck/SkipCNCheck and friends). */
export interface TlsOptions {
  /** PEM file(s) or PEM text of CAs to trust in addition to (or instead of) the system store. */
  caFile?: string | string[];
  /** PEM text of CAs to trust. */
  ca?: string | string[];
  /** Do not check that the server certificate chains to a trusted CA. PowerShell: `-SkipCACheck`. */
  skipCACheck?: boolean;
  /** Do not check that the certificate names the host. PowerShell: `-SkipCNCheck`. */
  skipCNCheck?: boolean;
  /**
   * Accept exactly the server certificate with this SHA-1 thumbprint (hex, any case, colons or
   * spaces allowed), whatever its issuer or name: how `winrm quickconfig`'s self-signed
   * certificates are usually trusted.
   */
  serverThumbprint?: string;
  /** Client certificate (certificate authentication, `-CertificateThumbprint` once resolved). */
  clientCert?: ClientCertificate;
  /** SNI / name to check, when it differs from the URL's host. */
  servername?: string;
}

/** A client certificate: PEM files or text, or a PKCS#12 (PFX) file read with node-forge. */
export type ClientCertificate =
  | { certPem: string; keyPem: string }
  | { certFile: string; keyFile: string }
  | { pfxFile: string; passphrase?: string }
  | { pfx: Uint8Array; passphrase?: string };

/**
 * Seals and unseals bodies with an established context (HTTP message encryption, protocol.md
 * §8.3). Implemented in `src/auth/` (multipart/encrypted framing); the transport only calls it.
 */
export interface BodySealer {
  /** Wrap a plaintext SOAP body; returns the body and Content-Type to send. */
  seal(ctx: ClientAuthContext, plaintext: Uint8Array, contentType: string): { body: Uint8Array; contentType: string };
  /** True when a response Content-Type says the body is sealed. */
  isSealed(contentType: string): boolean;
  /** Unwrap a sealed response body. Throws WsmanProtocolError (or WsmanAuthError) when it cannot. */
  unseal(ctx: ClientAuthContext, body: Uint8Array, contentType: string): Uint8Array;
  /** Optional: in the background, prepare `ctx` to unseal (`unwrap`) or seal (`wrap`) its next body faster. */
  ahead?(ctx: ClientAuthContext, direction: 'wrap' | 'unwrap', later: (f: () => void) => void): void;
}

/**
 * How requests are authenticated. Four shapes:
 *  - `header`: the same Authorization header on every request (Basic, certificate);
 *  - `context`: a connection-bound handshake (NTLM, Negotiate, Kerberos, CredSSP): a new
 *    ClientAuthContext per TCP connection, driven through the 401 loop, optionally sealing;
 *  - `none`: unauthenticated (Identify with `WSMANIDENTIFY: unauthenticated`);
 *  - `select`: one of the above, chosen from what the server offers.
 */
export type AuthProvider =
  | { kind: 'none' }
  /**
   * Pick a mechanism from the server's first 401 challenge (`-Authentication Default`): the
   * first request goes out without credentials, `choose` gets the offered schemes (lower case).
   */
  | { kind: 'select'; choose: (offered: string[], url: string) => AuthProvider }
  | { kind: 'header'; mechanism: Mechanism; header: () => string }
  | {
    kind: 'context';
    mechanism: Mechanism;
    /**
     * A fresh context for a fresh connection. Over HTTPS `channelBinding` is the
     * `tls-server-end-point:` data of the server certificate (RFC 5929), for channel binding.
     */
    createContext: (conn: { channelBinding?: Uint8Array }) => ClientAuthContext | Promise<ClientAuthContext>;
    /** Present when the mechanism can seal; `encryption` decides whether it is used. */
    sealer?: BodySealer;
    /** `auto` seals over HTTP and not over HTTPS (New-PSSessionOption `-NoEncryption` = never). */
    encryption?: 'auto' | 'always' | 'never';
  };

/** One POST. */
export interface TransportRequest {
  body: string | Uint8Array;
  /** Milliseconds before the whole exchange is abandoned (kept above OperationTimeout). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra headers (e.g. `WSMANIDENTIFY: unauthenticated`). */
  headers?: Record<string, string>;
  /** Send without authentication even when the transport has a provider. */
  unauthenticated?: boolean;
  /**
   * Safe to send twice (Identify, Get, Enumerate, Pull): a reused connection that the server
   * closed or reset before any byte of the answer is then retried once on a fresh connection.
   */
  idempotent?: boolean;
}

/** One HTTP answer, body already unsealed. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Charset from Content-Type, if any. */
  charset?: string;
  /** The URL that answered. */
  url: string;
}

/** Proxy settings (New-PSSessionOption `-ProxyAccessType`, `-ProxyCredential`). */
export type ProxySetting =
  /** Use HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment (the default). */
  | 'environment'
  /** Connect directly. PowerShell: `-ProxyAccessType NoProxyServer`. */
  | 'none'
  /** This proxy (`http://user:pass@proxy:3128`). */
  | { uri: string; username?: string; password?: string };

export interface TransportOptions {
  /** Full endpoint URL, e.g. `https://host:5986/wsman`. */
  url: string;
  auth: AuthProvider;
  tls?: TlsOptions;
  proxy?: ProxySetting;
  /** TCP/TLS connect timeout in ms. PowerShell: `-OpenTimeout`. */
  connectTimeoutMs?: number;
  /** Most connections kept open at once (each authenticated separately). Default 4. */
  maxConnections?: number;
  /** `User-Agent` header. */
  userAgent?: string;
  /**
   * Allow a password (Basic) or unsealed authenticated traffic over plain HTTP (src/auth/policy.ts).
   * Default false. PowerShell: the WinRM client's AllowUnencrypted.
   */
  allowUnencrypted?: boolean;
  /** Environment for proxy variables (tests). Defaults to process.env. */
  env?: Record<string, string | undefined>;
}
