/**
 * The local record of sessions, for a command line made of short processes: which sessions this
 * user created from this machine (what `wsman session list` shows without connection options),
 * where they live, and the Id each session has here (stable across processes). Never a password.
 *
 * File: $WSMAN_STATE_DIR/sessions.json, else $XDG_STATE_HOME/wsman/sessions.json, else
 * ~/.local/state/wsman/sessions.json; written atomically with mode 0600.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PSSessionJson } from './model.js';

/** One recorded session: PowerShell's properties plus how to reach it again. */
export interface SessionRecord extends PSSessionJson {
  /** The endpoint URL. */
  ConnectionUri: string;
  ResourceUri: string;
  /** The user name it was created with (the password is never stored). */
  UserName?: string;
  Authentication?: string;
  /** The client allowed unencrypted traffic when it created the session (src/auth/policy.ts). */
  AllowUnencrypted?: boolean;
  /** Created by this user from this machine (else only seen in a listing). */
  CreatedHere: boolean;
  /** When this record was last updated (ISO). */
  UpdatedOn: string;
}

interface FileShape {
  version: 1;
  nextId: number;
  /** The Id given to every session seen here, recorded or not (Ids stay stable). */
  ids: Record<string, number>;
  sessions: SessionRecord[];
}

/** Where the state file is. */
export function sessionStateFile(env: Record<string, string | undefined> = process.env): string {
  const dir = env.WSMAN_STATE_DIR || join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'wsman');
  return join(dir, 'sessions.json');
}

/** The state file, read once and written on save(). */
export class SessionStateFile {
  private data: FileShape;
  /** Upper-case InstanceId → position in data.sessions: finding a record is one lookup, so recording n sessions is linear. */
  private index = new Map<string, number>();

  constructor(readonly file: string = sessionStateFile()) {
    this.data = SessionStateFile.read(file);
    this.reindex();
  }

  private reindex(): void {
    this.index.clear();
    this.data.sessions.forEach((s, i) => {
      const key = s.InstanceId.toUpperCase();
      // A file with a record twice (hand-edited): the first wins, as a search from the start did.
      if (!this.index.has(key)) this.index.set(key, i);
    });
  }

  private static read(file: string): FileShape {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<FileShape>;
      if (parsed && Array.isArray(parsed.sessions) && typeof parsed.nextId === 'number') {
        const ids = typeof parsed.ids === 'object' && parsed.ids !== null ? parsed.ids : {};
        return { version: 1, nextId: parsed.nextId, ids, sessions: parsed.sessions.filter((s) => s && typeof s.InstanceId === 'string') };
      }
    } catch {
      // missing or unreadable: start empty
    }
    return { version: 1, nextId: 1, ids: {}, sessions: [] };
  }

  /** Every record. */
  get records(): readonly SessionRecord[] {
    return this.data.sessions;
  }

  /** The record of a session (by InstanceId). */
  find(instanceId: string): SessionRecord | undefined {
    const i = this.index.get(instanceId.toUpperCase());
    return i === undefined ? undefined : this.data.sessions[i];
  }

  /** The Id a session has on this machine (a new one for a session not seen before). */
  idFor(instanceId: string): number {
    const key = instanceId.toUpperCase();
    const known = this.find(key)?.Id ?? this.data.ids[key];
    if (known !== undefined) return known;
    const id = this.data.nextId++;
    this.data.ids[key] = id;
    return id;
  }

  /** Add or update a record (keeping CreatedHere once set). */
  upsert(rec: Omit<SessionRecord, 'UpdatedOn'>): void {
    const full: SessionRecord = { ...rec, UpdatedOn: new Date().toISOString() };
    const key = rec.InstanceId.toUpperCase();
    const i = this.index.get(key);
    if (i !== undefined) {
      full.CreatedHere = this.data.sessions[i]!.CreatedHere || rec.CreatedHere;
      this.data.sessions[i] = full;
    } else {
      this.index.set(key, this.data.sessions.length);
      this.data.sessions.push(full);
    }
    this.data.ids[rec.InstanceId.toUpperCase()] = rec.Id;
    if (rec.Id >= this.data.nextId) this.data.nextId = rec.Id + 1;
  }

  /** Forget a session (Remove-PSSession). */
  remove(instanceId: string): void {
    const id = instanceId.toUpperCase();
    this.data.sessions = this.data.sessions.filter((s) => s.InstanceId.toUpperCase() !== id);
    delete this.data.ids[id];
    this.reindex();
  }

  /** Write the file (atomically, mode 0600). */
  save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** The record of a session, for the state file. */
export function recordOf(json: PSSessionJson, where: { connectionUri: string; resourceUri: string; userName?: string; authentication?: string; allowUnencrypted?: boolean; createdHere: boolean }): Omit<SessionRecord, 'UpdatedOn'> {
  return {
    ...json,
    ConnectionUri: where.connectionUri,
    ResourceUri: where.resourceUri,
    ...(where.userName !== undefined ? { UserName: where.userName } : {}),
    ...(where.authentication !== undefined ? { Authentication: where.authentication } : {}),
    ...(where.allowUnencrypted ? { AllowUnencrypted: true } : {}),
    CreatedHere: where.createdHere,
  };
}
