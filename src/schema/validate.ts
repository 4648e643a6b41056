/**
 * Validation of WS-Management SOAP envelopes against the project's own XML
 * Schemas (schemas/*.xsd, entry point schemas/wsman-all.xsd).
 *
 * Uses xmllint-wasm (libxml2 compiled to WebAssembly, no native build). Each
 * xmllint-wasm call starts a worker thread, instantiates the wasm module and
 * compiles the schemas (tens of milliseconds), so the cost is per call, not
 * per document. Hence:
 *   - validateEnvelopes(xmls) validates many documents in one xmllint run
 *     (xmllint accepts several files after a single --schema);
 *   - validateEnvelope(xml) calls made in the same tick are gathered and
 *     validated together, so `await Promise.all(xmls.map(validateEnvelope))`
 *     costs one run, not one per document.
 *
 * Besides the schema check, the root element must be a SOAP 1.2 Envelope
 * (an XSD cannot restrict which global element is the document root).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as xmllint from 'xmllint-wasm';

export interface EnvelopeValidation {
  valid: boolean;
  errors: string[];
}

/** Package root, two levels above this file (src/schema/ or dist/schema/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMA_DIR = path.join(REPO_ROOT, 'schemas');
export const ENTRY_SCHEMA = 'wsman-all.xsd';
const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';

/** Documents per xmllint run, and input bytes per run (wasm heap is grown up to MAX_MEMORY_PAGES). */
const MAX_DOCS_PER_RUN = 600;
const MAX_BYTES_PER_RUN = 24 * 1024 * 1024;
const MAX_MEMORY_PAGES = 16384; // 1 GiB, only reached if needed
const MAX_PARALLEL_RUNS = Math.max(1, Math.min(4, availableParallelism()));

interface SchemaSet {
  entry: xmllint.XMLFileInfo;
  preload: xmllint.XMLFileInfo[];
}

let schemaSet: SchemaSet | undefined;

/** Reads schemas/*.xsd once; the file names double as the schemaLocation targets. */
function loadSchemas(): SchemaSet {
  if (schemaSet) return schemaSet;
  const names = readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.xsd')).sort();
  if (!names.includes(ENTRY_SCHEMA)) {
    throw new Error(`schema entry point ${ENTRY_SCHEMA} not found in ${SCHEMA_DIR}`);
  }
  const read = (fileName: string): xmllint.XMLFileInfo => ({
    fileName,
    contents: readFileSync(path.join(SCHEMA_DIR, fileName), 'utf8'),
  });
  schemaSet = {
    entry: read(ENTRY_SCHEMA),
    preload: names.filter((n) => n !== ENTRY_SCHEMA).map(read),
  };
  return schemaSet;
}

/** Validates several envelopes; results are in input order. */
export async function validateEnvelopes(xmls: readonly string[]): Promise<EnvelopeValidation[]> {
  const schemas = loadSchemas();
  const results: EnvelopeValidation[] = new Array(xmls.length);

  // Split into runs bounded by document count and size.
  const runs: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  xmls.forEach((xml, i) => {
    if (current.length > 0 && (current.length >= MAX_DOCS_PER_RUN || bytes + xml.length > MAX_BYTES_PER_RUN)) {
      runs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += xml.length;
  });
  if (current.length > 0) runs.push(current);

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const run = runs[next++]!;
      const out = await runXmllint(schemas, run.map((i) => xmls[i]!));
      run.forEach((docIndex, k) => {
        results[docIndex] = out[k]!;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_RUNS, runs.length) }, worker));

  xmls.forEach((xml, i) => {
    const rootError = checkRootElement(xml);
    if (rootError) {
      results[i] = { valid: false, errors: [rootError, ...results[i]!.errors] };
    }
  });
  return results;
}

// ---- single-document API, batched per tick ---------------------------------

interface Pending {
  xml: string;
  resolve: (r: EnvelopeValidation) => void;
  reject: (e: unknown) => void;
}
let queue: Pending[] = [];
let flushScheduled = false;

function flushQueue(): void {
  flushScheduled = false;
  const batch = queue;
  queue = [];
  validateEnvelopes(batch.map((p) => p.xml)).then(
    (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
    (err: unknown) => batch.forEach((p) => p.reject(err)),
  );
}

/** Validates one envelope. Concurrent calls are validated in one xmllint run. */
export function validateEnvelope(xml: string): Promise<EnvelopeValidation> {
  return new Promise((resolve, reject) => {
    queue.push({ xml, resolve, reject });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushQueue);
    }
  });
}

