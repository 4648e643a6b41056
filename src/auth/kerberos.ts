/**
 * Kerberos through the optional native `kerberos` npm package (MIT krb5 / Heimdal via GSSAPI). It is
 * not a dependency: when it is not installed, `loadKerberos` throws FeatureMissingError. Its steps
 * are asynchronous, so use `stepAsync`. The package's GSS wrap cannot split header and ciphertext
 * as HTTP message encryption needs, so Kerberos contexts do not seal: use HTTPS with Kerberos.
 */
import { FeatureMissingError, WsmanAuthError, WsmanUsageError } from '../core/errors.js';
import { AuthFailedError, INSPECT, redacted } from './errors.js';
import type { ClientAuth, Mechanism, Sealed, ServerAuth, StepResult } from './types.js';

/** The subset of the `kerberos` package's KerberosClient we use. */
interface NativeKerberosClient {
  step(challenge: string): Promise<string>;
  contextComplete: boolean;
}
/** The subset of the `kerberos` package's KerberosServer we use. */
interface NativeKerberosServer {
  step(challenge: string): Promise<string>;
  username?: string;
  contextComplete: boolean;
}
interface NativeKerberosModule {
  initializeClient(service: string, options?: { mechOID?: unknown; principal?: string }): Promise<NativeKerberosClient>;
  initializeServer?(service: string): Promise<NativeKerberosServer>;
  GSS_MECH_OID_KRB5?: unknown;
  GSS_MECH_OID_SPNEGO?: unknown;
}

let cached: NativeKerberosModule | undefined;

/** Load the optional `kerberos` package, or throw FeatureMissingError saying how to get it. */
export async function loadKerberos(): Promise<NativeKerberosModule> {
  if (cached) return cached;
  const name = 'kerberos';
  try {
    const mod = (await import(name)) as { default?: NativeKerberosModule } & NativeKerberosModule;
    cached = typeof mod.initializeClient === 'function' ? mod : (mod.default as NativeKerberosModule);
    if (!cached || typeof cached.initializeClient !== 'function') throw new Error('unexpected module shape');
    return cached;
  } catch {
    throw new FeatureMissingError('Kerberos', 'install the optional native package with `npm install kerberos` (needs the krb5 development files), and obtain a ticket with kinit');
  }
}

export interface KerberosClientOptions {
  /** Target host name (the SPN is `<service>@<host>`). */
  host: string;
  /** SPN service class; WinRM registers `HTTP` (and `WSMAN`). Default `HTTP`. */
  service?: string;
  /** Client principal to use (default: the credential cache's default). */
  principal?: string;
  /** `kerberos` for the Kerberos scheme, `negotiate` for SPNEGO-wrapped Kerberos. */
  mechanism: 'kerberos' | 'negotiate';
}

/** A Kerberos (or SPNEGO/Kerberos) initiator backed by the native package. */
export class KerberosClientContext implements ClientAuth {
  readonly mechanism: Mechanism;
  readonly scheme: string;
  readonly canSeal = false;
  readonly encryptionProtocol: string | undefined = undefined;
  private done = false;
  private first: string | undefined;

  private constructor(private readonly native: NativeKerberosClient, mechanism: 'kerberos' | 'negotiate', first: string) {
    this.mechanism = mechanism;
    this.scheme = mechanism === 'kerberos' ? 'Kerberos' : 'Negotiate';
    this.first = first;
  }

  /** Initialise and produce the first token now, so a missing ticket shows up before any request. */
  static async create(opts: KerberosClientOptions): Promise<KerberosClientContext> {
    const k = await loadKerberos();
    const mechOID = opts.mechanism === 'kerberos' ? k.GSS_MECH_OID_KRB5 : k.GSS_MECH_OID_SPNEGO;
    try {
      const native = await k.initializeClient(`${opts.service ?? 'HTTP'}@${opts.host}`, {
        ...(mechOID !== undefined ? { mechOID } : {}),
        ...(opts.principal ? { principal: opts.principal } : {}),
      });
      const first = await native.step('');
      return new KerberosClientContext(native, opts.mechanism, first);
    } catch (e) {
      // An address has no SPN of its own (WinRM registers HTTP/<host name>): the likeliest cause then.
      const address = /^\d{1,3}(\.\d{1,3}){3}$/.test(opts.host) || opts.host.includes(':');
      const why = address ? 'an IP address has no SPN: connect by host name' : 'no ticket, or unknown SPN';
      throw new WsmanAuthError(`Kerberos: could not start a security context for ${opts.service ?? 'HTTP'}@${opts.host} (${why})`, 'ERR_AUTH_KERBEROS', { cause: e });
    }
  }

