/**
 * A tiny table-driven state machine: `table[state][event] = next state`. Sans-IO and pure: the
 * caller keeps the current state and asks what an event leads to. Unlisted (state, event) pairs
 * are refused with a WsmanStateError naming the event, the state and the states that allow it.
 */
import { WsmanStateError } from './errors.js';
import type { FaultHint } from '../errors.js';

export type Table<S extends string, E extends string> = { readonly [K in S]: Partial<Readonly<Record<E, S>>> };

/** How to fault a refused event, per (event, state); undefined leaves the error without a hint. */
export type FaultPolicy<S extends string, E extends string> = (event: E, state: S) => FaultHint | undefined;

export class StateMachine<S extends string, E extends string> {
  constructor(
    readonly machine: string,
    readonly table: Table<S, E>,
    private readonly faultFor: FaultPolicy<S, E> = () => undefined,
  ) {}

  /** States in which `event` is allowed. */
  allowedStates(event: E): S[] {
    return (Object.keys(this.table) as S[]).filter((s) => this.table[s][event] !== undefined);
  }

  /** Events allowed in `state`. */
  allowedEvents(state: S): E[] {
    return Object.keys(this.table[state]) as E[];
  }

  can(state: S, event: E): boolean {
    return this.table[state][event] !== undefined;
  }

  /** The state `event` leads to from `state`; throws WsmanStateError when the table refuses it. */
  next(state: S, event: E): S {
    const to = this.table[state][event];
    if (to === undefined) throw new WsmanStateError(this.machine, event, state, this.allowedStates(event), this.faultFor(event, state));
    return to;
  }
}
