/**
 * Every PSRP message of the recorded Windows conversations (pypsrp's test_psrp_*.yml, at the
 * WS-Man level): server messages (Receive stdout streams, connectResponseXml) and client messages
 * (creationXml, connectXml, Command Arguments, Send streams) reassemble and decode into typed
 * messages; client messages re-encode byte for byte, except where the recording's pypsrp wrote
 * something PowerShell does not (see PYPSRP_QUIRKS): there the re-encoding must decode to the same
 * typed message.
 */
import { describe, expect, it } from 'vitest';
import { parseXml, type XmlElement } from '../../src/core/xml.js';
import { pypsrpExchanges } from '../helpers/fixtures.js';
import { Defragmenter } from '../../src/psrp/fragment.js';
import { decodeMessage, messageTypeName } from '../../src/psrp/message.js';
import { encodeTyped, typedBody, type TypedMessage, type UnknownMessage } from '../../src/psrp/messages/index.js';
import { canonical } from './clixml-helpers.js';
import { deserialize, serialize } from '../../src/psrp/clixml/index.js';

const PAYLOADS = new Set(['creationXml', 'connectXml', 'connectResponseXml', 'Arguments', 'Stream']);

function payloads(el: XmlElement, out: Uint8Array[] = []): Uint8Array[] {
  if (PAYLOADS.has(el.name) && el.text.trim()) out.push(Buffer.from(el.text.trim(), 'base64'));
  for (const c of el.children) payloads(c, out);
  return out;
}

interface Decoded {
  where: string;
  bytes: Uint8Array;
  message: TypedMessage | UnknownMessage;
}

function conversation(file: string): { client: Decoded[]; server: Decoded[] } {
  const client = new Defragmenter();
  const server = new Defragmenter();
  const out = { client: [] as Decoded[], server: [] as Decoded[] };
  for (const ex of pypsrpExchanges().filter((e) => e.file === file)) {
    for (const [side, xml, d] of [['client', ex.request, client], ['server', ex.response, server]] as const) {
      if (!xml) continue;
      for (const chunk of payloads(parseXml(xml))) {
        for (const m of d.push(chunk)) {
          const msg = decodeMessage(m.data);
          out[side].push({ where: `#${ex.index} ${messageTypeName(msg.messageType) ?? msg.messageType}`, bytes: m.data, message: typedBody(msg) });
        }
      }
    }
  }
  expect(client.idle && server.idle).toBe(true);
  return out;
}

/**
 * Where the recorded client (an older pypsrp) wrote what PowerShell does not, so that our
 * PowerShell-shaped encoding differs in bytes: attribute order `RefId="1" N="…"` (PowerShell
 * writes N first; XML does not care), the call id spelled `CI` (PowerShell writes `ci` and reads
 * it without case), an empty string as `<S />` (PowerShell writes `<S></S>`), a
 * GET_COMMAND_METADATA Namespace typed Object[] (PowerShell sends String[]).
 */
function pypsrpQuirks(xml: string): string {
  return xml
    .replace(/<(\w+) RefId="(\d+)" N="([^"]*)"/g, '<$1 N="$3" RefId="$2"')
    .replace(/ N="CI"/g, ' N="ci"')
    .replace(/<(S|ToString)( N="[^"]*")? \/>/g, '<$1$2></$1>');
}

const files = [...new Set(pypsrpExchanges().map((e) => e.file))].filter((f) => f.startsWith('test_psrp_'));

let exact = 0;
let quirky = 0;
const typedOnly: string[] = [];

describe('recorded PSRP conversations decode into typed messages', () => {
  it('has the recordings', () => expect(files.length).toBeGreaterThanOrEqual(30));
  const seen = new Set<string>();
  for (const file of files) {
    it(file, () => {
      const { client, server } = conversation(file);
      for (const m of [...client, ...server]) {
        expect([m.where, m.message.type]).not.toEqual([m.where, 'UNKNOWN']);
        seen.add(m.message.type);
      }
      for (const m of client) {
        const msg = decodeMessage(m.bytes);
        const again = encodeTyped(m.message, { destination: msg.destination, rpid: msg.rpid, pid: msg.pid, bom: msg.bom });
        const header = (b: Uint8Array): string => Buffer.from(b.subarray(0, 40)).toString('hex');
        expect([m.where, header(again)]).toEqual([m.where, header(m.bytes)]);
        const ours = decodeMessage(again).data;
        if (ours === msg.data) exact++;
        else if (ours === pypsrpQuirks(msg.data)) quirky++;
        else {
          expect([m.where, typedBody(decodeMessage(again))]).toEqual([m.where, m.message]);
          expect([m.where, canonical(ours)]).not.toEqual([m.where, canonical(msg.data)]); // a real difference, not one of the above
          typedOnly.push(`${file} ${m.where}`);
        }
      }
    });
  }
  it('client messages re-encode byte for byte but for the listed pypsrp quirks', () => {
    expect(exact).toBeGreaterThan(100);
    console.log(`client messages: ${exact} byte-exact, ${quirky} exact but for pypsrp quirks, ${typedOnly.length} typed-equal only`);
    expect(quirky).toBeGreaterThan(0);
    expect(typedOnly).toEqual(['test_psrp_get_command_metadata.yml #7 GET_COMMAND_METADATA']);
  });
  it('server messages (Windows PowerShell 5.1) re-serialize byte for byte', () => {
    let n = 0;
    for (const file of files) {
      for (const m of conversation(file).server) {
        const data = decodeMessage(m.bytes).data;
        if (!data.trim()) continue;
        expect([file, m.where, serialize(deserialize(data))]).toEqual([file, m.where, data]);
        n++;
      }
    }
    expect(n).toBeGreaterThan(300);
  });
  it('covers the message types a client meets', () => {
    for (const t of ['SESSION_CAPABILITY', 'INIT_RUNSPACEPOOL', 'APPLICATION_PRIVATE_DATA', 'RUNSPACEPOOL_STATE', 'CREATE_PIPELINE', 'PIPELINE_INPUT',
      'END_OF_PIPELINE_INPUT', 'PIPELINE_OUTPUT', 'ERROR_RECORD', 'WARNING_RECORD', 'VERBOSE_RECORD', 'DEBUG_RECORD', 'INFORMATION_RECORD',
      'PROGRESS_RECORD', 'PIPELINE_STATE', 'PIPELINE_HOST_CALL', 'PIPELINE_HOST_RESPONSE', 'CONNECT_RUNSPACEPOOL', 'RUNSPACEPOOL_INIT_DATA',
      'SET_MAX_RUNSPACES', 'SET_MIN_RUNSPACES', 'RUNSPACE_AVAILABILITY', 'GET_AVAILABLE_RUNSPACES', 'GET_COMMAND_METADATA', 'RESET_RUNSPACE_STATE',
      'PUBLIC_KEY', 'ENCRYPTED_SESSION_KEY']) expect(seen).toContain(t);
  });
});
