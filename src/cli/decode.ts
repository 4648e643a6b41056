/** `wsman decode FILE... | -`: decode captured WinRM traffic to JSON, one object per file. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeMessage, messageToJson, WsmanError } from '../core/index.js';

/** Split a raw HTTP message into its body and charset; plain envelopes pass through. */
export function httpBody(bytes: Buffer): { body: Buffer; charset?: string } {
  const head = bytes.subarray(0, 16).toString('latin1');
  if (!/^(POST |HTTP\/1\.[01] )/.test(head)) return { body: bytes };
  let sep = bytes.indexOf('\r\n\r\n');
  let skip = 4;
  if (sep === -1) {
    sep = bytes.indexOf('\n\n');
    skip = 2;
  }
  if (sep === -1) return { body: Buffer.alloc(0) };
  const headers = bytes.subarray(0, sep).toString('latin1');
  const ct = /^content-type:\s*(.*)$/im.exec(headers)?.[1] ?? '';
  if (/multipart\/(x-multi-)?encrypted/i.test(ct)) {
    throw new WsmanError('ERR_SEALED', 'the body is sealed (HTTP message encryption); it cannot be decoded without the session key');
  }
  const charset = /charset=([^;\s]+)/i.exec(ct)?.[1];
  const body = bytes.subarray(sep + skip);
  return charset === undefined ? { body } : { body, charset };
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
    .description('decode captured WS-Management envelopes (or HTTP messages) to JSON, one object per file')
    .argument('<files...>', 'files to decode; - reads standard input')
    .option('--pretty', 'indent the JSON')
    .action(async (files: string[], opts: { pretty?: boolean }) => {
      for (const file of files) {
        try {
          const { body, charset } = httpBody(await readInput(file));
          const json = messageToJson(decodeMessage(body, undefined, charset));
          process.stdout.write(`${JSON.stringify({ file, ...(json as object) }, null, opts.pretty ? 2 : undefined)}\n`);
        } catch (err) {
          const msg = err instanceof WsmanError ? `${err.code}: ${err.message}` : (err as Error).message;
          process.stderr.write(`wsman decode: ${file}: ${msg}\n`);
          process.exitCode = 2;
          return;
        }
      }
    });
}
