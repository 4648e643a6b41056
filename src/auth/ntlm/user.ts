/**
 * User-name forms as Windows reads them: `user`, `DOMAIN\user`, `user@domain` (UPN).
 * A client sends a UPN whole in UserName with an empty DomainName; a server splits it to find the
 * account. Both sides compute NTOWFv2 over the strings as they travel.
 */

export interface UserParts {
  /** UserName as sent in AUTHENTICATE. */
  user: string;
  /** DomainName as sent in AUTHENTICATE. */
  domain: string;
}

/** How a client fills UserName/DomainName from what the caller typed (PowerShell's -Credential). */
export function clientUserParts(username: string, domain?: string): UserParts {
  const bs = username.indexOf('\\');
  if (bs >= 0) return { user: username.slice(bs + 1), domain: username.slice(0, bs) };
  if (username.includes('@')) return { user: username, domain: domain ?? '' };
  return { user: username, domain: domain ?? '' };
}

/** How a server names the account: a bare user name and the domain it belongs to. */
export function serverAccount(user: string, domain: string): { name: string; domain: string } {
  if (domain === '') {
    const bs = user.indexOf('\\');
    if (bs >= 0) return { name: user.slice(bs + 1), domain: user.slice(0, bs) };
    const at = user.lastIndexOf('@');
    if (at > 0) return { name: user.slice(0, at), domain: user.slice(at + 1) };
  }
  return { name: user, domain };
}
