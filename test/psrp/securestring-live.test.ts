/**
 * SecureStrings against real PowerShell (`pwsh -s`) with no exchangeKey() call: the pool exchanges
 * keys by itself before the first SecureString it sends (parameter, input, a host's answer to
 * Read-Host -AsSecureString), once; and SecureStrings pwsh outputs come back readable. pwsh
 * encrypts SecureString output with its own session key before any exchange (it does not ask for
 * our public key first); the pool then exchanges keys, gets that key, and reads them, in order.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { nonInteractiveHost } from '../../src/client/psrp/host.js';
import { SecureString } from '../../src/client/psrp/securestring.js';
import { PSObject } from '../../src/psrp/clixml/model.js';
import type { TypedMessage } from '../../src/psrp/messages/index.js';
import { NO_PWSH_REASON, PWSH } from './pwsh.js';

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
