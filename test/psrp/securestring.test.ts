/**
 * The pool's own session key handling, offline, against a scripted server (a fake transport that
 * answers PUBLIC_KEY with ENCRYPTED_SESSION_KEY as Windows does): it answers the server's
 * PUBLIC_KEY_REQUEST by itself, shares one exchange between concurrent callers, encrypts
 * SecureStrings wherever they sit in arguments without touching the caller's values, and a
 * SecureString never shows its text by accident.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { SecureString, mapSecureStrings } from '../../src/client/psrp/securestring.js';
import { decryptSecureString, encryptSecureString } from '../../src/client/psrp/sessionkey.js';
import { EventQueue, type PsrpTransport } from '../../src/client/psrp/transport.js';
import { PSObject, PSPrimitive, ps } from '../../src/psrp/clixml/model.js';
import { serialize } from '../../src/psrp/clixml/serialize.js';
import { Defragmenter, fragmentBytes } from '../../src/psrp/fragment.js';
import { EMPTY_GUID } from '../../src/psrp/message.js';
import { decodeTyped, encodeTyped, type TypedMessage } from '../../src/psrp/messages/index.js';
import { ClientRunspacePool } from '../../src/psrp/pool.js';
import { WsmanError } from '../../src/core/errors.js';

/** What a server does with a PUBLICKEYBLOB: encrypt its AES-256 key to it, as a SIMPLEBLOB. */
function simpleBlob(publicKeyBlob: string, key: Buffer): string {
  const n = Buffer.from(Buffer.from(publicKeyBlob, 'base64').subarray(20)).reverse();
  const pub = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB' }, format: 'jwk' });
  const enc = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, key);
  return Buffer.concat([Buffer.from([1, 2, 0, 0, 0x10, 0x66, 0, 0, 0, 0xa4, 0, 0]), Buffer.from(enc).reverse()]).toString('base64');
}

/** A server in a box: an Opened pool; PUBLIC_KEY answered; each pipeline answered by `script(pipeline's message)`. */
class ScriptedServer implements PsrpTransport {
  readonly pool = new ClientRunspacePool({ rpid: randomUUID() });
  readonly key = randomBytes(32);
  readonly sent: TypedMessage[] = [];
  private readonly queue = new EventQueue();
  private readonly defrag = new Defragmenter();
  private objectId = 1n;
  /** Set: ENCRYPTED_SESSION_KEY carries a key for another client (it does not decrypt). */
  badKey = false;
  /** Set: ENCRYPTED_SESSION_KEY waits until release() is called. */
  hold: Array<() => void> | undefined;

  release(): void {
    for (const f of this.hold?.splice(0) ?? []) f();
  }

  constructor(private readonly script: (m: TypedMessage) => TypedMessage[] = () => [{ type: 'PIPELINE_STATE', pipelineState: 4 }]) {
    this.pool.state = 'Opened';
  }

  /** Send a message to the client. */
  say(pid: string, m: TypedMessage): void {
    this.pool.receiveData(fragmentBytes(this.objectId++, encodeTyped(m, { destination: 1, rpid: this.pool.rpid, pid }), 32768));
    this.queue.drain(this.pool);
  }

  async flush(): Promise<void> {
    for (const o of this.pool.dataToSend()) {
      if (o.kind === 'close' && o.pid === EMPTY_GUID) {
        this.pool.closedByTransport();
        this.queue.drain(this.pool);
      }
      if (o.kind !== 'data') continue;
      for (const whole of this.defrag.push(o.data)) {
        const { message } = decodeTyped(whole.data);
        const m = message as TypedMessage;
        this.sent.push(m);
        // Answered later, as a server does (never inside the send).
        setImmediate(() => {
          if (m.type === 'PUBLIC_KEY') {
            const blob = this.badKey ? Buffer.from('not for you').toString('base64') : simpleBlob(m.publicKey, this.key);
            const answer = (): void => this.say(EMPTY_GUID, { type: 'ENCRYPTED_SESSION_KEY', encryptedSessionKey: blob });
            if (this.hold) this.hold.push(answer);
            else answer();
          }
          if (m.type === 'CREATE_PIPELINE') for (const r of this.script(m)) this.say(o.pid, r);
        });
      }
    }
  }

  nextEvent(): ReturnType<PsrpTransport['nextEvent']> {
    return this.queue.next();
  }

  async dispose(): Promise<void> {
    this.queue.fail(new Error('closed'));
  }
}

const types = (s: ScriptedServer): string[] => s.sent.map((m) => m.type);

