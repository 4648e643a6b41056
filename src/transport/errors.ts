/** Turn what undici and Node throw into our typed errors with stable codes. */
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
  if (code !== undefined && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO' || /CERT|SSL|TLS/.test(code))) {
    return new WsmanTlsError(`TLS with ${url} failed: ${msg}`, 'ERR_TLS_HANDSHAKE', { cause: err });
  }
  if (/Proxy response \((\d+)\)/.test(msg) || /Proxy Authentication Required/.test(msg)) {
    return new WsmanNetworkError(`the proxy refused the tunnel to ${url}: ${msg}`, { cause: err }, 'ERR_PROXY');
  }
  if (err instanceof Error && (err.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR')) return err;
  return new WsmanNetworkError(`cannot talk to ${url}: ${msg}`, { cause: err });
}
