/** Turn what undici and Node throw into our typed errors with stable codes. */
import { isIP } from 'node:net';
import { nodeTls } from '../util/builtins.js';
import { WsmanError, WsmanNetworkError, WsmanTimeoutError, WsmanTlsError } from '../core/errors.js';

const NETWORK_CODES: Record<string, [code: string, words: string]> = {
  ECONNREFUSED: ['ERR_CONNECTION_REFUSED', 'the connection was refused (is the WinRM listener running on that port?)'],
  ENOTFOUND: ['ERR_HOST_NOT_FOUND', 'the host name does not resolve'],
  EAI_AGAIN: ['ERR_HOST_NOT_FOUND', 'the host name could not be resolved (DNS)'],
  ECONNRESET: ['ERR_CONNECTION_RESET', 'the connection was reset by the server'],
  EPIPE: ['ERR_CONNECTION_RESET', 'the connection was closed by the server'],
  EHOSTUNREACH: ['ERR_HOST_UNREACHABLE', 'the host is unreachable'],
  ENETUNREACH: ['ERR_HOST_UNREACHABLE', 'the network is unreachable'],
  UND_ERR_SOCKET: ['ERR_CONNECTION_RESET', 'the connection closed unexpectedly'],
  UND_ERR_CLOSED: ['ERR_CONNECTION_RESET', 'the connection was closed'],
};

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * OpenSSL's reason in words (`reason`, as Node gives it), else the message's first line without
 * OpenSSL's error-queue prefix (`8056…:error:0A00010B:SSL routines:…:reason:file:line:`).
 */
function tlsReason(err: unknown, msg: string): string {
  const reason = (err as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string' && reason.trim()) return reason.trim();
  const line = msg.split('\n')[0]!.trim();
  const m = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):/.exec(line);
  return m?.[1] ?? line;
}

/** Map a low-level failure talking to `url` into a WsmanError (abort reasons pass through). */
export function mapTransportError(err: unknown, url: string): unknown {
  if (err instanceof WsmanError) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof WsmanError) return cause;
  const code = codeOf(err) ?? codeOf(cause);
  const msg = (err as Error | null)?.message ?? String(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new WsmanTimeoutError(`connecting to ${url} timed out`, { cause: err });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new WsmanTimeoutError(`${url} did not answer in time`, { cause: err });
  }
  const net = code === undefined ? undefined : NETWORK_CODES[code];
  if (net) return new WsmanNetworkError(`cannot talk to ${url}: ${net[1]}`, { cause: err }, net[0]);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return new WsmanTlsError(`TLS with ${url} failed: the server does not speak TLS there (a plain HTTP port? WinRM's HTTPS port is 5986)`, 'ERR_TLS_HANDSHAKE', { cause: err });
  }
  if (code !== undefined && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO' || /CERT|SSL|TLS/.test(code))) {
    return new WsmanTlsError(`TLS with ${url} failed: ${tlsReason(err, msg)}`, 'ERR_TLS_HANDSHAKE', { cause: err });
  }
  if (/Proxy response \((\d+)\)/.test(msg) || /Proxy Authentication Required/.test(msg)) {
    return new WsmanNetworkError(`the proxy refused the tunnel to ${url}: ${msg}`, { cause: err }, 'ERR_PROXY');
  }
  if (err instanceof Error && (err.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR')) return err;
  return new WsmanNetworkError(`cannot talk to ${url}: ${msg}`, { cause: err });
}

/**
 * Whether `host:port` completes a TLS handshake: asked once a plain-HTTP request was dropped
 * without an answer, which is what a TLS port does with one (`http://` to WinRM's 5986).
 */
export function speaksTls(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = nodeTls().connect({ host: host.replace(/^\[|\]$/g, ''), port, rejectUnauthorized: false, ...(isIP(host.replace(/^\[|\]$/g, '')) ? {} : { servername: host }) });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** The error for `http://` sent to a port that speaks TLS, when it is that; else `mapped`. */
export async function httpToTlsPort(mapped: unknown, url: URL): Promise<unknown> {
  if (url.protocol !== 'http:' || !(mapped instanceof WsmanNetworkError) || mapped.code !== 'ERR_CONNECTION_RESET') return mapped;
  const port = Number(url.port || 80);
  if (!(await speaksTls(url.hostname, port))) return mapped;
  return new WsmanNetworkError(`cannot talk to ${url.href}: port ${port} speaks HTTPS, not HTTP: use https:// (WinRM's HTTP port is 5985, HTTPS 5986)`, { cause: mapped }, 'ERR_HTTPS_PORT');
}
