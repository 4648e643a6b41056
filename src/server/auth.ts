/**
 * Server-side authentication. The HTTP layer asks an `Authenticator` about each request and gives
 * it the connection's `ConnectionAuth` slot, so connection-based schemes (NTLM, Negotiate: the
 * security context belongs to the TCP connection, protocol.md §8.2) can run their 401 loop across
 * requests of one connection, and later unseal bodies with the context they established.
 *
 * Every context comes from src/auth's one entry point (`serverAuth`): Basic (verified against the
 * users file), Negotiate and Kerberos, driven through `ContextAuthenticator`; the Authorization
 * header is parsed by src/auth's one parser (`parseAuthHeader`). Secrets never reach a log line
 * or an error message.
 */
import { hash } from 'node:crypto';
import type { ServerAuthContext, StepResult } from '../auth/types.js';
import { serverAuth } from '../auth/entry.js';
import type { UserStore, ListenerUser } from './users.js';
import type { BasicVerifyCache } from './basic-cache.js';

/** What one connection knows about its authentication. */
export interface ConnectionAuth {
  /** The user a connection-based scheme authenticated (the whole connection is theirs). */
  user?: ListenerUser;
  /** Digest of the last Basic header verified on this connection (never the header itself). */
  basicDigest?: string;
  basicUser?: ListenerUser;
  /**
   * The user whose account mapping (accounts.ts resolveRunAs) was last accepted on this
   * connection: checked once per logon, not per request (a stat of /etc/passwd each time). Every
   * process started for a user checks it again (backends/spawn-spec.ts).
   */
  runAsChecked?: ListenerUser;
  /** The security context of a connection-based scheme, once started. */
  context?: ServerAuthContext;
  /** HTTPS: the client certificate of this TLS connection (DER) and its issuer when known. */
  peer?: { cert: Uint8Array; issuer?: Uint8Array };
  /** The user the client certificate mapped to (certificate authentication). */
  certUser?: ListenerUser;
  /** HTTPS: `tls-server-end-point` channel binding data of our certificate (RFC 5929). */
  channelBinding?: Uint8Array;
}

export type AuthOutcome =
  | { kind: 'ok'; user: ListenerUser; context?: ServerAuthContext; responseHeader?: string }
  /** Answer 401; `header` is a WWW-Authenticate value to send instead of the full challenge. */
  | { kind: 'challenge'; header?: string; reason: string; failed?: boolean };

/** One authentication scheme as the listener offers it. */
export interface Authenticator {
  /** The scheme word in Authorization / WWW-Authenticate (`Basic`, `Negotiate`…). */
  readonly scheme: string;
  /** The WWW-Authenticate value offered in a 401. */
  readonly challenge: string;
  /** True when the scheme can seal messages (so plain HTTP is acceptable without --allow-unencrypted). */
  readonly canSeal: boolean;
  /** The Identify security profile names this scheme stands for. */
  readonly profiles: { http: string; https: string };
  /** `token` is the decoded token of the Authorization header (undefined when absent or not base64). */
  authenticate(token: Uint8Array | undefined, conn: ConnectionAuth): Promise<AuthOutcome>;
}

/** The digest a connection keeps of the last Basic credentials it verified (one-shot hash: no Hash object per request). */
export function basicDigestOf(token: Uint8Array): string {
  return hash('sha256', token, 'base64');
}

/**
 * Basic over the user store (RFC 7617). Verified headers are remembered per connection as a digest,
 * and verified credentials in the store's cache (one scrypt check for all its listeners).
 */
export class BasicAuthenticator implements Authenticator {
  readonly scheme = 'Basic';
  readonly challenge = 'Basic realm="WSMAN"';
  readonly canSeal = false;
  readonly profiles = {
    http: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic',
    https: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/basic',
  };
  /**
   * Successful verifications, so that scrypt runs once per credential and not per request: by
   * default the user store's own (UserStore.basicCache), shared by every listener using that store.
   */
  readonly cache: BasicVerifyCache;
  constructor(private readonly users: UserStore, cache?: BasicVerifyCache) {
    this.cache = cache ?? users.basicCache;
  }

