/**
 * The WinRM-compatible listener: HTTP and HTTPS endpoints over one ListenerCore. Like
 * `winrm quickconfig` plus the WinRM service: 5985/5986 by default, POST /wsman, Basic against the
 * user store (other schemes plug in as Authenticators), shells running real processes.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { WsmanError } from '../core/errors.js';
import { ListenerCore } from './core.js';
import { defaultConfig, type ListenerConfig } from './config.js';
import type { UserStore } from './users.js';
import { BasicAuthenticator, negotiateAuthenticator, type Authenticator } from './auth.js';
import { createLogger, type Logger } from './log.js';
import { createHandler } from './http.js';
import { stateDirCertificate, TLS_POLICY, type TlsMaterial } from './tls.js';
import { CertificateAuthenticator, type CertMapping } from './certauth.js';
import { FailureThrottle } from './auth-throttle.js';
import { logAccounts } from './users.js';
import { withPowerShell } from './pwsh-find.js';

export interface ListenerOptions {
  users: UserStore;
  /** Default 127.0.0.1; listening on all interfaces must be asked for. */
  host?: string;
  /** HTTP port (default 5985; 0 picks a free port; null disables HTTP). */
  httpPort?: number | null;
  /** HTTPS port (default 5986; 0 picks a free port; null disables HTTPS). */
  httpsPort?: number | null;
  /** Application name: the URL path is `/<appName>` (default `wsman`). */
  appName?: string;
  config?: ListenerConfig;
  /** Offer Microsoft.PowerShell served by this pwsh executable (pwsh-find.ts findPwsh finds one). */
  pwsh?: string;
  allowUnencrypted?: boolean;
  redirect?: string;
  /** TLS material; default: the state directory's self-signed certificate. */
  tls?: TlsMaterial;
  stateDir?: string;
  logger?: Logger;
  authenticators?: Authenticator[];
  /**
   * Client certificate mappings (WSMan:\localhost\ClientCertificate): when given, the HTTPS
   * endpoint requests (does not require) a client certificate and accepts certificate authentication.
   */
  certMappings?: CertMapping[];
  /** Per-address backoff of failed logons (default: a FailureThrottle with its defaults; false: none). */
  authThrottle?: FailureThrottle | false;
  sweepIntervalMs?: number;
  hiddenEnv?: string[];
  /** Start commands from a pool of prepared shells (default true); see ListenerCore. */
  processPool?: boolean;
  /**
   * How long a client may take to send a request's headers, and its whole request (headers and
   * body), in ms; defaults HEADERS_TIMEOUT_MS and REQUEST_TIMEOUT_MS. Neither bounds the answer:
   * a Receive waiting up to its OperationTimeout has already been read whole.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How often those two are checked (Node's connectionsCheckingInterval; default 1 s). */
  timeoutCheckMs?: number;
}

/** Slow headers (slowloris): 408 and close after this long. */
export const HEADERS_TIMEOUT_MS = 30_000;
/**
 * A whole request body must arrive within this long: MaxEnvelopeSize (500 KB) at 4 KB/s. Node
 * stops this clock once the request is read, so it never cuts a long Receive's answer.
 */
export const REQUEST_TIMEOUT_MS = 120_000;

export interface ListeningEndpoint {
  url: string;
  port: number;
  secure: boolean;
  thumbprint?: string;
}

/** Negotiate (when some user has an NT hash) then Basic, in the order Windows offers them. */
export function defaultAuthenticators(users: UserStore): Authenticator[] {
  const hasNt = users.names().some((n) => users.get(n)?.ntHash !== undefined);
  return [...(hasNt ? [negotiateAuthenticator(users)] : []), new BasicAuthenticator(users)];
}

/** Default state directory: $XDG_STATE_HOME/wsman or ~/.local/state/wsman. */
export function defaultStateDir(): string {
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'wsman');
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Why a port could not be opened, in words (ERR_ADDRESS_IN_USE, ERR_PORT_DENIED, else ERR_LISTEN). */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): WsmanError {
  const where = `${urlHost(host)}:${port}`;
  if (err.code === 'EADDRINUSE') return new WsmanError('ERR_ADDRESS_IN_USE', `cannot listen on ${where}: the port is in use (another listener?)`, { cause: err });
  if (err.code === 'EACCES') return new WsmanError('ERR_PORT_DENIED', `cannot listen on ${where}: permission denied (ports below 1024 need root)`, { cause: err });
  if (err.code === 'EADDRNOTAVAIL') return new WsmanError('ERR_LISTEN', `cannot listen on ${where}: this machine has no such address`, { cause: err });
  return new WsmanError('ERR_LISTEN', `cannot listen on ${where}: ${err.message}`, { cause: err });
}