  get complete(): boolean {
    return this.done;
  }

  step(): StepResult {
    throw new WsmanUsageError('Kerberos steps are asynchronous: call stepAsync');
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    if (this.first !== undefined) {
      const t = this.first;
      this.first = undefined;
      this.done = this.native.contextComplete;
      return { token: new Uint8Array(Buffer.from(t, 'base64')), done: this.done };
    }
    try {
      const out = await this.native.step(inToken ? Buffer.from(inToken).toString('base64') : '');
      this.done = this.native.contextComplete;
      return { ...(out ? { token: new Uint8Array(Buffer.from(out, 'base64')) } : {}), done: this.done };
    } catch (e) {
      throw new WsmanAuthError('Kerberos: the server token was refused', 'ERR_AUTH_KERBEROS', { cause: e });
    }
  }

  sessionKey(): undefined {
    return undefined;
  }
  wrap(): Sealed {
    throw new WsmanUsageError('Kerberos message encryption is not supported; use HTTPS');
  }
  unwrap(): Uint8Array {
    throw new WsmanUsageError('Kerberos message encryption is not supported; use HTTPS');
  }
  toString(): string {
    return redacted('KerberosClientContext', { complete: this.done });
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/**
 * A Kerberos acceptor (the listener's `Kerberos` scheme) backed by the native package: the service
 * key comes from the keytab GSSAPI finds (`KRB5_KTNAME`, default /etc/krb5.keytab). `user` is the
 * client principal without its realm (`alice@REALM` → `alice`), `domain` the realm. Steps are
 * asynchronous (`stepAsync`); no sealing (use HTTPS, or allow unencrypted traffic).
 */
export class KerberosServerContext implements ServerAuth {
  readonly mechanism = 'kerberos' as const;
  readonly scheme = 'Kerberos';
  readonly canSeal = false;
  readonly encryptionProtocol: string | undefined = undefined;
  private native: NativeKerberosServer | undefined;
  private done = false;
  private principal: string | undefined;

  /** `service` is the acceptor name, e.g. `HTTP@host` (with `ignore_acceptor_hostname`, any host). */
  constructor(private readonly service = 'HTTP') {}

  get complete(): boolean {
    return this.done;
  }
  get user(): string | undefined {
    return this.principal?.replace(/@[^@]*$/, '');
  }
  get domain(): string | undefined {
    const at = this.principal?.lastIndexOf('@') ?? -1;
    return at >= 0 ? this.principal?.slice(at + 1) : undefined;
  }

  step(): StepResult {
    throw new WsmanUsageError('Kerberos steps are asynchronous: call stepAsync');
  }

  async stepAsync(inToken?: Uint8Array): Promise<StepResult> {
    const k = await loadKerberos();
    if (typeof k.initializeServer !== 'function') throw new FeatureMissingError('Kerberos acceptor', 'this version of the kerberos package has no initializeServer');
    let out: string;
    try {
      this.native ??= await k.initializeServer(this.service);
      out = await this.native.step(inToken ? Buffer.from(inToken).toString('base64') : '');
    } catch {
      throw new AuthFailedError('bad-state');
    }
    this.done = this.native.contextComplete;
    if (this.done) this.principal = this.native.username;
    return { ...(out ? { token: new Uint8Array(Buffer.from(out, 'base64')) } : {}), done: this.done };
  }

  sessionKey(): undefined {
    return undefined;
  }
  wrap(): Sealed {
    throw new WsmanUsageError('Kerberos message encryption is not supported; use HTTPS');
  }
  unwrap(): Uint8Array {
    throw new WsmanUsageError('Kerberos message encryption is not supported; use HTTPS');
  }
  toString(): string {
    return redacted('KerberosServerContext', { complete: this.done });
  }
  [INSPECT](): string {
    return this.toString();
  }
}
