/** Helpers shared by the shell handlers: taking a shell for an operation, faults, options. */
import { WsmanProtocolError, WsmanCode, option, parseBoolean, type Headers } from '../../core/index.js';
import type { ShellEvent } from '../../core/state/index.js';
import { clientIdOf, type WsmanRequest } from '../core.js';
import type { ServerShell } from '../shell.js';

export function fault(wsmanCode: number, message: string, detail?: string): WsmanProtocolError {
  return new WsmanProtocolError('ERR_FAULT', message, detail === undefined ? { wsmanCode } : { wsmanCode, detail });
}

export function badBody(what: string): WsmanProtocolError {
  return fault(WsmanCode.SchemaValidationError, what);
}

/** A boolean option in any case; `fallback` when absent or not a boolean. */
export function boolOption(h: Headers, name: string, fallback = false): boolean {
  const o = option(h, name);
  return o === undefined ? fallback : parseBoolean(o.value) ?? fallback;
}

/** Whether this request comes from the client holding the shell (no ids on either side: yes). */
export function sameClient(shell: ServerShell, req: WsmanRequest): boolean {
  const cid = clientIdOf(req.headers);
  return shell.clientId === '' || cid === '' || shell.clientId === cid;
}

/**
 * The shell of the request, checked for `event`: owned by the caller, held by this client, and in
 * a state whose table allows the event. A shell the listener marked Disconnected only because its
 * client fell silent is taken back transparently by that same client.
 */
export function useShell(req: WsmanRequest, event: ShellEvent): ServerShell {
  const shell = req.core.requireShell(req);
  const mine = sameClient(shell, req);
  if (shell.state === 'Disconnected' && shell.lostKeepAlive && mine && event !== 'Connect' && event !== 'Reconnect') {
    shell.transition('Reconnect');
    shell.lostKeepAlive = false;
    shell.disconnectedAt = undefined;
  }
  if (shell.state === 'Connected' && !mine && event !== 'Get' && event !== 'Delete') {
    throw fault(WsmanCode.ShellConnectedToDifferentClient, 'the shell is connected to a different client');
  }
  shell.transition(event);
  return shell;
}

/** Upper-case a GUID, with or without `uuid:`; undefined when it is not a GUID. */
export function guid(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let t = text.trim();
  if (t.toLowerCase().startsWith('uuid:')) t = t.slice(5);
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t) ? t.toUpperCase() : undefined;
}
