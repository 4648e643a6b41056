/**
 * The user name an authentication token claims, before it is verified: what a listener keys its
 * failed-logon backoff by (src/server/auth-throttle.ts). Sans-IO, never throws, never returns a
 * secret: for Basic only the part before ':', for NTLM the AUTHENTICATE message's UserName.
 */
import { decodeAuthenticate, ntlmMessageType } from './ntlm/messages.js';
import { decodeSpnego, isSpnego } from './spnego.js';

/** The NTLMSSP token inside a raw or SPNEGO-wrapped Negotiate token, when there is one. */
function ntlmToken(token: Uint8Array): Uint8Array | undefined {
  if (ntlmMessageType(token) !== undefined) return token;
  if (!isSpnego(token)) return undefined;
  const t = decodeSpnego(token);
  return t.kind === 'init' ? t.mechToken : t.responseToken;
}

/**
 * The user name (as written, `DOMAIN\user`, `user@domain` or `user`) claimed by `token` of the
 * `scheme`; '' when it names none that can be read (malformed, Kerberos); undefined for a
 * handshake leg that carries no name yet (NTLM NEGOTIATE), which is not a logon attempt.
 */
export function claimedUser(scheme: string, token: Uint8Array): string | undefined {
  try {
    const s = scheme.toLowerCase();
    if (s === 'basic') {
      const text = new TextDecoder('utf-8', { fatal: false }).decode(token);
      const i = text.indexOf(':');
      return i > 0 ? text.slice(0, i) : '';
    }
    if (s === 'negotiate' || s === 'ntlm') {
      const ntlm = ntlmToken(token);
      const type = ntlm === undefined ? undefined : ntlmMessageType(ntlm);
      if (type === 1) return undefined;
      if (type !== 3 || ntlm === undefined) return '';
      const m = decodeAuthenticate(ntlm);
      return m.domain ? `${m.domain}\\${m.user}` : m.user;
    }
    return '';
  } catch {
    return '';
  }
}
