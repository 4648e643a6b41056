/**
 * Reads the pywinrm NTLM captures in `fixtures/clients/pywinrm/` (recorded by a scripted server;
 * see fixtures/clients/README.md): the NTLM tokens of the handshake, and for every sealed exchange
 * the request body bytes, its decrypted SOAP, the response plaintext and the sealed response bytes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures.js';

export const PYWINRM_DIR = path.join(REPO_ROOT, 'fixtures', 'clients', 'pywinrm');
export const PYWINRM_USER = 'vagrant';
export const PYWINRM_PASSWORD = 'Secr3t!pw';

export interface SealedExchange {
  index: number;
  requestBody: Uint8Array;
  requestPlaintext: string;
  /** The 16-byte signature the capture server decoded (hex). */
  requestSignatureHex: string;
  responsePlaintext: string;
  responseBody: Uint8Array;
}

export interface Capture {
  negotiate: Uint8Array;
  challenge: Uint8Array;
  authenticate: Uint8Array;
  /** Values the capture server printed. */
  serverChallengeHex: string;
  timestampHex: string;
  exportedSessionKeyHex: string | undefined;
  exchanges: SealedExchange[];
  text: string;
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.trim(), 'base64'));

export function loadCapture(name: string): Capture {
  const text = readFileSync(path.join(PYWINRM_DIR, name), 'utf8');
  const lines = text.split('\n');
  const auths = lines.filter((l) => l.startsWith('Authorization: Negotiate ')).map((l) => b64(l.slice('Authorization: Negotiate '.length)));
  const chal = lines.find((l) => l.startsWith('WWW-Authenticate: Negotiate T'));
  const exported = /exported session key ([0-9a-f]{32})/.exec(text);
  const exchanges: SealedExchange[] = [];
  let current: Partial<SealedExchange> = {};
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    const m = /^#(\d+)\s+connection/.exec(l);
    if (m) current = { index: Number(m[1]) };
    if (l.startsWith('[raw encrypted body, base64')) current.requestBody = b64(lines[i + 1] ?? '');
    const sig = /signature=([0-9a-f]{32})/.exec(l);
    if (l.startsWith('[signature length field') && sig) current.requestSignatureHex = sig[1];
    if (l.startsWith('[decrypted SOAP body]')) current.requestPlaintext = collect(lines, i + 1, (x) => x.startsWith('-----'));
    if (l.startsWith('[plaintext of the sealed response body]')) current.responsePlaintext = collect(lines, i + 1, (x) => x.startsWith('[sealed'));
    if (l.startsWith('[sealed response body as sent')) {
      current.responseBody = b64(lines[i + 1] ?? '');
      if (current.requestBody && current.requestPlaintext !== undefined) exchanges.push(current as SealedExchange);
    }
  }
  return {
    negotiate: auths[0] ?? new Uint8Array(0),
    authenticate: auths[1] ?? new Uint8Array(0),
    challenge: b64((chal ?? '').slice('WWW-Authenticate: Negotiate '.length)),
    serverChallengeHex: /server challenge: ([0-9a-f]{16})/.exec(text)?.[1] ?? '',
    timestampHex: /\('MsvAvTimestamp', '([0-9a-f]{16})'\)/.exec(text)?.[1] ?? '',
    exportedSessionKeyHex: exported?.[1],
    exchanges,
    text,
  };
}

function collect(lines: string[], from: number, stop: (l: string) => boolean): string {
  const out: string[] = [];
  for (let j = from; j < lines.length && !stop(lines[j] ?? ''); j++) out.push(lines[j] ?? '');
  return out.join('\n');
}
