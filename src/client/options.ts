/**
 * How a client is addressed and what a session asks of the server: New-PSSession's connection
 * parameters and New-PSSessionOption's options, with PowerShell's names and defaults.
 */
import { WsmanUsageError } from '../core/errors.js';
import type { AuthenticationMechanism, Credential } from '../transport/auth.js';
import type { ClientCertificate, ProxySetting } from '../transport/types.js';

/** Where the endpoint is: a URI, or a computer name with PowerShell's defaults. */
export type Endpoint =
  /** PowerShell `-ConnectionUri`. A URI without a port means 80 (http) or 443 (https). */
  | { connectionUri: string }
  | {
    /** PowerShell `-ComputerName`. */
    computerName: string;
    /** `-Port`: default 5985, or 5986 with useSsl. */
    port?: number;
    /** `-UseSSL`. */
    useSsl?: boolean;
    /** `-ApplicationName`: default `wsman`. */
    applicationName?: string;
  };

/** Options that mirror New-PSSessionOption (each names its PowerShell parameter). */
export interface SessionOptions {
  /**
   * `-OperationTimeout` in ms (default 180000): the longest any one operation may take. Sent as
   * `w:OperationTimeout` capped at 60 s (Windows' MaxTimeoutms); the HTTP timeout is 15 s above it.
   */
  operationTimeout?: number;
  /** `-OpenTimeout` in ms (default 180000): connecting and creating the shell. */
  openTimeout?: number;
  /** `-CancelTimeout` in ms (default 60000): Signal and Delete sent while cancelling. */
  cancelTimeout?: number;
  /** `-IdleTimeout` in ms: the shell's IdleTimeOut (default: the server's, 7200000 on Windows). */
  idleTimeout?: number;
  /** `-OutputBufferingMode` Block or Drop: sent as the shell's BufferMode (default: the server's). */
  outputBufferingMode?: 'Block' | 'Drop';
  /** `-MaximumRedirection` (default 5; negative means no limit). Used only with allowRedirection. */
  maximumRedirection?: number;
  /** `-SkipCACheck`. */
  skipCACheck?: boolean;
  /** `-SkipCNCheck`. */
  skipCNCheck?: boolean;
  /** `-Culture`: sent as `p:DataLocale` (how numbers and dates are formatted). Default en-US. */
  culture?: string;
  /** `-UICulture`: sent as `w:Locale` (the language of messages and faults). Default en-US. */
  uiCulture?: string;
  /**
   * Largest response we ask for, in bytes (WSMan:\localhost\MaxEnvelopeSizekb × 1024). Default
   * 153600, which every Windows version honours. `'auto'` reads the server's MaxEnvelopeSizekb
   * (needs administrator rights; falls back to 153600 when refused).
   */
  maxEnvelopeSize?: number | 'auto';
  /** `-NoEncryption`: do not seal messages over HTTP even when the mechanism can (needs allowUnencrypted over HTTP). */
  noEncryption?: boolean;
  /**
   * Allow Basic (the password in clear) with `authentication: 'basic'`, and unsealed authenticated
   * traffic, over plain HTTP. Default false; `default`/`negotiate` never fall back to Basic
   * whatever this says. Not kept across a redirect from https:// to http://. PowerShell: the WinRM
   * client's AllowUnencrypted (`winrm set winrm/config/client @{AllowUnencrypted="true"}`).
   */
  allowUnencrypted?: boolean;
  /** `-NoMachineProfile`: WINRS_NOPROFILE on shell Create. */
  noMachineProfile?: boolean;
  /** `-ProxyAccessType` / `-ProxyCredential`: 'environment' (default), 'none', or an explicit proxy. */
  proxy?: ProxySetting;
  /** WINRS_CODEPAGE on shell Create (default 65001, UTF-8). */
  codePage?: number;
}

