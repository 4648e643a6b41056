/**
 * A stand-in for `pwsh -s` (not PowerShell) that a test drives: it logs every packet it reads to the
 * file named by its first argument ("got KIND guid [stream] [base64]"), acks Data, Command, Signal
 * and Close at once, and on SIGUSR2 writes the lines of the file named by its second argument (the
 * outbox: packets the test prepared, e.g. pool messages) to its stdout and empties it.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [log, outbox] = process.argv.slice(2);
if (!log || !outbox) throw new Error('usage: fake-pwsh-relay.mjs LOGFILE OUTBOX');
const ack = (kind, guid) => process.stdout.write(`<${kind} PSGuid='${guid}' />\n`);
process.on('SIGUSR2', () => {
  const lines = readFileSync(outbox, 'utf8');
  writeFileSync(outbox, '');
  process.stdout.write(lines);
  appendFileSync(log, 'flushed\n');
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^<(\w+)(?: Stream='(\w+)')? PSGuid='([0-9a-f-]+)'(?: \/>|>([^<]*)<\/\w+>)$/.exec(line.trim());
  if (!m) return;
  const [, kind, stream, guid, data] = m;
  appendFileSync(log, `got ${kind} ${guid} ${stream ?? '-'}${data !== undefined ? ` ${data}` : ''}\n`);
  if (kind === 'Data' || kind === 'Signal' || kind === 'Close' || kind === 'Command') ack(`${kind}Ack`, guid);
}).on('close', () => process.exit(0));
appendFileSync(log, 'ready\n');