  async authenticate(token: Uint8Array | undefined, conn: ConnectionAuth): Promise<AuthOutcome> {
    if (!token?.length) return { kind: 'challenge', reason: 'malformed Basic credentials', failed: true };
    const digest = basicDigestOf(token);
    if (conn.basicDigest === digest && conn.basicUser) return { kind: 'ok', user: conn.basicUser };
    let user: ListenerUser | undefined;
    const ctx = serverAuth('Basic', {
      basic: async (given, password) => {
        // Accept DOMAIN\user for local users, as clients often send it.
        const bs = given.lastIndexOf('\\');
        const name = bs >= 0 && !this.users.get(given) ? given.slice(bs + 1) : given;
        user = await this.cache.verify(name, password, this.users, () => this.users.verify(name, password));
        return user !== undefined;
      },
    });
    try {
      await ctx!.stepAsync(token);
    } catch (e) {
      const malformed = /malformed/.test((e as Error).message);
      return { kind: 'challenge', reason: malformed ? 'malformed Basic credentials' : 'bad user name or password', failed: true };
    }
    if (!user) return { kind: 'challenge', reason: 'bad user name or password', failed: true };
    conn.basicDigest = digest;
    conn.basicUser = user;
    return { kind: 'ok', user };
  }
}

/**
 * A connection-based mechanism (NTLM, Negotiate, Kerberos) driven through ServerAuthContext:
 * each Authorization token is one `step`; while not complete the listener answers 401 with the
 * context's token; once complete the connection is authenticated as `context.user`.
 */
export class ContextAuthenticator implements Authenticator {
  readonly challenge: string;
  constructor(
    readonly scheme: string,
    private readonly newContext: (conn: ConnectionAuth) => ServerAuthContext,
    private readonly users: UserStore,
    readonly canSeal: boolean,
    readonly profiles: { http: string; https: string },
  ) {
    this.challenge = scheme;
  }

  async authenticate(token: Uint8Array | undefined, conn: ConnectionAuth): Promise<AuthOutcome> {
    if (!token?.length) return { kind: 'challenge', reason: `malformed ${this.scheme} token` };
    const bytes = token;
    const ctx = conn.context && !conn.context.complete ? conn.context : this.newContext(conn);
    conn.context = ctx;
    let step;
    try {
      // Kerberos (native) steps are asynchronous; every src/auth context offers stepAsync.
      const stepAsync = (ctx as { stepAsync?: (t: Uint8Array) => Promise<StepResult> }).stepAsync;
      step = typeof stepAsync === 'function' ? await stepAsync.call(ctx, bytes) : ctx.step(bytes);
    } catch {
      delete conn.context;
      return { kind: 'challenge', reason: `${this.scheme} handshake failed`, failed: true };
    }
    const out = step.token ? `${this.scheme} ${Buffer.from(step.token).toString('base64')}` : undefined;
    if (!step.done) return { kind: 'challenge', reason: `${this.scheme} handshake continues`, ...(out ? { header: out } : {}) };
    const user = ctx.user === undefined ? undefined : this.users.get(ctx.user);
    if (!user) {
      delete conn.context;
      return { kind: 'challenge', reason: `${this.scheme}: unknown user`, failed: true };
    }
    conn.user = user;
    return { kind: 'ok', user, context: ctx, ...(out ? { responseHeader: out } : {}) };
  }
}

/** Negotiate (NTLM inside, SPNEGO or raw NTLMSSP, with sealing) for users that have an NT hash. */
export function negotiateAuthenticator(users: UserStore, options: { netbiosComputer?: string; netbiosDomain?: string } = {}): Authenticator {
  // Over HTTPS the context checks the client's channel bindings against our certificate when the
  // client sends them (CbtHardeningLevel Relaxed, Windows' default).
  return new ContextAuthenticator('Negotiate', (conn) => serverAuth('Negotiate', {
    ntlm: {
      lookup: (user) => users.get(user)?.ntHash,
      ...options,
      ...(conn.channelBinding ? { channelBinding: conn.channelBinding } : {}),
    },
  })!, users, true, {
    http: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos',
    https: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/spnego-kerberos',
  });
}

/**
 * The `Kerberos` scheme through the optional native `kerberos` package (keytab from KRB5_KTNAME,
 * service principal `HTTP/<host>`); the client principal's name (without realm) must be a listener
 * user. Does not seal: use HTTPS, or allow unencrypted traffic.
 */
export function kerberosAuthenticator(users: UserStore, service = 'HTTP'): Authenticator {
  return new ContextAuthenticator('Kerberos', () => serverAuth('Kerberos', { kerberos: { service } })!, users, false, {
    http: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos',
    https: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/spnego-kerberos',
  });
}
