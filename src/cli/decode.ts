/** `wsman decode FILE... | -`: decode captured WinRM traffic to JSON, one object per file. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeMessage, messageToJson, WsmanError, type Json } from '../core/index.js';

/** The start line and Content-Type of a captured HTTP message. */
export interface HttpInfo {
  /** The status of a response (`HTTP/1.1 401 Unauthorized`). */
  status?: number;
  reason?: string;
  /** The method of a request (`POST /wsman HTTP/1.1`). */
  method?: string;
  contentType?: string;
}

/** Split a raw HTTP message into its body, charset and start line; plain envelopes pass through. */
export function httpBody(bytes: Buffer): { body: Buffer; charset?: string; http?: HttpInfo } {
  const head = bytes.subarray(0, 16).toString('latin1');
  if (!/^(POST |HTTP\/1\.[01] )/.test(head)) return { body: bytes };
  let sep = bytes.indexOf('\r\n\r\n');
  let skip = 4;
  if (sep === -1) {
    sep = bytes.indexOf('\n\n');
    skip = 2;
  }
  const headers = bytes.subarray(0, sep === -1 ? bytes.length : sep).toString('latin1');
  const http: HttpInfo = {};
  const status = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?/.exec(headers);
  if (status) {
    http.status = Number(status[1]);
    if (status[2]?.trim()) http.reason = status[2].trim();
  } else http.method = 'POST';
  const ct = /^content-type:\s*(.*?)\s*$/im.exec(headers)?.[1];
  if (ct) http.contentType = ct;
  if (sep === -1) return { body: Buffer.alloc(0), http };
  if (ct && /multipart\/(x-multi-)?encrypted/i.test(ct)) {
    throw new WsmanError('ERR_SEALED', 'the body is sealed (HTTP message encryption); it cannot be decoded without the session key');
  }
  const charset = ct ? /charset="?([^";\s]+)/i.exec(ct)?.[1] : undefined;
  const body = bytes.subarray(sep + skip);
  return { body, http, ...(charset !== undefined ? { charset } : {}) };
}

/** Whether an HTTP body is to be read as XML: an XML content type, or none and it looks like XML. */
function isXml(body: Buffer, contentType: string | undefined): boolean {
  if (contentType !== undefined) return /xml/i.test(contentType);
  const start = body.subarray(0, 64).toString('latin1').replace(/^(\xef\xbb\xbf|\xff\xfe|\xfe\xff)/, '').replace(/\0/g, '').trimStart();
  return start.startsWith('<');
}

/** One file to one JSON object. Throws (a WsmanError where it can) when the file cannot be decoded. */
export function decodeCapture(bytes: Buffer): Json {
  const { body, charset, http } = httpBody(bytes);
  const httpJson: { http?: Json } = http ? { http: { ...http } } : {};
  if (http && body.length === 0) return { ...httpJson, action: null, headers: null, body: { kind: 'NoBody' } };
  if (http && !isXml(body, http.contentType)) {
    // A 401 with a text/plain or HTML body, say: what it is, not an XML error.
    return { ...httpJson, action: null, headers: null, body: { kind: 'NotXml', contentType: http.contentType ?? null, text: body.subarray(0, 4096).toString('utf8') } };
  }
  return { ...httpJson, ...(messageToJson(decodeMessage(body, undefined, charset, { lenient: true })) as object) };
}

async function readInput(file: string): Promise<Buffer> {
  if (file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function register(program: Command): void {
  program
    .command('decode')
    .description('decode captured WS-Management envelopes (or HTTP messages) to JSON, one object per file; exit 2 if any file failed')
    .argument('<files...>', 'files to decode; - reads standard input')
    .option('--pretty', 'indent the JSON')
    .action(async (files: string[], opts: { pretty?: boolean }) => {
      let failed = 0;
      for (const file of files) {
        try {
          const json = decodeCapture(await readInput(file));
          process.stdout.write(`${JSON.stringify({ file, ...(json as object) }, null, opts.pretty ? 2 : undefined)}\n`);
        } catch (err) {
          const msg = err instanceof WsmanError ? `${err.code}: ${err.message}` : (err as Error).message;
          process.stderr.write(`wsman decode: ${file}: ${msg}\n`);
          failed++;
        }
      }
      if (failed > 0) process.exitCode = 2;
    });
}
