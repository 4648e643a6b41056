/**
 * How the commands end: our own errors as one line (with Windows' explanation of a fault code) and
 * exit 255, as ssh does, so that they cannot be mistaken for a remote command's exit code.
 */
import { WsmanError, WsmanFaultError } from '../core/errors.js';

export const EXIT_ERROR = 255;

/** One line saying what went wrong (with Windows' explanation of a fault code). */
export function describeError(err: unknown): string {
  if (err instanceof WsmanFaultError) return err.explanation ? `${err.message.trim()} (${err.explanation})` : err.message.trim();
  if (err instanceof WsmanError) return err.code === 'ERR_AUTH_REQUIRED' ? `${err.message} (--credential USER)` : err.message;
  if (err instanceof Error) return err.name === 'AbortError' ? 'cancelled' : err.message;
  return String(err);
}

/** describeError for `wsman NAME: …`, without the library's own leading `NAME: ` (said once, not twice). */
export function describeFor(name: string, err: unknown): string {
  const text = describeError(err);
  return text.startsWith(`${name}: `) ? text.slice(name.length + 2) : text;
}

/** A remote exit code as a process exit status (non-zero stays non-zero). */
export function exitStatus(code: number): number {
  if (code === 0) return 0;
  return (code & 0xff) || 1;
}
