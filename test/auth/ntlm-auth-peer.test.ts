/**
 * Live interop with the NTLM library pywinrm uses (Debian's python3-ntlm-auth, with our pure-Python
 * MD4 shim): its NEGOTIATE/AUTHENTICATE against our server context, then sealing both ways.
 * Skipped only when /usr/bin/python3 or ntlm_auth is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { NtlmServerContext } from '../../src/auth/ntlm/server.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

const PY = '/usr/bin/python3';
const available = spawnSync(PY, ['-c', 'import ntlm_auth'], { stdio: 'ignore' }).status === 0;
const SCRIPT = path.join(REPO_ROOT, 'test', 'auth', 'py', 'ntlm_peer.py');

async function run(args: string[], server: NtlmServerContext): Promise<{ answer: string; request: string }> {
  const child = spawn(PY, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Uint8Array> => new Uint8Array(Buffer.from(String((await lines.next()).value ?? ''), 'base64'));
  const send = (b: Uint8Array): void => void child.stdin.write(Buffer.from(b).toString('base64') + '\n');
  try {
    send(server.step(await next()).token ?? new Uint8Array());
    server.step(await next());
    const sealed = await next();
    const request = Buffer.from(server.unwrap({ header: sealed.subarray(0, 16), ciphertext: sealed.subarray(16) })).toString('utf8');
    const out = server.wrap(new Uint8Array(Buffer.from('answer from wsman ✓')));
    send(new Uint8Array([...out.header, ...out.ciphertext]));
    const answer = Buffer.from(await next()).toString('utf8');
    return { answer, request };
  } finally {
    child.stdin.end();
    child.kill();
  }
}

describe.skipIf(!available)('ntlm-auth (pywinrm\'s NTLM) against our server context', () => {
  const opts = { lookup: (u: string) => (u.toLowerCase() === 'vagrant' ? ntHash('Secr3t!pw') : undefined), netbiosDomain: 'WINRMTEST' };

  it('authenticates, and sealed messages open on both sides', async () => {
    const server = new NtlmServerContext(opts);
    const r = await run(['vagrant', 'Secr3t!pw'], server);
    expect(server.user).toBe('vagrant');
    expect(r.request).toBe('request from ntlm-auth ✓');
    expect(r.answer).toBe('answer from wsman ✓');
  });

  it('with a domain (WINRMTEST\\vagrant) too; a wrong password is refused', async () => {
    const server = new NtlmServerContext(opts);
    await run(['vagrant', 'Secr3t!pw', 'WINRMTEST'], server);
    expect(server.domain).toBe('WINRMTEST');
    const bad = new NtlmServerContext(opts);
    await expect(run(['vagrant', 'nope'], bad)).rejects.toMatchObject({ reason: 'bad-password' });
  });
});
