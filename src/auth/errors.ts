/**
 * The one auth-specific error: a refused login. Its message never says which part was wrong (the
 * peer learns nothing); `reason` says it for the listener's own log. No secret is ever included.
 */
import { WsmanAuthError } from '../core/errors.js';

/** Why a server context refused a login (for logs and tests, never sent to the client). */
export type AuthFailureReason =
  | 'unknown-user'
  | 'bad-password'
  | 'domain'
  | 'mic'
  | 'ntlmv1'
  | 'anonymous'
  | 'channel-binding'
  | 'mech-list-mic'
  | 'no-common-mechanism'
  | 'bad-state';

/** Authentication was refused (wrong password, unknown user, wrong domain, bad MIC...). */
export class AuthFailedError extends WsmanAuthError {
  readonly reason: AuthFailureReason;
  constructor(reason: AuthFailureReason, message = 'authentication failed') {
    super(message, 'ERR_AUTH_FAILED');
    this.name = 'AuthFailedError';
    this.reason = reason;
  }
}

/** A redacted inspect/toString for context objects: mechanism and state only. */
export function redacted(kind: string, fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`);
  return `[${kind} ${parts.join(' ')}]`;
}

export const INSPECT = Symbol.for('nodejs.util.inspect.custom');
