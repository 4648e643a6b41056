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

/** `p`, or the signal's reason once it aborts (the work behind `p` goes on). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The session key of one pool. MS-PSRP 3.1.5.4.3: a client sends PUBLIC_KEY once per pool, so
 * there is one exchange, started by the first that needs it (a SecureString to send or to read,
 * the server's PUBLIC_KEY_REQUEST, exchangeKey()) and shared by every later caller; a caller's
 * signal only stops its own wait. A failed exchange stays failed.
 */
export class PoolKeys {
  private key: Buffer | undefined;
  private exchanging: Promise<Buffer> | undefined;
  /** The exchange failed (the server's key was not for us, or the pool ended first). */
  private failed = false;

  /** `run` does the exchange (PUBLIC_KEY out, ENCRYPTED_SESSION_KEY back) and returns the AES key. */
  constructor(private readonly run: () => Promise<Buffer>) {}

  get ready(): boolean {
    return this.key !== undefined;
  }

  /** The key, once the exchange (started now if it was not) is done. */
  exchange(signal?: AbortSignal): Promise<Buffer> {
    if (!this.exchanging) {
      this.exchanging = this.run().then((k) => (this.key = k), (err: unknown) => { this.failed = true; throw err; });
      this.exchanging.catch(() => undefined); // reported to each caller that waits
    }
    return untilAborted(this.exchanging, signal);
  }

  /** The server sent PUBLIC_KEY_REQUEST: start the exchange unless it was. */
  requested(): Promise<Buffer> {
    return this.exchange();
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
