/**
 * SecureStrings against real PowerShell (`pwsh -s`) with no exchangeKey() call: the pool exchanges
 * keys by itself before the first SecureString it sends (parameter, input, a host's answer to
 * Read-Host -AsSecureString), once; and SecureStrings pwsh outputs come back readable. pwsh
 * encrypts SecureString output with its own session key before any exchange (it does not ask for
 * our public key first); the pool then exchanges keys, gets that key, and reads them, in order.
 * The same over WS-Man, through `wsman listen` serving pwsh.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { nonInteractiveHost } from '../../src/client/psrp/host.js';
import { SecureString } from '../../src/client/psrp/securestring.js';
import { PSObject } from '../../src/psrp/clixml/model.js';
import type { TypedMessage } from '../../src/psrp/messages/index.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';
import { WsmanListener, UserStore, hashPassword, createLogger } from '../../src/server/index.js';
import { userInfo } from 'node:os';
import { ntHash } from '../../src/auth/ntlm/compute.js';

const env = { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };
const pools: RunspacePool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

/** A fresh pool (no key yet) and the messages it sends. */
async function openPool(opts: Parameters<typeof RunspacePool.open>[1] = {}): Promise<{ pool: RunspacePool; sent: string[] }> {
  const pool = await RunspacePool.open({ outOfProcess: { executable: PWSH!, env } }, opts);
  pools.push(pool);
  const sent: string[] = [];
  const queue = pool.core.queueMessage.bind(pool.core);
  vi.spyOn(pool.core, 'queueMessage').mockImplementation((pid, m: TypedMessage, extra) => (sent.push(m.type), queue(pid, m, extra)));
  return { pool, sent };
}

const password = "[System.Net.NetworkCredential]::new('', $s).Password";

describe.skipIf(!PWSH)(`SecureStrings with pwsh -s, no exchangeKey() call${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('a SecureString parameter, then SecureString input: keys exchanged once, before the first pipeline; both arrive intact', async () => {
    const { pool, sent } = await openPool();
    const out = await PowerShell.create(pool)
      .addScript(`param([securestring]$s) $s.GetType().FullName; ${password}`)
      .addParameter('s', pool.secureString('Secr3t! ünïcode ☃'))
      .invoke();
    expect(out).toEqual(['System.Security.SecureString', 'Secr3t! ünïcode ☃']);
    expect(sent).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
    const piped = await PowerShell.create(pool)
      .addScript("process { $_.GetType().Name; [System.Net.NetworkCredential]::new('', $_).Password }")
      .invoke([pool.secureString('one'), 'plain', pool.secureString('two')]);
    expect(piped).toEqual(['SecureString', 'one', 'String', 'plain', 'SecureString', 'two']);
    expect(sent.filter((t) => t === 'PUBLIC_KEY')).toHaveLength(1);
    await pool.exchangeKey(); // explicit, and harmless: no second exchange
    expect(sent.filter((t) => t === 'PUBLIC_KEY')).toHaveLength(1);
  }, 60_000);

  it('SecureString output comes back readable, in order with the rest, also inside a PSCredential', async () => {
    const { pool, sent } = await openPool();
    const out = await PowerShell.create(pool)
      .addScript("'before'; ConvertTo-SecureString 'out!' -AsPlainText -Force; 'after'; [pscredential]::new('bob', (ConvertTo-SecureString 'pw2' -AsPlainText -Force))")
      .invoke();
    expect(out.slice(0, 3).map((v) => (v instanceof SecureString ? `SS:${v.reveal()}` : v))).toEqual(['before', 'SS:out!', 'after']);
    const cred = out[3] as PSObject;
    expect(cred.get('UserName')).toBe('bob');
    expect(cred.get('Password')).toBeInstanceOf(SecureString);
    expect((cred.get('Password') as SecureString).reveal()).toBe('pw2');
    expect(sent).toEqual(['CREATE_PIPELINE', 'PUBLIC_KEY']); // pwsh did not ask: the pool exchanged on seeing one
  }, 60_000);

  it('Read-Host -AsSecureString answered by the host with a SecureString: encrypted with a key exchanged for it', async () => {
    const host = { ...nonInteractiveHost({ write: () => undefined }), ReadLineAsSecureString: () => new SecureString('typed at the prompt') };
    const { pool, sent } = await openPool({ host });
    const out = await PowerShell.create(pool).addScript(`$s = Read-Host -AsSecureString; ${password}`).invoke();
    expect(out).toEqual(['typed at the prompt']);
    expect(sent.filter((t) => t !== 'PIPELINE_HOST_RESPONSE')).toEqual(['CREATE_PIPELINE', 'PUBLIC_KEY']);
    expect(sent.at(-1)).toBe('PIPELINE_HOST_RESPONSE');
  }, 60_000);
});

describe.skipIf(!PWSH)(`SecureStrings over WS-Man (wsman listen serving pwsh), no exchangeKey() call${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  let listener: WsmanListener;
  let url = '';
  beforeAll(async () => {
    const users = new UserStore();
    users.add({ name: 'alice', hash: await hashPassword('secret', 1024), ntHash: ntHash('secret'), runAs: userInfo().username });
    listener = new WsmanListener({ users, httpPort: 0, httpsPort: null, logger: createLogger('silent'), pwsh: PWSH! });
    url = (await listener.start())[0]!.url;
  });
  afterAll(async () => {
    await listener?.stop();
  });

  async function wsmanPool(): Promise<{ pool: RunspacePool; sent: string[] }> {
    const pool = await RunspacePool.open({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' } });
    pools.push(pool);
    const sent: string[] = [];
    const queue = pool.core.queueMessage.bind(pool.core);
    vi.spyOn(pool.core, 'queueMessage').mockImplementation((pid, m: TypedMessage, extra) => (sent.push(m.type), queue(pid, m, extra)));
    return { pool, sent };
  }

  it('a SecureString parameter arrives intact (PUBLIC_KEY by Send, its answer by a pool Receive, before the Command); output SecureStrings are read', async () => {
    const { pool, sent } = await wsmanPool();
    const out = await PowerShell.create(pool)
      .addScript(`param([securestring]$s) ${password}; ConvertTo-SecureString 'back again' -AsPlainText -Force`)
      .addParameter('s', pool.secureString('över WS-Man'))
      .invoke();
    expect(out[0]).toBe('över WS-Man');
    expect(out[1]).toBeInstanceOf(SecureString);
    expect((out[1] as SecureString).reveal()).toBe('back again');
    expect(sent).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
  }, 90_000);

  it('SecureString output before any key: the pool exchanges while the pipeline runs and reads it, in order', async () => {
    const { pool, sent } = await wsmanPool();
    const out = await PowerShell.create(pool).addScript("1; ConvertTo-SecureString 'late key' -AsPlainText -Force; 3").invoke();
    expect(out.map((v) => (v instanceof SecureString ? v.reveal() : v))).toEqual([1, 'late key', 3]);
    expect(sent).toEqual(['CREATE_PIPELINE', 'PUBLIC_KEY']);
  }, 90_000);
});
