/**
 * Proxies: which one (explicit, or HTTP_PROXY / HTTPS_PROXY / NO_PROXY as curl reads them) and a
 * one-connection undici ProxyAgent whose tunnelled TLS is checked by our own rules.
 */
import type { Client as UndiciClient, ProxyAgent as UndiciProxyAgent } from 'undici';
import { ProxyAgent, Client, MAX_RESPONSE_HEAD, type Dispatcher } from './undici.js';
import type { ProxySetting, TlsOptions } from './types.js';
import { tlsConnectOptions, verifyingConnector, type Connector } from './tls.js';

function envVar(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** True when NO_PROXY lists this host (exact, suffix `.example.com` / `example.com`, `*`, host:port). */
export function noProxyMatches(noProxy: string | undefined, host: string, port: number): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m && !entry.includes(']') && m[1] !== undefined && !m[1].includes(':')) {
      entry = m[1];
      entryPort = Number(m[2]);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '.');
    if (entry.startsWith('.') ? h.endsWith(entry) || h === entry.slice(1) : h === entry || h.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy URL to use for `target`, or undefined for a direct connection. */
export function resolveProxy(setting: ProxySetting | undefined, target: URL, env: Record<string, string | undefined> = process.env): string | undefined {
  if (setting === 'none') return undefined;
  if (setting !== undefined && setting !== 'environment') {
    const u = new URL(setting.uri);
    if (setting.username !== undefined) u.username = encodeURIComponent(setting.username);
    if (setting.password !== undefined) u.password = encodeURIComponent(setting.password);
    return u.href;
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  if (noProxyMatches(envVar(env, 'no_proxy'), target.hostname, port)) return undefined;
  const p = target.protocol === 'https:' ? envVar(env, 'https_proxy') ?? envVar(env, 'all_proxy') : envVar(env, 'http_proxy') ?? envVar(env, 'all_proxy');
  if (p === undefined) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : `http://${p}`;
}

/** Proxy URL without credentials, for messages. */
export function redactProxy(uri: string): string {
  try {
    const u = new URL(uri);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return '(proxy)';
  }
}

/**
 * A dispatcher holding one connection to the endpoint through `proxyUri` (CONNECT tunnel), so a
 * connection-bound authentication stays on one socket. The tunnelled connection is verified by
 * verifyPeer like a direct one.
 */
export function proxiedDispatcher(proxyUri: string, tls: TlsOptions | undefined, connectTimeoutMs: number | undefined,
  onPeer?: (certDer: Buffer) => void): Dispatcher {
  const requestTls = { ...tlsConnectOptions(tls), maxCachedSessions: 0 };
  return new ProxyAgent({
    uri: proxyUri,
    connections: 1,
    pipelining: 1,
    connectTimeout: connectTimeoutMs ?? 30_000,
    requestTls,
    factory: (o: string | URL, opts: object) => {
      const options = opts as { connect?: Connector } & UndiciClient.Options;
      const inner = options.connect as Connector;
      return new Client(o, { ...options, maxHeaderSize: MAX_RESPONSE_HEAD, connect: verifyingConnector(inner, tls, onPeer) });
    },
  } as UndiciProxyAgent.Options);
}
