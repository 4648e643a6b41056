/**
 * The rules of authentication, decided once for the client library, the CLI and the listener:
 * which mechanisms exist, which one `default` picks from a server's offer, and when a password or
 * the traffic may cross plain HTTP. Sans-IO (pure decisions).
 *
 * Unencrypted traffic (PowerShell's client `AllowUnencrypted`, false by default):
 * - over HTTPS everything is protected by TLS;
 * - over `http://`, Basic (the password itself, in clear) is sent only when the caller asked for
 *   `basic` by name AND allowed unencrypted traffic; `default` and `negotiate` never fall back to it;
 * - over `http://`, a connection-bound mechanism whose messages are not sealed (`--no-encryption`,
 *   or Kerberos, which cannot seal here) sends no password but every message in clear: it too needs
 *   `allowUnencrypted`, as PowerShell's `-NoEncryption` over HTTP needs AllowUnencrypted=true;
 * - a redirect from https:// to http:// is followed with allowUnencrypted off, whatever was given.
 *
 * Negotiate and Kerberos: `negotiate` (and `default`) is SPNEGO around NTLM with the given credential,
 * and never tries Kerberos first. The Kerberos here comes from the optional native package, which
 * uses the ticket cache's principal (not the credential given) and cannot seal messages; choosing it
 * behind the user's back would log on as another identity, or send the traffic in clear. Kerberos is
 * used when asked for by name (`--authentication kerberos`).
 */
import { WsmanAuthError, WsmanUsageError } from '../core/errors.js';

/** `-Authentication` values, in the order help texts list them. PowerShell: AuthenticationMechanism. */
export const AUTHENTICATION_MECHANISMS = ['default', 'basic', 'negotiate', 'ntlm', 'kerberos', 'credssp', 'certificate'] as const;

/** One `-Authentication` value. */
export type AuthenticationMechanism = (typeof AUTHENTICATION_MECHANISMS)[number];

/** The stable error code of every refusal to send credentials or traffic in clear. */
export const UNENCRYPTED_REFUSED = 'ERR_AUTH_UNENCRYPTED';

/** How to allow unencrypted traffic, for messages. */
const HOW = 'use HTTPS (--use-ssl or an https:// URI), or allow unencrypted traffic with --allow-unencrypted (library: allowUnencrypted: true; PowerShell: the client\'s AllowUnencrypted)';

/** True for a value of AUTHENTICATION_MECHANISMS (case-insensitive). */
export function isAuthenticationMechanism(v: string): v is AuthenticationMechanism {
  return (AUTHENTICATION_MECHANISMS as readonly string[]).includes(v);
}

/**
 * What `-Authentication Default` uses, given the schemes a server's 401 offers (lower case): Negotiate
 * when offered, as PowerShell's Default. Never Basic: throws WsmanAuthError, naming what was offered
 * and how to ask for Basic explicitly.
 */
export function chooseDefault(offered: readonly string[], where: { url: string; https: boolean }): 'negotiate' {
  if (offered.includes('negotiate')) return 'negotiate';
  const list = offered.length ? [...new Set(offered)].join(', ') : 'no scheme';
  if (offered.includes('basic')) {
    const how = where.https
      ? 'To use Basic, ask for it: --authentication basic (library: authentication: \'basic\')'
      : 'Use HTTPS, or ask for Basic explicitly: --authentication basic --allow-unencrypted ' +
        '(library: authentication: \'basic\', allowUnencrypted: true)';
    throw new WsmanAuthError(`${where.url} offers ${list}; default authentication uses Negotiate and never falls back to Basic, ` +
      `which sends the password itself${where.https ? '' : ' (in clear over http://)'}. ${how}`,
      where.https ? 'ERR_AUTH_NO_COMMON_SCHEME' : UNENCRYPTED_REFUSED);
  }
  throw new WsmanAuthError(`${where.url} offers ${list}; default authentication needs Negotiate (choose another with --authentication)`,
    'ERR_AUTH_NO_COMMON_SCHEME');
}

/**
 * True when the mechanism's contexts seal HTTP bodies here (NTLM, and Negotiate around it). Basic
 * and certificate cannot; Kerberos through the native package cannot split header and ciphertext.
 */
export function mechanismSeals(mechanism: string): boolean {
  return mechanism === 'negotiate' || mechanism === 'ntlm';
}

/** What `checkUnencrypted` looks at, for one request about to carry credentials. */
export interface UnencryptedQuestion {
  /** The mechanism in use (`basic`, `negotiate`, `ntlm`, `kerberos`, `certificate`...). */
  mechanism: string;
  /** True over TLS. */
  https: boolean;
  /** True when message bodies will be sealed by the mechanism (HTTP message encryption). */
  sealed: boolean;
  /** The client's AllowUnencrypted. */
  allowUnencrypted: boolean;
  /** The endpoint, for the message. */
  url: string;
  /** Why the bodies are not sealed, for the message (e.g. `--no-encryption`). */
  unsealedBecause?: string;
}

/**
 * Whether authenticated traffic may go unprotected: over HTTPS always; over plain HTTP only when
 * sealed or when AllowUnencrypted is set. The same rule on both sides: the client (its
 * AllowUnencrypted, `checkUnencrypted`) and the listener (WinRM service's AllowUnencrypted, which
 * answers an unsealed authenticated HTTP body with Access denied).
 */
export function clearTrafficAllowed(https: boolean, sealed: boolean, allowUnencrypted: boolean): boolean {
  return https || sealed || allowUnencrypted;
}

/**
 * Throws WsmanUsageError (code ERR_AUTH_UNENCRYPTED) when a request would send a password, or an
 * authenticated conversation, in clear without AllowUnencrypted; returns otherwise. Call it before
 * anything with credentials is sent. Basic is refused even when "sealed" is claimed: it cannot seal.
 */
export function checkUnencrypted(q: UnencryptedQuestion): void {
  if (q.https || q.allowUnencrypted) return;
  if (q.mechanism === 'basic') {
    throw new WsmanUsageError(`Basic authentication to ${q.url} would send the password in clear over http://; refused: ${HOW}`,
      UNENCRYPTED_REFUSED);
  }
  if (clearTrafficAllowed(q.https, q.sealed, q.allowUnencrypted)) return;
  const why = q.unsealedBecause ? ` (${q.unsealedBecause})` : '';
  throw new WsmanUsageError(`${q.mechanism} authentication to ${q.url} without message encryption${why} would send every message in clear ` +
    `over http://; refused: ${HOW}`, UNENCRYPTED_REFUSED);
}

/** True when an address or URL moves from https:// to http:// (a redirect that must not keep AllowUnencrypted). */
export function isDowngrade(from: string, to: string): boolean {
  return /^https:/i.test(from) && /^http:/i.test(to);
}
