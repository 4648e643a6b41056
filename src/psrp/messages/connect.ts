/**
 * Connecting to a disconnected pool from another client (MS-PSRP 2.2.2.? CONNECT_RUNSPACEPOOL and
 * RUNSPACEPOOL_INIT_DATA): the client asks, optionally with new runspace limits; the server
 * answers with the pool's limits.
 */
import { bag, Reader } from './common.js';
import type { Codec } from './types.js';

/** CONNECT_RUNSPACEPOOL: `<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32></MS></Obj>`, or `<S />` to keep the pool's limits. */
export interface ConnectRunspacePool {
  type: 'CONNECT_RUNSPACEPOOL';
  minRunspaces?: number;
  maxRunspaces?: number;
}
export const connectRunspacePool: Codec<ConnectRunspacePool> = {
  type: 'CONNECT_RUNSPACEPOOL',
  encode: (m) => (m.minRunspaces === undefined && m.maxRunspaces === undefined
    ? ''
    : bag([m.minRunspaces !== undefined && ['MinRunspaces', m.minRunspaces], m.maxRunspaces !== undefined && ['MaxRunspaces', m.maxRunspaces]])),
  decode: (v) => {
    if (v === null || v === '') return { type: 'CONNECT_RUNSPACEPOOL' };
    const r = new Reader('CONNECT_RUNSPACEPOOL', v);
    return {
      type: 'CONNECT_RUNSPACEPOOL',
      ...(r.has('MinRunspaces') ? { minRunspaces: r.int('MinRunspaces') } : {}),
      ...(r.has('MaxRunspaces') ? { maxRunspaces: r.int('MaxRunspaces') } : {}),
    };
  },
};

/** RUNSPACEPOOL_INIT_DATA: `<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32></MS></Obj>` */
export interface RunspacePoolInitData {
  type: 'RUNSPACEPOOL_INIT_DATA';
  minRunspaces: number;
  maxRunspaces: number;
}
export const runspacePoolInitData: Codec<RunspacePoolInitData> = {
  type: 'RUNSPACEPOOL_INIT_DATA',
  encode: (m) => bag([['MinRunspaces', m.minRunspaces], ['MaxRunspaces', m.maxRunspaces]]),
  decode: (v) => {
    const r = new Reader('RUNSPACEPOOL_INIT_DATA', v);
    return { type: 'RUNSPACEPOOL_INIT_DATA', minRunspaces: r.int('MinRunspaces'), maxRunspaces: r.int('MaxRunspaces') };
  },
};