/** Everything a WsmanClient needs. */
export interface ClientOptions extends SessionOptions {
  endpoint: Endpoint;
  /** `-Credential`. */
  credential?: Credential;
  /** `-Authentication` (default: Negotiate; Basic only when asked for by name). */
  authentication?: AuthenticationMechanism;
  /** `-CertificateThumbprint` resolved to a certificate (see resolveCertificateByThumbprint). */
  clientCertificate?: ClientCertificate;
  /** Trust the server certificate with this SHA-1 thumbprint (no PowerShell equivalent). */
  serverThumbprint?: string;
  /** Extra trusted CAs (PEM files). */
  caFile?: string | string[];
  /** `-AllowRedirection`: follow a 302 on shell Create (only with a connection URI, as PowerShell). */
  allowRedirection?: boolean;
  /** User-Agent header (default `Microsoft WinRM Client`, as Windows sends). */
  userAgent?: string;
  /** Environment for proxy variables (tests). */
  env?: Record<string, string | undefined>;
}

export const DEFAULTS = {
  operationTimeout: 180_000,
  openTimeout: 180_000,
  cancelTimeout: 60_000,
  maximumRedirection: 5,
  culture: 'en-US',
  uiCulture: 'en-US',
  maxEnvelopeSize: 153_600,
  codePage: 65001,
  /** The longest Receive long-poll we ask for (Windows' MaxTimeoutms default is 60000). */
  receiveTimeout: 60_000,
  /** The largest OperationTimeout header we send (Windows' default MaxTimeoutms). */
  maxWireTimeout: 60_000,
  /** The HTTP timeout is OperationTimeout plus this margin, so the server's own timeout answers first. */
  httpMargin: 15_000,
  userAgent: 'Microsoft WinRM Client',
} as const;

/** The endpoint URL: `http://HOST:5985/wsman` for a computer name, the URI as given otherwise. */
export function endpointUrl(e: Endpoint): string {
  if ('connectionUri' in e) {
    const example = 'e.g. http://HOST:5985/wsman or https://HOST:5986/wsman';
    // `host:5985/wsman` parses as a URL of scheme `host:`: ask for the scheme before parsing.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(e.connectionUri.trim())) {
      // Never echo what may be a password (`user:pass@host`).
      const shown = e.connectionUri.trim().replace(/^[^@/]*@/, '…@');
      throw new WsmanUsageError(`a connection URI starts with http:// or https:// (${example}), not '${shown}'`, 'ERR_BAD_URI');
    }
    let u: URL;
    try {
      u = new URL(e.connectionUri.trim());
    } catch {
      throw new WsmanUsageError(`not a valid connection URI: '${e.connectionUri}' (${example})`, 'ERR_BAD_URI');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WsmanUsageError(`the connection URI must be http:// or https:// (${example}), not ${u.protocol}`, 'ERR_BAD_URI');
    // Credentials in a URI would end up in messages and logs: they go in the credential option.
    if (u.username || u.password) throw new WsmanUsageError('put the user name in the credential option, not in the connection URI', 'ERR_BAD_URI');
    if (u.pathname === '' || u.pathname === '/') u.pathname = '/wsman';
    return u.href;
  }
  const host = e.computerName.trim();
  if (!host || /[/\s@]/.test(host)) throw new WsmanUsageError(`not a valid computer name: '${e.computerName}'`, 'ERR_BAD_COMPUTER_NAME');
  const scheme = e.useSsl ? 'https' : 'http';
  const port = e.port ?? (e.useSsl ? 5986 : 5985);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new WsmanUsageError(`not a valid port: ${port}`, 'ERR_BAD_PORT');
  const app = (e.applicationName ?? 'wsman').replace(/^\/+/, '');
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new URL(`${scheme}://${h}:${port}/${app}`).href;
}

/** The name to show for an endpoint (PowerShell's PSComputerName). */
export function computerNameOf(e: Endpoint): string {
  if ('computerName' in e) return e.computerName;
  try {
    return new URL(e.connectionUri).hostname;
  } catch {
    return e.connectionUri;
  }
}
