/**
 * The listener's user store: who may authenticate with Basic, and which local account their
 * commands run as. Passwords are kept only as scrypt hashes (a `--user NAME:PASSWORD` given on
 * the command line is hashed at start). A users file has one user a line:
 *
 *   alice:scrypt$16384$8$1$<salt b64>$<hash b64>[:runas-account[:nt-hash hex]]
 *
 * The optional NT hash (written by `wsman user add` unless `--no-ntlm`) enables Negotiate/NTLM for the user;
 * like a password it grants logon, so the file is created with mode 0600.
 * Blank lines and lines starting with `#` are ignored. Nothing here ever logs a secret.
 */
import { scrypt as scryptCb, randomBytes, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync, statSync, chmodSync } from 'node:fs';
import { userInfo } from 'node:os';
import { WsmanUsageError } from '../core/index.js';
import { canSwitchUsers, describeRunAs } from './accounts.js';
import type { Logger } from './log.js';
import { BasicVerifyCache, type BasicCacheOptions } from './basic-cache.js';

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** A listener user. `runAs` names the OS account their processes run as. */
export interface ListenerUser {
  name: string;
  hash: string;
  runAs?: string;
  /** The NT hash (MD4 of the UTF-16LE password) for NTLM/Negotiate; a password equivalent, never logged. */
  ntHash?: Uint8Array;
}

const DEFAULT_N = 16384;

/** Hash a password: `scrypt$N$r$p$salt$hash` (New-LocalUser's job, for this listener). */
export async function hashPassword(password: string, n = DEFAULT_N): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 });
  return `scrypt$${n}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Check a password against a stored hash in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || n > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length < 16) return false;
  try {
    const key = await scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** Options of a UserStore. */
export interface UserStoreOptions {
  /** Bounds (and clock) of the store's Basic verification cache (basic-cache.ts). */
  basicCache?: BasicCacheOptions;
}

/** In-memory user store; case-insensitive names as Windows accounts. */
export class UserStore {
  private readonly users = new Map<string, ListenerUser>();
  /**
   * Successful Basic verifications against this store (basic-cache.ts). It belongs to the store,
   * not to a listener, so that every listener sharing the store (one users file) pays one scrypt
   * check per credential between them, not one each; entries still void when the store gives
   * the account another hash.
   */
  readonly basicCache: BasicVerifyCache;

  constructor(o: UserStoreOptions = {}) {
    this.basicCache = new BasicVerifyCache(o.basicCache);
  }

  add(user: ListenerUser): void {
    this.users.set(user.name.toLowerCase(), user);
  }

  get(name: string): ListenerUser | undefined {
    return this.users.get(name.toLowerCase());
  }

  get size(): number {
    return this.users.size;
  }

  names(): string[] {
    return [...this.users.values()].map((u) => u.name);
  }

  /** The user when name and password match, else undefined. Always spends one hash check. */
  async verify(name: string, password: string): Promise<ListenerUser | undefined> {
    const u = this.get(name);
    const ok = await verifyPassword(password, u?.hash ?? DUMMY_HASH);
    return ok && u ? u : undefined;
  }

  /** Map a user to an OS account (`--run-as NAME=ACCOUNT`). */
  setRunAs(name: string, account: string): void {
    const u = this.get(name);
    if (!u) throw new WsmanUsageError(`--run-as names an unknown user '${name}'`);
    u.runAs = account;
  }
}

// A well-formed hash of a random password, so unknown users cost the same time as known ones.
const DUMMY_HASH = `scrypt$${DEFAULT_N}$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32, 1).toString('base64')}`;

/** Parse a users file's text. */
export function parseUsersFile(text: string, where: string): ListenerUser[] {
  const out: ListenerUser[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(':');
    if (parts.length < 2 || parts.length > 4 || !parts[0] || !parts[1]?.startsWith('scrypt$')) {
      throw new WsmanUsageError(`${where}:${i + 1}: expected NAME:scrypt$…[:ACCOUNT[:NTHASH]]`);
    }
    const u: ListenerUser = { name: parts[0], hash: parts[1] };
    if (parts[2]) u.runAs = parts[2];
    if (parts[3]) {
      if (!/^[0-9a-f]{32}$/i.test(parts[3])) throw new WsmanUsageError(`${where}:${i + 1}: the NT hash must be 32 hex digits`);
      u.ntHash = Buffer.from(parts[3], 'hex');
    }
    out.push(u);
  });
  return out;
}

/**
 * Refuse a users file that others could read or change, as ssh does with a private key: it holds
 * password hashes and NT hashes (password equivalents).
 */
export function checkUsersFileMode(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new WsmanUsageError(`cannot read users file ${file}: ${(err as Error).message}`);
  }
  const mode = st.mode & 0o777;
  if (mode & 0o077) {
    throw new WsmanUsageError(`users file ${file} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); it holds password hashes: run \`chmod 600 ${file}\``);
  }
  const me = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (st.uid !== me && st.uid !== 0) {
    throw new WsmanUsageError(`users file ${file} belongs to another user (uid ${st.uid}); it must be owned by the listener's account or root`);
  }
}

/** Load a users file into `store`, after checking its mode (checkUsersFileMode). */
export function loadUsersFile(file: string, store: UserStore): void {
  checkUsersFileMode(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WsmanUsageError(`cannot read users file ${file}: ${(err as Error).message}`);
  }
  for (const u of parseUsersFile(text, file)) store.add(u);
}

/** Add or replace a user in a users file (created with mode 0600, and an existing file's mode set to 0600). */
export async function addUserToFile(file: string, name: string, password: string, runAs?: string, ntHashHex?: string): Promise<void> {
  if (!/^[^:\s]+$/.test(name)) throw new WsmanUsageError('a user name cannot be empty or contain ":" or spaces');
  if (runAs !== undefined && !/^[^:\s]+$/.test(runAs)) throw new WsmanUsageError('an account name cannot contain ":" or spaces');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : [];
  const kept = lines.filter((l) => l.trim() !== '' && l.split(':')[0]?.toLowerCase() !== name.toLowerCase());
  const tail = ntHashHex ? `:${runAs ?? ''}:${ntHashHex}` : runAs ? `:${runAs}` : '';
  kept.push(`${name}:${await hashPassword(password)}${tail}`);
  // Tighten first, so that the new hash is never readable by others even for a moment.
  if (existsSync(file)) chmodSync(file, 0o600);
  writeFileSync(file, kept.join('\n') + '\n', { mode: 0o600 });
}

/**
 * Say once, at start, whose account runs each user's commands (accounts.ts): for a listener that
 * is not root, that everything runs as its own account.
 */
export function logAccounts(log: Logger, users: UserStore): void {
  const all = users.names().map((n) => users.get(n)!);
  if (!canSwitchUsers()) {
    log.log('info', 'the listener is not root: every user\'s commands run as its own account', { account: userInfo().username });
    const mapped = all.filter((u) => u.runAs !== undefined).map((u) => u.name);
    if (mapped.length) log.log('warn', '--run-as needs root; these users\' commands run as the listener\'s own account', { users: mapped });
    return;
  }
  for (const d of describeRunAs(all)) log.log(d.runsAs.startsWith('refused') ? 'warn' : 'info', 'user account', d);
}
