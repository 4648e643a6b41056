/**
 * SecureStrings on a pool without the caller managing the session key (MS-PSRP 3.1.4.? key
 * exchange): a SecureString the caller sends keeps its text in this process until the pool
 * encrypts it with the session key, exchanging keys first when it has none; the pool answers the
 * server's PUBLIC_KEY_REQUEST by itself; SecureStrings in what the server sends come back readable.
 * PowerShell's client does the same before its first SecureString and when the server asks.
 */
import { WsmanError } from '../../core/errors.js';
import { PSObject, PSPrimitive, ps, type PSValue } from '../../psrp/clixml/model.js';
import type { Serializable } from '../../psrp/clixml/serialize.js';
import type { Command } from '../../psrp/messages/pipeline.js';
import { decryptSecureString, encryptSecureString } from './sessionkey.js';

/**
 * A SecureString. PowerShell: System.Security.SecureString (`ConvertTo-SecureString -AsPlainText
 * -Force`, `Read-Host -AsSecureString`). Pass it as an argument, parameter or input object: the
 * pool encrypts it with its session key when it sends it. SecureStrings the server sends arrive as
 * this class too (`reveal()` gives the text). It never prints or serializes its text by accident.
 */
export class SecureString extends PSPrimitive<'SS'> {
  readonly #text: string;

  constructor(text: string) {
    super('SS', '');
    this.#text = text;
    // Serialized only once encrypted: written as is, it would be an empty (undecryptable) SecureString.
    Object.defineProperty(this, 'value', {
      get: () => { throw new WsmanError('ERR_PSRP_USAGE', 'a SecureString is sent by a RunspacePool, which encrypts it with its session key'); },
    });
  }

  /** The text. PowerShell: [System.Net.NetworkCredential]::new('', $secure).Password */
  reveal(): string {
    return this.#text;
  }

  override toJSON(): string {
    return '[SecureString]';
  }

  override toString(): string {
    return 'System.Security.SecureString';
  }
}

/** `v` with every SecureString replaced by `f(it)`; containers are copied only where something changed. */
export function mapSecureStrings<T>(v: T, f: (s: PSPrimitive<'SS'>) => PSValue, depth = 0): T {
  if (depth > 100 || v === null || typeof v !== 'object') return v;
  if (v instanceof PSPrimitive) return (v.tag === 'SS' ? f(v as PSPrimitive<'SS'>) : v) as T;
  const m = <U>(x: U): U => mapSecureStrings(x, f, depth + 1);
  if (Array.isArray(v)) {
    const out = v.map(m);
    return (out.some((x, i) => x !== v[i]) ? out : v) as T;
  }
  if (v instanceof Map) {
    const out = new Map([...v].map(([k, x]) => [m(k), m(x)]));
    return ([...out].some(([k, x]) => !v.has(k) || v.get(k) !== x) ? out : v) as T;
  }
  if (v instanceof PSObject) {
    const props = (p: Map<string, PSValue>): Array<[string, PSValue]> => [...p].map(([k, x]) => [k, m(x)]);
    const copy = new PSObject({
      typeNames: v.typeNames, ...(v.toStringText !== undefined ? { toStringText: v.toStringText } : {}),
      ...(v.value !== undefined ? { value: m(v.value) } : {}), ...(v.listKind ? { listKind: v.listKind } : {}),
      ...(v.list ? { list: v.list.map(m) } : {}), ...(v.dict ? { dict: v.dict.map(([k, x]) => [m(k), m(x)] as [PSValue, PSValue]) } : {}),
      adapted: props(v.adapted), extended: props(v.extended),
    });
    const same = copy.value === v.value && (copy.list ?? []).every((x, i) => x === v.list![i]) && (copy.dict ?? []).every(([k, x], i) => k === v.dict![i]![0] && x === v.dict![i]![1])
      && [...copy.adapted].every(([k, x]) => v.adapted.get(k) === x) && [...copy.extended].every(([k, x]) => v.extended.get(k) === x);
    return (same ? v : copy) as T;
  }
  if (v instanceof Date || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, m(x)] as const);
  return (entries.some(([k, x]) => x !== (v as Record<string, unknown>)[k]) ? Object.fromEntries(entries) : v) as T;
}

/** Whether `v` holds a SecureString the pool must still encrypt. */
function hasPlain(v: unknown): boolean {
  let found = false;
  mapSecureStrings(v, (s) => ((found ||= s instanceof SecureString), s));
  return found;
}

/** The session key of one pool: exchanged once (concurrent callers share the exchange), again when the server asks. */
export class PoolKeys {
  private key: Buffer | undefined;
  private exchanging: Promise<Buffer> | undefined;
  /** An exchange failed (the server's key was not for us, or the caller gave up): output is not a reason to try again. */
  private failed = false;

  /** `run` does one exchange (PUBLIC_KEY out, ENCRYPTED_SESSION_KEY back) and returns the AES key. */
  constructor(private readonly run: (signal?: AbortSignal) => Promise<Buffer>) {}

  get ready(): boolean {
    return this.key !== undefined;
  }

  /** The key, exchanging it first when there is none (one exchange at a time). */
  async exchange(signal?: AbortSignal, again = false): Promise<Buffer> {
    if (this.key && !again && !this.exchanging) return this.key;
    this.exchanging ??= this.run(signal).then(
      (k) => ((this.key = k), (this.exchanging = undefined), k),
      (err: unknown) => { this.exchanging = undefined; this.failed = true; throw err; },
    );
    return this.exchanging;
  }

  /** The server sent PUBLIC_KEY_REQUEST: answer with a new exchange unless one is under way. */
  requested(): Promise<Buffer> {
    return this.exchanging ?? this.exchange(undefined, true);
  }

  /** `v` with its SecureStrings encrypted for the wire, exchanging keys first when needed. */
  async encryptAll<T>(v: T, signal?: AbortSignal): Promise<T> {
    if (!hasPlain(v)) return v;
    const key = await this.exchange(signal);
    return mapSecureStrings(v, (s) => (s instanceof SecureString ? ps.secureString(encryptSecureString(key, s.reveal())) : s));
  }

  /** Commands with their SecureString arguments encrypted. */
  async encryptCommands(commands: Command[], signal?: AbortSignal): Promise<Command[]> {
    if (!hasPlain(commands.map((c) => c.args.map((a) => a.value)))) return commands;
    await this.exchange(signal);
    return Promise.all(commands.map(async (c) => ({ ...c, args: await Promise.all(c.args.map(async (a) => ({ ...a, value: await this.encryptAll(a.value) }))) })));
  }

  /** Whether `v` holds a SecureString from the server while this pool has no key to read it. */
  needsKey(v: unknown): boolean {
    if (this.key) return false;
    let found = false;
    mapSecureStrings(v, (s) => ((found ||= !(s instanceof SecureString)), s));
    return found;
  }

  /** decryptAll() after an exchange when needed (PowerShell's server encrypts with the key it later sends); as sent when an exchange failed. */
  async readable<T extends Serializable>(v: T): Promise<T> {
    if (!this.failed && this.needsKey(v)) await this.exchange().catch(() => undefined);
    return this.decryptAll(v);
  }

  /** A value from the server with its SecureStrings readable (when this pool has the key they were encrypted with). */
  decryptAll<T extends Serializable>(v: T): T {
    const key = this.key;
    if (!key) return v;
    return mapSecureStrings(v, (s) => {
      if (s instanceof SecureString) return s;
      try {
        return new SecureString(decryptSecureString(key, s.value));
      } catch {
        return s; // not for our key: left as the server sent it
      }
    });
  }
}