describe('the session key, exchanged by the pool itself', () => {
  it('PUBLIC_KEY_REQUEST from the server is answered with PUBLIC_KEY, no call needed; its key then reads SecureString output', async () => {
    const server: ScriptedServer = new ScriptedServer((): TypedMessage[] => [
      { type: 'PIPELINE_OUTPUT', value: ps.secureString(encryptSecureString(server.key, 'from the server')) },
      { type: 'PIPELINE_STATE', pipelineState: 4 },
    ]);
    const pool = RunspacePool.adopt(server);
    server.say(EMPTY_GUID, { type: 'PUBLIC_KEY_REQUEST' });
    await vi.waitFor(() => expect(types(server)).toEqual(['PUBLIC_KEY']), { timeout: 10_000, interval: 5 });
    await pool.exchangeKey(); // the exchange under way (or done): no second one
    const [out] = await PowerShell.create(pool).addScript('x').invoke();
    expect(out).toBeInstanceOf(SecureString);
    expect((out as SecureString).reveal()).toBe('from the server');
    expect(types(server)).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
    await pool.close();
  });

  it('PUBLIC_KEY goes once per pool (MS-PSRP 3.1.5.4.3): a PUBLIC_KEY_REQUEST after the exchange sends nothing more', async () => {
    const server = new ScriptedServer();
    const pool = RunspacePool.adopt(server);
    await pool.exchangeKey();
    server.say(EMPTY_GUID, { type: 'PUBLIC_KEY_REQUEST' });
    await PowerShell.create(pool).addScript('x').invoke(); // the request was routed before this pipeline's answer
    expect(types(server)).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
    await pool.close();
  });

  it('a caller that stops waiting (abort) does not stop the exchange: the late answer still gives the key', async () => {
    const server = new ScriptedServer();
    server.hold = [];
    const pool = RunspacePool.adopt(server);
    const ac = new AbortController();
    const first = pool.exchangeKey(ac.signal).catch((e: unknown) => e);
    await vi.waitFor(() => expect(server.hold).toHaveLength(1), { timeout: 10_000, interval: 5 });
    ac.abort(new Error('gave up'));
    expect(await first).toMatchObject({ message: 'gave up' });
    const second = pool.exchangeKey();
    server.release();
    await second;
    await PowerShell.create(pool).addScript('x').addArgument(pool.secureString('s')).invoke(); // uses that key, no new exchange
    expect(types(server)).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
    await pool.close();
  });

  it('concurrent exchangeKey() calls and SecureString arguments share one exchange', async () => {
    const server = new ScriptedServer();
    const pool = RunspacePool.adopt(server);
    await Promise.all([pool.exchangeKey(), pool.exchangeKey(), PowerShell.create(pool).addScript('x').addArgument(pool.secureString('a')).invoke()]);
    await pool.exchangeKey();
    expect(types(server)).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
    await pool.close();
  });

  it('a host\'s SecureString answer when the exchange fails: the server gets an error record (it does not wait for ever)', async () => {
    const server: ScriptedServer = new ScriptedServer((): TypedMessage[] => [
      { type: 'PIPELINE_HOST_CALL', callId: 1n, methodId: { value: 12, name: 'ReadLineAsSecureString' }, parameters: [] },
    ]);
    server.badKey = true;
    const pool = RunspacePool.adopt(server, { host: { ReadLineAsSecureString: () => new SecureString('typed') } });
    await PowerShell.create(pool).addScript('x').beginInvoke();
    await vi.waitFor(() => expect(types(server)).toContain('PIPELINE_HOST_RESPONSE'), { timeout: 10_000, interval: 5 });
    const response = server.sent.find((m) => m.type === 'PIPELINE_HOST_RESPONSE') as { returnValue?: unknown; error?: unknown };
    expect(response.returnValue).toBeUndefined();
    expect(response.error).toBeInstanceOf(PSObject);
    expect(String(response.error)).toMatch(/could not be encrypted/);
    expect(types(server)).toEqual(['CREATE_PIPELINE', 'PUBLIC_KEY', 'PIPELINE_HOST_RESPONSE']);
    await pool.close();
  });

  it('SecureStrings inside arrays, hashtables and input objects are encrypted; the caller\'s values are left as they were', async () => {
    const server = new ScriptedServer();
    const pool = RunspacePool.adopt(server);
    const inner = pool.secureString('deep');
    const arg = { user: 'bob', secrets: [inner, 'plain'], map: new Map<string, unknown>([['k', pool.secureString('in a map')]]) };
    await PowerShell.create(pool).addScript('x').addArgument(arg as never).invoke([new PSObject({ extended: [['Password', pool.secureString('input')]] })]);
    expect(arg.secrets[0]).toBe(inner);
    const create = server.sent.find((m) => m.type === 'CREATE_PIPELINE')!;
    const found: string[] = [];
    mapSecureStrings(create, (s) => (found.push(decryptSecureString(server.key, s.value)), s));
    const input = server.sent.find((m) => m.type === 'PIPELINE_INPUT')!;
    mapSecureStrings(input, (s) => (found.push(decryptSecureString(server.key, s.value)), s));
    expect(found.sort()).toEqual(['deep', 'in a map', 'input']);
    expect(JSON.stringify(create)).not.toMatch(/deep|in a map/);
    await pool.close();
  });

  it('a SecureString never shows its text: JSON, String(), and serializing it unencrypted is a usage error', () => {
    const s = new SecureString('hunter2');
    expect(s).toBeInstanceOf(PSPrimitive);
    expect(JSON.stringify([s])).toBe('["[SecureString]"]');
    expect(String(s)).toBe('System.Security.SecureString');
    expect(() => serialize(s)).toThrow(WsmanError);
    expect(s.reveal()).toBe('hunter2');
  });
});
