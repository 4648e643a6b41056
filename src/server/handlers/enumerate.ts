/**
 * WS-Enumeration of shells and of a shell's commands (protocol.md §5): Enumerate (optimized or
 * not), Pull with MaxElements, Release. Only the caller's shells are visible.
 */
import { Action, WsmanCode, selector, SELECTOR_FILTER_DIALECT, type EnumerationItem } from '../../core/index.js';
import { ALL_SHELLS_SELECTOR } from '../../core/namespaces.js';
import type { WsmanRequest, Reply } from '../core.js';
import { fault, badBody, guid } from './common.js';
import { envelopeLimit } from './receive.js';
import { encodeShell, encodeCommandItem } from '../../core/messages/shell.js';
import { prewritten } from '../../core/xml.js';

const MAX_BATCH = 32000;
/** Room for the envelope, headers and enumeration elements around the items. */
const ENVELOPE_OVERHEAD = 3072;
/**
 * At most this many open enumeration contexts per user. Past it, that user's own oldest context
 * is dropped (a later Pull on it gets InvalidEnumerationContext, as after its expiry): clients
 * that forget to Release keep working, and one user's flood never touches another's contexts.
 */
export const MAX_CONTEXTS_PER_USER = 1000;
/**
 * At most this many items waiting in one user's open contexts (a CIM_Process enumeration holds
 * one per process; 1000 unreleased ones would otherwise hold 1000 process tables).
 */
export const MAX_ITEMS_PER_USER = 20_000;

/**
 * How many of `items` (at most `max`) fit in one response to this request. At least one. Each
 * item measured is written once and kept written (a Raw item), so that the response reuses the
 * text. Its size is counted without namespace declarations, as it is inside the envelope (which
 * declares the prefixes once on its root): counting a declaration per item made 2,000 shells take
 * 5 answers of 500 KB instead of 4.
 */
function fitting(req: WsmanRequest, items: EnumerationItem[], max: number): number {
  let room = envelopeLimit(req) - ENVELOPE_OVERHEAD;
  let n = 0;
  for (let k = 0; k < items.length && n < max; k++) {
    const item = written(items[k]!);
    items[k] = item;
    room -= item.kind === 'Raw' && item.node.raw ? Buffer.byteLength(item.node.raw.xml) : 0;
    if (room < 0 && n > 0) break;
    n++;
  }
  return n;
}

/** An item as a Raw one, written (items of other kinds are not sent). */
function written(i: EnumerationItem): EnumerationItem {
  if (i.kind === 'Shell') return { kind: 'Raw', node: prewritten(encodeShell(i.shell)) };
  if (i.kind === 'Command') return { kind: 'Raw', node: prewritten(encodeCommandItem(i)) };
  if (i.kind === 'Raw') return { kind: 'Raw', node: prewritten(i.node) };
  return i;
}

function shellItems(req: WsmanRequest): EnumerationItem[] {
  const now = req.core.now();
  return req.core.store.ownedBy(req.user.name)
    .filter((s) => !req.config || s.config === req.config)
    .map((s) => ({ kind: 'Shell', shell: s.toFields(now) }));
}

function commandItems(req: WsmanRequest): EnumerationItem[] {
  if (req.body.kind !== 'Enumerate') throw badBody('Enumerate needs an n:Enumerate body');
  const b = req.body;
  const dialectOk = b.filterDialect === undefined || b.filterDialect.toLowerCase() === SELECTOR_FILTER_DIALECT.toLowerCase();
  const sel = b.filterSelectors ?? {};
  const id = selector({ selectors: sel }, 'ShellId');
  if (!dialectOk || id === undefined) throw fault(WsmanCode.ShellCommandsFilterExpected, 'enumerating commands needs a ShellId SelectorFilter');
  if (id.trim() === ALL_SHELLS_SELECTOR) {
    // Every command of every shell of the caller, each with its ShellId: one listing for all.
    const out: EnumerationItem[] = [];
    for (const sh of req.core.store.ownedBy(req.user.name)) {
      for (const c of sh.commands.values()) {
        out.push({ kind: 'Command', shellId: sh.id, commandId: c.id, commandLine: c.commandLine, commandState: c.isDone ? 'Done' : 'Running' });
      }
    }
    return out;
  }
  const shell = req.core.store.get(guid(id) ?? id.trim());
  if (!shell) throw fault(WsmanCode.UnexpectedSelectors, 'no such shell');
  if (shell.owner.name.toLowerCase() !== req.user.name.toLowerCase()) throw fault(WsmanCode.AccessDenied, 'the shell belongs to another user');
  req.note.shellId = shell.id;
  return [...shell.commands.values()].map((c) => ({
    kind: 'Command', commandId: c.id, commandLine: c.commandLine, commandState: c.isDone ? 'Done' : 'Running',
  }));
}