/** Throws an Error listing the validation errors if the envelope is not valid. */
export async function assertValidEnvelope(xml: string): Promise<void> {
  const result = await validateEnvelope(xml);
  if (!result.valid) throw new Error(describeFailure(result, xml));
}

/** Batch form of assertValidEnvelope; the error lists every invalid document. */
export async function assertValidEnvelopes(xmls: readonly string[]): Promise<void> {
  const results = await validateEnvelopes(xmls);
  const failures = results
    .map((r, i) => (r.valid ? undefined : `#${i}: ${describeFailure(r, xmls[i]!)}`))
    .filter((s): s is string => s !== undefined);
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${xmls.length} envelopes are invalid:\n${failures.join('\n\n')}`);
  }
}

function describeFailure(result: EnvelopeValidation, xml: string): string {
  const excerpt = xml.length > 600 ? `${xml.slice(0, 600)}...` : xml;
  return `envelope does not match the schemas:\n  ${result.errors.join('\n  ')}\nenvelope: ${excerpt}`;
}

// ---- xmllint invocation and output parsing ----------------------------------

const docName = (k: number): string => `envelope-${k}.xml`;
const DOC_LINE = /^envelope-(\d+)\.xml(?::(\d+):\s*|\s+)(.*)$/;

async function runXmllint(schemas: SchemaSet, docs: string[]): Promise<EnvelopeValidation[]> {
  let output: string;
  try {
    const res = await xmllint.validateXML({
      xml: docs.map((contents, k) => ({ fileName: docName(k), contents })),
      schema: [schemas.entry],
      preload: schemas.preload,
      maxMemoryPages: MAX_MEMORY_PAGES,
    });
    output = res.rawOutput;
  } catch (err) {
    // xmllint-wasm rejects when the exit code is neither 0 nor a validation
    // failure, e.g. when a document is not well-formed (exit code 1). The
    // message is xmllint's stderr: parse it like a normal run, and give up
    // below if it does not account for every document (e.g. the schemas do
    // not compile).
    output = err instanceof Error ? err.message : String(err);
  }

  const status: Array<'valid' | 'invalid' | undefined> = new Array(docs.length).fill(undefined);
  const errors: string[][] = docs.map(() => []);
  let currentDoc: number | undefined;
  for (const line of output.split('\n')) {
    const m = DOC_LINE.exec(line);
    if (m) {
      const k = Number(m[1]);
      currentDoc = k;
      const rest = m[3]!;
      if (m[2] === undefined && rest === 'validates') {
        status[k] = 'valid';
      } else if (m[2] === undefined && rest === 'fails to validate') {
        status[k] = 'invalid';
      } else {
        status[k] = 'invalid';
        errors[k]!.push(m[2] !== undefined ? `line ${m[2]}: ${rest}` : rest);
      }
    } else if (currentDoc !== undefined && line.trim() !== '' && !line.startsWith('WASM Abort')) {
      // continuation of a parser error (source excerpt and caret line)
      errors[currentDoc]!.push(`  ${line}`);
    }
  }

  const unknown = status.findIndex((s) => s === undefined);
  if (unknown !== -1) {
    throw new Error(`xmllint did not report a result for ${docName(unknown)}; its output was:\n${output}`);
  }
  return docs.map((_, k) => ({ valid: status[k] === 'valid', errors: status[k] === 'valid' ? [] : errors[k]! }));
}

/**
 * Returns an error message unless the document element is
 * {http://www.w3.org/2003/05/soap-envelope}Envelope. Returns undefined when
 * no start tag is found: xmllint reports the parse error then.
 */
function checkRootElement(xml: string): string | undefined {
  const m = /^\uFEFF?(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>)*<([^\s/>]+)((?:[^>"']|"[^"]*"|'[^']*')*)>/.exec(xml);
  if (!m) return undefined;
  const qname = m[1]!;
  const attrs = m[2]!;
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? '' : qname.slice(0, colon);
  const local = colon === -1 ? qname : qname.slice(colon + 1);
  const decl = new RegExp(`\\sxmlns${prefix ? `:${prefix.replace(/[.-]/g, '\\$&')}` : ''}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  const ns = decl ? (decl[1] ?? decl[2]) : undefined;
  if (local !== 'Envelope' || ns !== SOAP12_NS) {
    return `document element is <${qname}> in namespace ${ns ?? '(none)'}, expected a SOAP 1.2 Envelope (${SOAP12_NS})`;
  }
  return undefined;
}
