/**
 * The HTTP header forms of authentication tokens (RFC 7235 / RFC 4559), pure string work:
 * `Authorization: Negotiate <base64>` and `WWW-Authenticate: Negotiate [<base64>]`, with
 * scheme names compared without regard to case.
 */

export interface AuthHeader {
  /** The scheme as written (`Negotiate`, `Basic`, `Kerberos`, `CredSSP`, or the certificate URI). */
  scheme: string;
  /** The decoded token, when one is present and is valid base64. */
  token?: Uint8Array;
  /** Other parameters (e.g. `realm` of Basic). */
  params?: Record<string, string>;
}

const B64 = /^[A-Za-z0-9+/]+=*$/;

/** Parse one `Authorization` (or one `WWW-Authenticate` challenge) value. */
export function parseAuthHeader(value: string): AuthHeader | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  const sp = v.search(/\s/);
  const scheme = sp < 0 ? v : v.slice(0, sp);
  const rest = sp < 0 ? '' : v.slice(sp + 1).trim();
  if (rest === '') return { scheme };
  if (B64.test(rest)) return { scheme, token: new Uint8Array(Buffer.from(rest, 'base64')) };
  const params: Record<string, string> = {};
  for (const m of rest.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) params[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? '';
  return { scheme, params };
}

/**
 * Split `WWW-Authenticate` header values (node gives an array, or one comma-joined string) into
 * challenges. Handles `Negotiate abc==, Basic realm="WSMAN"` as two.
 */
export function parseWwwAuthenticate(values: string | string[] | undefined): AuthHeader[] {
  if (values === undefined) return [];
  const list = Array.isArray(values) ? values : [values];
  const out: AuthHeader[] = [];
  for (const v of list) {
    // Commas separate challenges and also parameters: a piece that is `name=value` belongs to the
    // challenge before it; anything else starts a new challenge.
    const pieces: string[] = [];
    for (const raw of v.split(',')) {
      const t = raw.trim();
      if (t === '') continue;
      if (/^[A-Za-z0-9_-]+\s*=/.test(t) && pieces.length > 0) pieces[pieces.length - 1] += `, ${t}`;
      else pieces.push(t);
    }
    for (const piece of pieces) {
      const h = parseAuthHeader(piece);
      if (h) out.push(h);
    }
  }
  return out;
}

/** `<scheme> <base64>` (or just the scheme when there is no token). */
export function formatAuthHeader(scheme: string, token?: Uint8Array): string {
  return token && token.length > 0 ? `${scheme} ${Buffer.from(token).toString('base64')}` : scheme;
}

/** Case-insensitive scheme comparison. */
export function sameScheme(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Scheme words from the IANA HTTP Authentication Scheme Registry and WinRM's own. */
const KNOWN_SCHEMES = new Set(['basic', 'bearer', 'digest', 'hoba', 'mutual', 'negotiate', 'ntlm', 'kerberos', 'credssp',
  'oauth', 'scram-sha-1', 'scram-sha-256', 'vapid', 'concealed', 'dpop', 'privatetoken', 'aws4-hmac-sha256']);

/**
 * The scheme of an `Authorization` value in a form safe to log, or undefined when it cannot be
 * shown. A scheme is shown only when it is a known scheme word, or a short token (letters, digits,
 * `-._`, at most 32) followed by credentials; a bare word could be a pasted password and is not.
 * Nothing after the scheme is ever returned.
 */
export function loggableScheme(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\S+)(\s+\S)?/.exec(value);
  const word = m?.[1];
  if (word === undefined) return undefined;
  if (KNOWN_SCHEMES.has(word.toLowerCase())) return word;
  return m?.[2] !== undefined && /^[A-Za-z][A-Za-z0-9._-]{0,31}$/.test(word) ? word : undefined;
}
