/**
 * Connect-PSSession from another client to a PowerShell shell (MS-PSRP 3.1.4.10.3, 2.2.2.29): `pwsh -s`
 * has no Connect of its own, so the listener answers the WS-Man Connect's connectXml
 * (SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL) itself, as Windows' wsmprovhost does:
 * - connectResponseXml: pwsh's SESSION_CAPABILITY from when the pool opened, then
 *   RUNSPACEPOOL_INIT_DATA with the pool's runspace limits (limits the CONNECT_RUNSPACEPOOL asks
 *   for are judged as PowerShell's server judges them, checkLimits: a Connect never resizes);
 * - first on the pool's output (the next Receive without CommandId): pwsh's APPLICATION_PRIVATE_DATA
 *   and RUNSPACEPOOL_STATE Opened (test_psrp_disconnect_runspaces: Windows sends the Opened state
 *   after the Connect).
 * Ids: the messages the listener makes carry ObjectIds of their own (a range pwsh never reaches),
 * and when the client names the pool by another id than pwsh's, the RunspacePool id of every
 * message between them is translated (pwsh-session.ts).
 */
import { WsmanCode } from '../../core/index.js';
import { Defragmenter, fragmentBytes } from '../../psrp/fragment.js';
import { Destination, EMPTY_GUID, MESSAGE_HEADER_SIZE, bytesToGuid, guidToBytes } from '../../psrp/message.js';
import { decodeTyped, encodeTyped } from '../../psrp/messages/index.js';
import { fault } from '../handlers/common.js';
import type { PwshSession } from './pwsh-session.js';

/** ObjectIds of the messages the listener writes itself: far above any pwsh reaches. */
let nextObjectId = 1n << 48n;
const FRAGMENT = 32768;

function badConnect(why: string): Error {
  return fault(WsmanCode.InvalidSoapBody, `the connectXml is not a PowerShell Connect: ${why}`);
}

/** A kept message of pwsh with the RunspacePool id the client uses, fragmented with our ObjectId. */
function kept(message: Buffer, rpid: string): Buffer {
  const m = Buffer.from(message);
  if (m.length >= MESSAGE_HEADER_SIZE) m.set(guidToBytes(rpid), 8);
  return Buffer.from(fragmentBytes(nextObjectId++, m, FRAGMENT));
}

function made(message: Parameters<typeof encodeTyped>[0], rpid: string): Buffer {
  return Buffer.from(fragmentBytes(nextObjectId++, encodeTyped(message, { destination: Destination.Client, rpid, pid: EMPTY_GUID }), FRAGMENT));
}

export interface PwshConnect {
  /** The ConnectResponse's connectResponseXml (base64 fragments). */
  responseXml: string;
  /** The pool id the connecting client uses (lowercase). */
  rpid: string;
  /** The messages to put first on the pool's output once the Connect is accepted. */
  poolOutput: Buffer;
}

/**
 * The runspace limits a CONNECT_RUNSPACEPOOL asks for (MS-PSRP 2.2.2.29), judged as PowerShell's
 * server does (ServerRemoteSession.ExecuteConnect): they count only when both are given; then
 * -1 for either, or a minimum above the maximum, is refused; and limits that differ from the
 * pool's in both the maximum and the minimum are refused, because a Connect does not resize the
 * pool. Otherwise (the pool's limits, a change of one of them, or none asked) the Connect goes on
 * and RUNSPACEPOOL_INIT_DATA reports the pool's own limits, which the client adopts.
 */
function checkLimits(asked: { minRunspaces?: number; maxRunspaces?: number }, pool: { min: number; max: number }): void {
  const { minRunspaces: min, maxRunspaces: max } = asked;
  if (min === undefined || max === undefined) return;
  if (min === -1 || max === -1 || min > max) throw badConnect(`the runspace limits asked for are not valid (minimum ${min}, maximum ${max})`);
  if (max !== pool.max && min !== pool.min) {
    throw fault(WsmanCode.InvalidSoapBody, `the runspace pool has ${pool.min} to ${pool.max} runspaces, not the ${min} to ${max} the Connect asks for; a Connect does not change them`);
  }
}

/** Check a connectXml against the shell's pool and build the answer (no state is changed). */
export function answerConnect(session: PwshSession, connectXml: string): PwshConnect {
  const t = connectXml.trim();
  if (!t || !/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4) throw badConnect('not base64');
  const d = new Defragmenter({ maxMessageBytes: 64 * 1024, maxPending: 4 });
  let types: string[];
  let rpid: string | undefined;
  let asked: { minRunspaces?: number; maxRunspaces?: number } = {};
  try {
    const messages = d.push(new Uint8Array(Buffer.from(t, 'base64')));
    types = messages.map((m) => {
      const dm = decodeTyped(m.data);
      if (dm.destination !== Destination.Server) throw badConnect('a message not for the server');
      rpid ??= dm.rpid;
      if (dm.rpid !== rpid) throw badConnect('messages of two runspace pools');
      if (dm.message.type === 'CONNECT_RUNSPACEPOOL') asked = dm.message;
      return dm.message.type;
    });
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('the connectXml')) throw err;
    throw badConnect((err as Error).message);
  }
  if (!d.idle || types.join(' ') !== 'SESSION_CAPABILITY CONNECT_RUNSPACEPOOL' || !rpid) {
    throw badConnect(`expected SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL, got ${types.join(', ') || 'nothing'}${d.idle ? '' : ' and an unfinished message'}`);
  }
  const { capability, privateData } = session.opened;
  if (!capability || session.poolRpid === undefined) throw fault(WsmanCode.InvalidSoapBody, 'the PowerShell session of this shell has not opened its runspace pool');
  checkLimits(asked, session.runspaces);
  const response = Buffer.concat([
    kept(capability, rpid),
    made({ type: 'RUNSPACEPOOL_INIT_DATA', minRunspaces: session.runspaces.min, maxRunspaces: session.runspaces.max }, rpid),
  ]);
  const poolOutput = Buffer.concat([
    ...(privateData ? [kept(privateData, rpid)] : []),
    made({ type: 'RUNSPACEPOOL_STATE', runspaceState: 2 }, rpid),
  ]);
  return { responseXml: response.toString('base64'), rpid, poolOutput };
}

/**
 * Set the RunspacePool id of every message starting in `data` (whole fragments) from `from` to
 * `to`; data that is not whole fragments is left as it is. Returns a new buffer when it changed.
 */
export function translateRpid(data: Buffer, from: string, to: string): Buffer {
  const fromBytes = guidToBytes(from);
  const toBytes = guidToBytes(to);
  let out: Buffer | undefined;
  let at = 0;
  while (data.length - at >= 21) {
    const len = data.readUInt32BE(at + 17);
    const end = at + 21 + len;
    if (end > data.length) break;
    const start = (data.readUInt8(at + 16) & 1) !== 0;
    const rp = at + 21 + 8;
    if (start && len >= MESSAGE_HEADER_SIZE && Buffer.compare(data.subarray(rp, rp + 16), fromBytes) === 0) {
      out ??= Buffer.from(data);
      out.set(toBytes, rp);
    }
    at = end;
  }
  return out ?? data;
}

/** The RunspacePool id of the first message in `data` (whole fragments), if any. */
export function rpidOf(data: Uint8Array): string | undefined {
  if (data.length < 21 + MESSAGE_HEADER_SIZE || !(data[16]! & 1)) return undefined;
  return bytesToGuid(data.subarray(21 + 8, 21 + 24));
}
