/**
 * Redirects, as PowerShell handles them (protocol.md §8.4): only a shell Create may be
 * redirected; off unless AllowRedirection is given with a connection URI; then at most
 * MaximumRedirection hops (default 5, negative = no limit), same credentials, loops stopped.
 */
import { WsmanError } from '../core/errors.js';

/** A redirect we did not or could not follow. `location` is where the server pointed. */
export class WsmanRedirectError extends WsmanError {
  readonly location: string | undefined;
  constructor(code: 'ERR_REDIRECT_NOT_ALLOWED' | 'ERR_REDIRECT_LIMIT' | 'ERR_REDIRECT_LOOP' | 'ERR_REDIRECT_INVALID', message: string, location?: string) {
    super(code, message);
    this.name = 'WsmanRedirectError';
    this.location = location;
  }
}

export interface RedirectPolicy {
  /** `-AllowRedirection`. */
  allow: boolean;
  /** `-MaximumRedirection` (negative: no limit). */
  maximum: number;
  /** PowerShell follows only with `-ConnectionUri`; with `-ComputerName` the count is forced to 0. */
  byConnectionUri: boolean;
}

/**
 * Decide what to do with a 3xx answer to shell Create at `from` (hop number `hops`, 0-based, with
 * the URLs already visited). Returns the absolute URL to follow, or throws WsmanRedirectError.
 */
export function nextHop(policy: RedirectPolicy, from: string, location: string | undefined, status: number,
  hops: number, visited: ReadonlySet<string>): string {
  if (!location) {
    throw new WsmanRedirectError('ERR_REDIRECT_INVALID', `${from} answered HTTP ${status} to shell creation without a Location header`);
  }
  let to: string;
  try {
    to = new URL(location, from).href;
  } catch {
    throw new WsmanRedirectError('ERR_REDIRECT_INVALID', `${from} redirected shell creation to an invalid location '${location}'`, location);
  }
  if (!/^https?:$/.test(new URL(to).protocol)) {
    throw new WsmanRedirectError('ERR_REDIRECT_INVALID', `${from} redirected shell creation to ${to}, which is not http or https`, to);
  }
  if (!policy.allow) {
    throw new WsmanRedirectError('ERR_REDIRECT_NOT_ALLOWED',
      `${from} redirected shell creation to ${to}; redirection is not allowed. ` +
      'To follow it, use --connection-uri with --allow-redirection (PowerShell: -ConnectionUri with -AllowRedirection)', to);
  }
  if (!policy.byConnectionUri) {
    throw new WsmanRedirectError('ERR_REDIRECT_NOT_ALLOWED',
      `${from} redirected shell creation to ${to}; redirects are followed only for a connection URI ` +
      '(use --connection-uri instead of --computer-name, as PowerShell requires)', to);
  }
  if (visited.has(to)) {
    throw new WsmanRedirectError('ERR_REDIRECT_LOOP', `redirect loop: ${from} sent shell creation back to ${to}, already visited after ${hops} hop(s)`, to);
  }
  if (policy.maximum >= 0 && hops >= policy.maximum) {
    throw new WsmanRedirectError('ERR_REDIRECT_LIMIT',
      `shell creation was redirected more than ${policy.maximum} time(s) (last to ${to}); raise --maximum-redirection to follow more`, to);
  }
  return to;
}
