/**
 * Loaders for the project's own recorded fixtures (`fixtures/windows-recorded/`), never ../shared.
 *
 * - pypsrp: YAML conversations `messages: [{request, response, ...}]` recorded against Windows
 *   Server 2008 R2 to 2019 (`_template.yml` is documentation and is skipped).
 * - winrb: response stubs, `.xml` as they are and `.erb` templates with their `<%= slot %>`s filled
 *   with the known values in `ERB_SLOTS` (so tests can check the decoded bytes).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RECORDED_DIR = path.join(REPO_ROOT, 'fixtures', 'windows-recorded');
export const PYPSRP_DIR = path.join(RECORDED_DIR, 'pypsrp');
export const WINRB_DIR = path.join(RECORDED_DIR, 'winrb');

export type Role = 'request' | 'response';

/** One recorded envelope, named for test titles. */
export interface RecordedEnvelope {
  /** `pypsrp/test_winrs_send.yml#3 response` or `winrb/soap_fault_v2.xml`. */
  id: string;
  source: 'pypsrp' | 'winrb';
  file: string;
  /** Index in the conversation (pypsrp only). */
  index?: number;
  role: Role;
  xml: string;
}

/** One request/response pair of a pypsrp conversation; `response` is undefined when none was recorded. */
export interface RecordedExchange {
  file: string;
  index: number;
  request: string;
  response: string | undefined;
  /** The recording made the HTTP layer fail (status 500 with a fault body, or a connection error). */
  transportError?: { protocol: string; code: number };
  httpError?: boolean;
}

interface RawConversation {
  messages: Array<Record<string, unknown>>;
}

let pypsrpCache: RecordedExchange[] | undefined;

/** Every exchange of every pypsrp conversation, in file then message order. */
export function pypsrpExchanges(): RecordedExchange[] {
  if (pypsrpCache) return pypsrpCache;
  const out: RecordedExchange[] = [];
  const files = readdirSync(PYPSRP_DIR).filter((f) => f.endsWith('.yml') && !f.startsWith('_')).sort();
  for (const file of files) {
    const doc = parseYaml(readFileSync(path.join(PYPSRP_DIR, file), 'utf8')) as RawConversation;
    if (!doc || !Array.isArray(doc.messages)) throw new Error(`fixture ${file} has no messages list`);
    doc.messages.forEach((m, index) => {
      if (typeof m.request !== 'string') throw new Error(`fixture ${file}#${index} has no request`);
      const ex: RecordedExchange = {
        file,
        index,
        request: m.request,
        response: typeof m.response === 'string' ? m.response : undefined,
      };
      const te = m.transport_error as { protocol?: string; code?: number } | undefined;
      if (te) ex.transportError = { protocol: String(te.protocol), code: Number(te.code) };
      if (m.http_error) ex.httpError = true;
      out.push(ex);
    });
  }
  pypsrpCache = out;
  return out;
}

/** Every pypsrp envelope (requests and responses) as a flat list. */
export function pypsrpEnvelopes(): RecordedEnvelope[] {
  const out: RecordedEnvelope[] = [];
  for (const ex of pypsrpExchanges()) {
    const base = { source: 'pypsrp' as const, file: ex.file, index: ex.index };
    out.push({ ...base, id: `pypsrp/${ex.file}#${ex.index} request`, role: 'request', xml: ex.request });
    if (ex.response !== undefined) out.push({ ...base, id: `pypsrp/${ex.file}#${ex.index} response`, role: 'response', xml: ex.response });
  }
  return out;
}

/** Values the `.erb` slots are filled with. Stream slots hold base64 of known text. */
export const ERB_TEXT = {
  stdout: 'Hello from stdout\r\n',
  stderr: 'and from stderr\r\n',
  stdout1: 'first keepalive chunk',
  stdout2: 'second keepalive chunk',
} as const;

export const ERB_SLOTS: Readonly<Record<string, string>> = {
  command_id: '1A2B3C4D-0000-4000-8000-00000000CAFE',
  test_data_stdout: Buffer.from(ERB_TEXT.stdout).toString('base64'),
  test_data_stderr: Buffer.from(ERB_TEXT.stderr).toString('base64'),
  test_data_stdout1: Buffer.from(ERB_TEXT.stdout1).toString('base64'),
  test_data_stdout2: Buffer.from(ERB_TEXT.stdout2).toString('base64'),
};

/** Fill `<%= name %>` slots; an unknown slot is an error (the fixture changed). */
export function fillErb(template: string, slots: Readonly<Record<string, string>> = ERB_SLOTS): string {
  return template.replace(/<%=\s*(\w+)\s*%>/g, (_, name: string) => {
    const v = slots[name];
    if (v === undefined) throw new Error(`no value for ERB slot '${name}'`);
    return v;
  });
}

/** Every winrb response stub (`.xml`, and `.xml.erb` filled), all responses. */
export function winrbEnvelopes(): RecordedEnvelope[] {
  const files = readdirSync(WINRB_DIR).filter((f) => f.endsWith('.xml') || f.endsWith('.xml.erb')).sort();
  return files.map((file) => {
    const text = readFileSync(path.join(WINRB_DIR, file), 'utf8');
    return { id: `winrb/${file}`, source: 'winrb', file, role: 'response', xml: file.endsWith('.erb') ? fillErb(text) : text };
  });
}

/** One winrb stub by file name. */
export function winrb(file: string): string {
  const found = winrbEnvelopes().find((e) => e.file === file);
  if (!found) throw new Error(`no winrb fixture ${file}`);
  return found.xml;
}

/** One pypsrp exchange by file name and index. */
export function pypsrp(file: string, index: number): RecordedExchange {
  const found = pypsrpExchanges().find((e) => e.file === file && e.index === index);
  if (!found) throw new Error(`no pypsrp fixture ${file}#${index}`);
  return found;
}

/** All recorded envelopes of both sources. */
export function allRecordedEnvelopes(): RecordedEnvelope[] {
  return [...pypsrpEnvelopes(), ...winrbEnvelopes()];
}

/**
 * The one recorded request that is invalid on purpose: pypsrp's is_alive test sends a Get with
 * `OperationTimeout PT-1S`, and Windows answers with an InvalidMessageInformationHeader fault.
 */
export const INVALID_REQUEST = { file: 'test_psrp_is_alive_other_wsman_error.yml', index: 3 } as const;

export function isInvalidRequest(e: RecordedEnvelope): boolean {
  return e.source === 'pypsrp' && e.role === 'request' && e.file === INVALID_REQUEST.file && e.index === INVALID_REQUEST.index;
}
