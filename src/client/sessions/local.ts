/**
 * LocalSessions: a SessionManager plus the local state file, for programs made of short
 * processes (the `wsman session` commands): sessions keep the Id they have on this machine,
 * are recorded after each change, can be found by Name / InstanceId / Id either on a server or
 * through the file alone, and are left Disconnected (free for any client) when the program ends.
 */
import { WsmanUsageError } from '../../core/errors.js';
import type { ClientOptions } from '../options.js';
import { SessionManager } from './manager.js';
import type { PSSession } from './session.js';
import { matchesFilter, type SessionFilter } from './model.js';
import { SessionStateFile, recordOf, type SessionRecord } from './statefile.js';
import { LISTING_ENVELOPE_SIZE } from './enumerate.js';

/** How to reach a recorded session again (the caller supplies the password). */
export type RecordResolver = (rec: SessionRecord) => Promise<ClientOptions>;

/** A record as a filterable session. */
function asFilterable(r: SessionRecord): Parameters<typeof matchesFilter>[0] {
  return { id: r.Id, name: r.Name, instanceId: r.InstanceId, state: r.State, configurationName: r.ConfigurationName, resourceUri: r.ResourceUri };
}

/** The sessions of this user on this machine. */
export class LocalSessions {
  readonly state: SessionStateFile;
  readonly mgr: SessionManager;
  /** The options each session was reached with (for its record). */
  readonly optionsOf = new Map<PSSession, ClientOptions>();

  constructor(state: SessionStateFile = new SessionStateFile()) {
    this.state = state;
    this.mgr = new SessionManager({ allocateId: (iid) => state.idFor(iid) });
  }

  /** Note the options a session was reached with. */
  track(s: PSSession, options: ClientOptions): PSSession {
    this.optionsOf.set(s, options);
    return s;
  }

  /** Record a session in the state file (not written until save()). */
  remember(s: PSSession, createdHere = false): void {
    const o = this.optionsOf.get(s);
    this.state.upsert(recordOf(s.toJSON(), {
      connectionUri: s.client.url, resourceUri: s.resourceUri, createdHere,
      ...(o?.credential ? { userName: o.credential.username } : {}),
      ...(o?.authentication ? { authentication: o.authentication } : {}),
      ...(o?.allowUnencrypted ? { allowUnencrypted: true } : {}),
    }));
  }

  /** The records of sessions created here, filtered (`wsman session list` without a server). */
  createdHere(filter: SessionFilter): SessionRecord[] {
    return this.state.records.filter((r) => r.CreatedHere && matchesFilter(asFilterable(r), filter));
  }

  /** Get-PSSession -ComputerName on each target; records every session seen; marks ours that are gone Broken. */
  async list(targets: ClientOptions[], filter: SessionFilter): Promise<PSSession[]> {
    const all: PSSession[] = [];
    for (const t of targets) {
      // The listing shows no commands: skip the per-shell command enumeration (one request per
      // shell, the only form Windows accepts); `session receive` enumerates the commands it needs.
      const seen = await this.mgr.getSessions(t, {}, { commands: false, maxEnvelopeSize: LISTING_ENVELOPE_SIZE });
      for (const s of seen) this.remember(this.track(s, t));
      const url = this.mgr.clientFor(t).url;
      const live = new Set(seen.map((s) => s.instanceId));
      for (const r of this.state.records) {
        if (r.ConnectionUri === url && r.CreatedHere && !live.has(r.InstanceId.toUpperCase())) {
          this.state.upsert({ ...r, State: 'Broken', Availability: 'None' });
        }
      }
      all.push(...seen.filter((s) => matchesFilter(s, filter)));
    }
    return all;
  }

  /**
   * The sessions a filter names: enumerated on `targets` when given, else found through the state
   * file (`resolve` turns a record into client options). Throws when none matches.
   */
  async select(filter: SessionFilter, targets: ClientOptions[] | undefined, resolve: RecordResolver, verb: string): Promise<PSSession[]> {
    const found: PSSession[] = [];
    if (targets) {
      for (const t of targets) for (const s of await this.mgr.getSessions(t, filter, { commands: false })) found.push(this.track(s, t));
    } else {
      const groups = new Map<string, SessionRecord[]>();
      for (const r of this.state.records.filter((x) => matchesFilter(asFilterable(x), filter))) {
        const key = `${r.ConnectionUri}\n${r.UserName ?? ''}\n${r.Authentication ?? ''}`;
        const group = groups.get(key);
        if (group) group.push(r);
        else groups.set(key, [r]);
      }
      for (const group of groups.values()) {
        const t = await resolve(group[0]!);
        const live = await this.mgr.getSessions(t, { instanceId: group.map((r) => r.InstanceId) }, { commands: false });
        for (const s of live) found.push(this.track(s, t));
        const liveIds = new Set(live.map((s) => s.instanceId));
        for (const r of group) {
          if (!liveIds.has(r.InstanceId.toUpperCase())) this.state.upsert({ ...r, State: 'Broken', Availability: 'None' });
        }
      }
    }
    if (found.length === 0) {
      const what = [
        filter.name !== undefined ? `named ${[filter.name].flat().join(', ')}` : undefined,
        filter.instanceId !== undefined ? `with InstanceId ${[filter.instanceId].flat().join(', ')}` : undefined,
        filter.id !== undefined ? `with Id ${[filter.id].flat().join(', ')}` : undefined,
      ].filter((x) => x !== undefined).join(' and ');
      const where = targets
        ? `on ${targets.map((t) => this.mgr.clientFor(t).url).join(', ')}`
        : 'among the sessions created from this machine (give connection options to look on a server)';
      throw new WsmanUsageError(`${verb}: no session ${what} ${where}`, 'ERR_NO_SESSION');
    }
    return found;
  }

  /** Leave a session Disconnected (free for any client) before the program ends. */
  async leave(s: PSSession): Promise<void> {
    if (s.state === 'Opened') await this.mgr.disconnect(s);
  }

  /** Whatever happened: leave every session this program holds, write the file, close connections. */
  async finish(): Promise<void> {
    for (const s of this.optionsOf.keys()) {
      if (s.state !== 'Opened') continue;
      await this.mgr.disconnect(s).catch(() => undefined);
      this.remember(s);
    }
    try {
      this.state.save();
    } finally {
      await this.mgr.closeConnections();
    }
  }
}