/** A running `wsman listen` (Enable-PSRemoting's service, for this host). */
export class WsmanListener {
  readonly core: ListenerCore;
  private readonly servers: Server[] = [];
  readonly endpoints: ListeningEndpoint[] = [];
  private readonly path: string;
  private readonly throttle: FailureThrottle | undefined;

  constructor(private readonly opts: ListenerOptions) {
    this.path = '/' + (opts.appName ?? 'wsman').replace(/^\/+/, '');
    this.throttle = opts.authThrottle === false ? undefined : opts.authThrottle ?? new FailureThrottle();
    const authenticators = [...(opts.authenticators ?? defaultAuthenticators(opts.users))];
    if (opts.certMappings?.length && !authenticators.some((a) => a instanceof CertificateAuthenticator)) {
      authenticators.push(new CertificateAuthenticator(opts.users, opts.certMappings));
    }
    this.core = new ListenerCore({
      config: opts.pwsh ? withPowerShell(opts.config ?? defaultConfig(), opts.pwsh) : opts.config ?? defaultConfig(),
      users: opts.users,
      log: opts.logger ?? createLogger('info'),
      authenticators,
      allowUnencrypted: opts.allowUnencrypted ?? false,
      ...(opts.redirect ? { redirect: opts.redirect } : {}),
      ...(opts.sweepIntervalMs ? { sweepIntervalMs: opts.sweepIntervalMs } : {}),
      ...(opts.hiddenEnv ? { hiddenEnv: opts.hiddenEnv } : {}),
      ...(opts.processPool !== undefined ? { processPool: opts.processPool } : {}),
    });
  }

  private async listen(server: Server, port: number, host: string): Promise<number> {
    server.keepAliveTimeout = 120_000;
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Slow headers or a slow body (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS): 408, as Node would.
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      // The code and Node's reason only: the error's rawPacket holds what the client sent (credentials too).
      const reason = (err as { reason?: unknown }).reason;
      this.core.log.log('warn', 'bad HTTP request', { status: Number(status.slice(0, 3)), code: err.code ?? 'unknown', reason: reason === undefined ? undefined : String(reason), writable: socket.writable });
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, port));
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        server.on('error', (err) => this.core.log.log('error', 'server error', { error: err.message }));
        resolve();
      });
    });
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** Start the endpoints; resolves once they accept connections. */
  async start(): Promise<ListeningEndpoint[]> {
    const host = this.opts.host ?? '127.0.0.1';
    try {
      if (this.opts.httpPort !== null) {
        const server = createHttpServer(this.serverTimeouts(), createHandler(this.core, { secure: false, path: this.path, ...this.handlerExtras() }));
        const port = await this.listen(server, this.opts.httpPort ?? 5985, host);
        this.endpoints.push({ url: `http://${urlHost(host)}:${port}${this.path}`, port, secure: false });
        this.core.listening.push({ host, port, secure: false, path: this.path });
      }
      if (this.opts.httpsPort !== null) {
        const tls = this.opts.tls ?? stateDirCertificate(this.opts.stateDir ?? defaultStateDir());
        const server = createHttpsServer({
          ...this.serverTimeouts(),
          ...TLS_POLICY,
          ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}),
          ...(tls.pfx ? { pfx: tls.pfx } : {}), ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
          // Certificate authentication: ask for a client certificate, but let the mapping decide.
          ...(this.core.authenticators.some((a) => a instanceof CertificateAuthenticator) ? { requestCert: true, rejectUnauthorized: false } : {}),
        }, createHandler(this.core, { secure: true, path: this.path, ...this.handlerExtras() }));
        const port = await this.listen(server, this.opts.httpsPort ?? 5986, host);
        this.endpoints.push({ url: `https://${urlHost(host)}:${port}${this.path}`, port, secure: true, thumbprint: tls.thumbprint });
        this.core.listening.push({ host, port, secure: true, path: this.path, ...(tls.thumbprint ? { thumbprint: tls.thumbprint } : {}) });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    logAccounts(this.core.log, this.opts.users);
    return this.endpoints;
  }

  /** Slow headers and slow bodies are cut off (408); see HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS. */
  private serverTimeouts(): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
    const requestTimeout = this.opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    return {
      requestTimeout,
      headersTimeout: Math.min(this.opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout),
      connectionsCheckingInterval: this.opts.timeoutCheckMs ?? 1000,
    };
  }

  private handlerExtras(): { throttle?: FailureThrottle } {
    return this.throttle ? { throttle: this.throttle } : {};
  }

  /** Stop accepting, drop connections, kill every shell's processes. */
  async stop(): Promise<void> {
    this.core.close();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    })));
    this.servers.length = 0;
  }
}
