/**
 * The session table (src/core/state/session.ts): every (phase, event) pair, and random walks
 * checked against a reference written the old way (the flags PSSession used to hold: held,
 * disconnectedByUs, heldElsewhere, lastVerb), so the table says what the flags said.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  SESSION_TABLE, sessionMachine, sessionStateOf, connectVerbOf, commandVerbOf, WsmanStateError, type SessionEvent, type SessionPhase,
} from '../../src/core/state/index.js';
import { WsmanCode } from '../../src/core/errors.js';

const PHASES = Object.keys(SESSION_TABLE) as SessionPhase[];
const EVENTS: SessionEvent[] = ['Invoke', 'Receive', 'Disconnect', 'Connect', 'Remove', 'Lost', 'ReconnectRefused', 'ConnectRefused',
  'ListedConnected', 'ListedDisconnected', 'Vanished'];

/** The flags a session used to carry, and how each cmdlet or server report changed them. */
interface Flags { gone?: 'Closed' | 'Broken'; held: boolean; verb?: 'Connect' | 'Reconnect'; ours: boolean; elsewhere: boolean }

function reference(f: Flags, e: SessionEvent): Flags | 'refused' {
  if (f.gone === 'Closed') return e === 'Remove' ? f : 'refused';
  if (f.gone === 'Broken') return e === 'Remove' ? { ...f, gone: 'Closed' } : e === 'Vanished' ? f : 'refused';
  if (e === 'Remove') return { ...f, gone: 'Closed', held: false };
  if (e === 'Vanished') return { ...f, gone: 'Broken', held: false };
  if (f.held) {
    if (e === 'Invoke' || e === 'Receive' || e === 'Connect' || e === 'ListedConnected') return f;
    if (e === 'Disconnect' || e === 'Lost' || e === 'ListedDisconnected') return { held: false, ours: true, elsewhere: false };
    return 'refused';
  }
  switch (e) {
    case 'Connect': return { held: true, verb: f.ours ? 'Reconnect' : 'Connect', ours: false, elsewhere: false };
    case 'ReconnectRefused': return f.ours ? { ...f, ours: false } : 'refused';
    case 'ConnectRefused': return { ...f, ours: false, elsewhere: true };
    case 'Disconnect': return f.elsewhere ? 'refused' : f;
    case 'ListedConnected': return { ...f, ours: false, elsewhere: true };
    case 'ListedDisconnected': return { ...f, elsewhere: false };
    default: return 'refused';
  }
}

/** What PSSession shows for flags, and what the table's phase shows: they must agree. */
function viewOfFlags(f: Flags): unknown {
  return {
    state: f.gone ?? (f.held ? 'Opened' : 'Disconnected'),
    heldElsewhere: !f.gone && !f.held && f.elsewhere,
    connectWith: f.gone || f.held ? undefined : f.elsewhere ? 'Connect' : f.ours ? 'Reconnect' : 'Connect',
    commandsWith: f.held ? f.verb : undefined,
  };
}

function viewOfPhase(p: SessionPhase): unknown {
  return {
    state: sessionStateOf(p),
    heldElsewhere: p === 'HeldElsewhere',
    connectWith: p === 'HeldElsewhere' ? 'Connect' : connectVerbOf(p),
    commandsWith: commandVerbOf(p),
  };
}

describe('the session table', () => {
  it('every pair: allowed ones lead where the table says, refused ones throw a WsmanStateError naming the states that allow the event', () => {
    let allowed = 0;
    for (const p of PHASES) {
      for (const e of EVENTS) {
        const to = SESSION_TABLE[p][e];
        if (to !== undefined) {
          allowed++;
          expect(sessionMachine.next(p, e)).toBe(to);
          continue;
        }
        let err: unknown;
        try {
          sessionMachine.next(p, e);
        } catch (x) {
          err = x;
        }
        expect(err, `${e} in ${p}`).toBeInstanceOf(WsmanStateError);
        const se = err as WsmanStateError;
        expect(se.code).toBe('ERR_STATE');
        expect(se.state).toBe(p);
        expect(se.allowed).toEqual(sessionMachine.allowedStates(e));
        expect(se.allowed).not.toContain(p);
      }
    }
    expect(allowed).toBeGreaterThan(40);
  });

  it('names the cmdlets\' facts: Remove always ends Closed, Vanished Broken unless Closed, Invoke and Receive only on a held session and change nothing', () => {
    for (const p of PHASES) {
      expect(sessionMachine.next(p, 'Remove')).toBe('Closed');
      if (p !== 'Closed') expect(sessionMachine.next(p, 'Vanished')).toBe('Broken');
      for (const e of ['Invoke', 'Receive'] as const) {
        if (sessionStateOf(p) === 'Opened') expect(sessionMachine.next(p, e)).toBe(p);
        else expect(sessionMachine.can(p, e)).toBe(false);
      }
    }
    expect(sessionMachine.next('Disconnected', 'Connect')).toBe('Reconnected');
    expect(sessionMachine.next('Free', 'Connect')).toBe('Connected');
    expect(sessionMachine.next('Connected', 'Lost')).toBe('Disconnected');
    expect(sessionMachine.next('Disconnected', 'ReconnectRefused')).toBe('Free');
  });

  it('refusals carry the fault Windows sends: gone sessions no such shell, a disconnected one ShellDisconnected, a busy one in use', () => {
    const hint = (p: SessionPhase, e: SessionEvent): number | undefined => {
      try {
        sessionMachine.next(p, e);
      } catch (err) {
        return (err as WsmanStateError).fault?.wsmanCode;
      }
      throw new Error(`${e} in ${p} was allowed`);
    };
    expect(hint('Closed', 'Connect')).toBe(WsmanCode.UnexpectedSelectors);
    expect(hint('Broken', 'Receive')).toBe(WsmanCode.UnexpectedSelectors);
    expect(hint('Disconnected', 'Invoke')).toBe(WsmanCode.ShellDisconnected);
    expect(hint('Free', 'Receive')).toBe(WsmanCode.ShellDisconnected);
    expect(hint('HeldElsewhere', 'Disconnect')).toBe(WsmanCode.ShellConnectedToDifferentClient);
  });

  it('random walks: the phase shows what the old flags showed (State, Busy, the verb to connect with and the commands\' verb), and refuses what they refused', () => {
    const start = fc.constantFrom<[SessionPhase, Flags]>(
      ['Opened', { held: true, ours: false, elsewhere: false }],
      ['Free', { held: false, ours: false, elsewhere: false }],
      ['HeldElsewhere', { held: false, ours: false, elsewhere: true }],
    );
    fc.assert(fc.property(start, fc.array(fc.constantFrom(...EVENTS), { maxLength: 40 }), ([p0, f0], events) => {
      let p = p0;
      let f = f0;
      expect(viewOfPhase(p)).toEqual(viewOfFlags(f));
      for (const e of events) {
        const want = reference(f, e);
        if (want === 'refused') {
          expect(sessionMachine.can(p, e), `${e} in ${p}`).toBe(false);
          continue;
        }
        p = sessionMachine.next(p, e);
        f = want;
        expect(viewOfPhase(p), `after ${e}`).toEqual(viewOfFlags(f));
      }
    }), { numRuns: 500 });
  });
});
