/**
 * The implicit session key exchange against a recorded Windows conversation
 * (test_psrp_multiple_commands.yml): with the RSA key pair the recording client used (pypsrp pins
 * it in its tests; fixtures/psrp/pypsrp-recording-rsa-key.json), the recorded ENCRYPTED_SESSION_KEY
 * decrypts, so the whole exchange is checked byte for byte: a SecureString parameter given before
 * any key makes the pool send PUBLIC_KEY by itself, and the SecureString output comes back readable;
 * a host's SecureString answer to ReadLineAsSecureString is encrypted as the recorded one.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { PowerShell, RunspacePool } from '../../src/client/psrp/powershell.js';
import { SecureString } from '../../src/client/psrp/securestring.js';
import { decryptSecureString, SessionKeyExchange } from '../../src/client/psrp/sessionkey.js';
import { nonInteractiveHost } from '../../src/client/psrp/host.js';
import { PSObject } from '../../src/psrp/clixml/model.js';
import { PSPrimitive } from '../../src/psrp/clixml/model.js';
import { decodeFragments } from '../../src/psrp/fragment.js';
import { decodeTyped, type TypedMessage } from '../../src/psrp/messages/index.js';
import { startReplay, type Replay } from './replay-server.js';

// The recording client's key pair instead of a fresh one (as pypsrp's own test does).
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  const { jwk } = JSON.parse(readFileSync(new URL('../../fixtures/psrp/pypsrp-recording-rsa-key.json', import.meta.url), 'utf8')) as { jwk: import('node:crypto').JsonWebKey };
  const privateKey = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return { ...crypto, generateKeyPairSync: () => ({ privateKey, publicKey: crypto.createPublicKey(privateKey) }) };
});

const open: Array<{ replay: Replay; client: WsmanClient }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.client.close();
    await o.replay.close();
  }
});

/** The PSRP message a recorded request carries (one whole fragment). */
function recordedMessage(xml: string): TypedMessage {
  const b64 = /<(?:\w+:)?(?:Stream|Arguments)\b[^>]*>([^<]+)</.exec(xml)![1]!;
  return decodeTyped(decodeFragments(Buffer.from(b64, 'base64'))[0]!.blob).message as TypedMessage;
}

describe('SecureStrings with no exchangeKey() call, replayed', () => {
  it('test_psrp_multiple_commands: PUBLIC_KEY sent by itself before the pipeline, the recorded ciphertext of "Hello World", SecureString output read back', async () => {
    const replay = await startReplay('test_psrp_multiple_commands.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    const sent: TypedMessage[] = [];
    const queue = pool.core.queueMessage.bind(pool.core);
    vi.spyOn(pool.core, 'queueMessage').mockImplementation((pid, m, extra) => (sent.push(m), queue(pid, m, extra)));

    const secret = pool.secureString('Hello World');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[SecureString]"}'); // never its text
    const out = await PowerShell.create(pool, { instanceId: replay.ids.pids[0]! })
      .addCommand('Set-Variable').addParameter('Name', 'sec_string').addParameter('Value', secret)
      .addScript('[System.Runtime.InteropServices.marshal]::PtrToStringAuto([System.Runtime.InteropServices.marshal]::SecureStringToBSTR($sec_string))')
      .invoke();

    // The exchange happened first, by itself, with the recording's public key.
    expect(sent.map((m) => m.type)).toEqual(['PUBLIC_KEY', 'CREATE_PIPELINE']);
    const recordedKey = recordedMessage(replay.exchanges[3]!.request);
    expect(sent[0]).toEqual(recordedKey);
    // Our AES key is the server's: the parameter's ciphertext is the recorded one.
    const recordedCreate = recordedMessage(replay.exchanges[5]!.request);
    const ss = (m: TypedMessage): unknown => (m.type === 'CREATE_PIPELINE' ? m.powerShell.cmds[0]!.args[1]!.value : undefined);
    expect(ss(sent[1]!)).toBeInstanceOf(PSPrimitive);
    expect((ss(sent[1]!) as PSPrimitive).value).toBe((ss(recordedCreate) as PSPrimitive).value);
    expect((ss(sent[1]!) as PSPrimitive).value).toBe('GXD6gSYvWjfp54Vgl3jLpuNMBhNdfWFRbM1QdeUNYFU=');

    expect(out).toHaveLength(7);
    expect(out[0]).toBe('Hello World'); // the server decrypted it
    expect(out[1]).toBeInstanceOf(SecureString); // ConvertTo-SecureString abc -AsPlainText -Force
    expect((out[1] as SecureString).reveal()).toBe('abc');
    await pool.exchangeKey(); // explicit, after the fact: nothing more is sent
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
    const { ours, recorded } = replay.clientMessages();
    expect(ours).toEqual(recorded);
  });

  it('test_psrp_pshost_ui_mocked_methods: the host answers ReadLineAsSecureString with a SecureString, sent as the recorded ciphertext; the PSCredential output\'s Password is read', async () => {
    const replay = await startReplay('test_psrp_pshost_ui_mocked_methods.yml');
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    // What the recorded host typed: the recorded answer decrypted with the recorded session key.
    const esk = recordedMessage(replay.exchanges[4]!.response!);
    const key = new SessionKeyExchange().sessionKey((esk as { encryptedSessionKey: string }).encryptedSessionKey);
    const recordedAnswer = recordedMessage(replay.exchanges[9]!.request) as { returnValue?: unknown };
    const typed = decryptSecureString(key, (recordedAnswer.returnValue as PSPrimitive).value as string);
    expect(typed).toBe('ReadLineAsSecureString response');

    const host = { ...nonInteractiveHost({ write: () => undefined }), ReadLineAsSecureString: () => new SecureString(typed) };
    const pool = await RunspacePool.open(client, { poolReceive: false, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]!, host });
    const sent: TypedMessage[] = [];
    const queue = pool.core.queueMessage.bind(pool.core);
    vi.spyOn(pool.core, 'queueMessage').mockImplementation((pid, m, extra) => (sent.push(m), queue(pid, m, extra)));
    await pool.exchangeKey(); // as the recorded client did, before the pipeline
    const s = await PowerShell.create(pool, { instanceId: replay.ids.pids[0]! }).addScript('recorded').beginInvoke();
    const out: unknown[] = [];
    for await (const v of s.output) out.push(v);
    expect((await s.completion).state).toBe('Completed');

    const answer = sent.find((m) => m.type === 'PIPELINE_HOST_RESPONSE' && m.methodId.name === 'ReadLineAsSecureString') as { returnValue?: unknown } | undefined;
    expect((answer!.returnValue as PSPrimitive).value).toBe((recordedAnswer.returnValue as PSPrimitive).value);
    // The server echoed it (Write-Output of the SecureString), and a PSCredential from PromptForCredential.
    expect(out.filter((v) => v instanceof SecureString).map((v) => (v as SecureString).reveal())).toEqual([typed]);
    const cred = out.find((v) => v instanceof PSObject && v.typeNames[0] === 'System.Management.Automation.PSCredential') as PSObject;
    expect(cred.get('Password')).toBeInstanceOf(SecureString);
    expect([cred.get('UserName'), (cred.get('Password') as SecureString).reveal()]).toEqual(['username', 'password']);
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
  });
});