/** Answer an Enumerate with these items: optimized (the first batch at once) or a context to Pull. */
export function start(req: WsmanRequest, items: EnumerationItem[]): Reply {
  if (req.body.kind !== 'Enumerate') throw badBody('Enumerate needs an n:Enumerate body');
  const b = req.body;
  const max = Math.max(1, Math.min(b.maxElements ?? MAX_BATCH, MAX_BATCH));
  if (b.optimize) {
    const n = fitting(req, items, max);
    const first = items.slice(0, n);
    const rest = items.slice(n);
    if (rest.length === 0) {
      return { kind: 'soap', action: Action.EnumerateResponse, body: { kind: 'EnumerateResponse', context: '', items: first, endOfSequence: true } };
    }
    const ctx = remember(req, rest);
    return { kind: 'soap', action: Action.EnumerateResponse, body: { kind: 'EnumerateResponse', context: ctx, items: first } };
  }
  const ctx = remember(req, items);
  return { kind: 'soap', action: Action.EnumerateResponse, body: { kind: 'EnumerateResponse', context: ctx } };
}

function remember(req: WsmanRequest, items: EnumerationItem[]): string {
  const id = `uuid:${req.core.newId()}`;
  const all = req.core.enumerations;
  const owner = req.user.name.toLowerCase();
  const mine: string[] = [];
  let held = 0;
  for (const [key, e] of all) {
    if (e.owner !== owner) continue;
    mine.push(key);
    held += e.items.length;
  }
  // Oldest first: past either quota, that user's own oldest contexts go (their Pulls then get
  // InvalidEnumerationContext, as after expiry).
  let count = mine.length;
  for (const key of mine) {
    if (count < MAX_CONTEXTS_PER_USER && held + items.length <= MAX_ITEMS_PER_USER) break;
    held -= all.get(key)?.items.length ?? 0;
    all.delete(key);
    count--;
  }
  all.set(id.toUpperCase(), { items, owner, expires: req.core.now() + req.core.config.enumerationTimeoutMs });
  return id;
}

export async function enumerateShells(req: WsmanRequest): Promise<Reply> {
  return start(req, shellItems(req));
}

export async function enumerateCommands(req: WsmanRequest): Promise<Reply> {
  return start(req, commandItems(req));
}

function context(req: WsmanRequest, text: string): { key: string; items: EnumerationItem[] } {
  const key = text.trim().toUpperCase();
  const e = req.core.enumerations.get(key);
  if (!e || e.owner !== req.user.name.toLowerCase()) throw fault(WsmanCode.InvalidEnumerationContext, 'unknown or expired enumeration context');
  return { key, items: e.items };
}

export async function pull(req: WsmanRequest): Promise<Reply> {
  if (req.body.kind !== 'Pull') throw badBody('Pull needs an n:Pull body');
  const { key, items } = context(req, req.body.context);
  const max = Math.max(1, Math.min(req.body.maxElements ?? 1, MAX_BATCH));
  const batch = items.splice(0, fitting(req, items, max));
  if (items.length === 0) {
    req.core.enumerations.delete(key);
    return { kind: 'soap', action: Action.PullResponse, body: { kind: 'PullResponse', items: batch, endOfSequence: true } };
  }
  const e = req.core.enumerations.get(key);
  if (e) e.expires = req.core.now() + req.core.config.enumerationTimeoutMs;
  return { kind: 'soap', action: Action.PullResponse, body: { kind: 'PullResponse', context: req.body.context.trim(), items: batch } };
}

export async function release(req: WsmanRequest): Promise<Reply> {
  if (req.body.kind !== 'Release') throw badBody('Release needs an n:Release body');
  const { key } = context(req, req.body.context);
  req.core.enumerations.delete(key);
  return { kind: 'soap', action: Action.ReleaseResponse, body: { kind: 'Empty' } };
}
