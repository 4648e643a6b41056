/**
 * A stand-in for `pwsh -s` in tests of the listener's out-of-process bridge (not PowerShell): it
 * logs every packet it reads to the file named by its first argument ("got KIND guid base64") and
 * every ack it writes ("sent KIND guid"), acks Data, Signal and Close at once, and acks a Command
 * only when it receives SIGUSR2 (all the Commands waiting), so a test controls when CommandAck
 * comes. It writes no output of its own.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const log = process.argv[2];
if (!log) throw new Error('usage: fake-pwsh.mjs LOGFILE');
const held = [];
const send = (kind, guid) => {
  process.stdout.write(`<${kind} PSGuid='${guid}' />\n`);
  appendFileSync(log, `sent ${kind} ${guid}\n`);
};
process.on('SIGUSR2', () => {
  for (const guid of held.splice(0)) send('CommandAck', guid);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^<(\w+)(?: Stream='\w+')? PSGuid='([0-9a-f-]+)'(?: \/>|>([^<]*)<\/\w+>)$/.exec(line.trim());
  if (!m) return;
  const [, kind, guid, data] = m;
  appendFileSync(log, `got ${kind} ${guid}${data !== undefined ? ` ${data}` : ''}\n`);
  if (kind === 'Command') held.push(guid);
  else if (kind === 'Data' || kind === 'Signal' || kind === 'Close') send(`${kind}Ack`, guid);
}).on('close', () => process.exit(0));
appendFileSync(log, 'ready\n');
