/**
 * Read-only CIM over WS-Man (`wsman get cim/CIM_OperatingSystem`, `winrm enumerate
 * wmicimv2/Win32_Process`, Get-CimInstance -Query): Get by key selectors, Enumerate with a WQL
 * `SELECT … WHERE`, a selector filter or none, EnumerateObjectAndEPR / EnumerateEPR, then the
 * shared Pull and Release. Facts and the privacy rule: ../cim-facts.ts. Put, Create, Delete and
 * methods have no route: ActionNotSupported.
 */
import { Action, ANONYMOUS, WsmanCode, type EnumerationItem, type XNode } from '../../core/index.js';
import { el } from '../../core/xml.js';
import { WQL_DIALECT, encodeInstanceReference } from '../../core/messages/enumeration.js';
import { SELECTOR_FILTER_DIALECT } from '../../core/namespaces.js';
import { parseWql, wqlMatches, wqlProject, WqlError, CANNOT_PROCESS_FILTER } from '../../core/wql.js';
import { valueText } from '../../core/messages/cim.js';
import type { WsmanRequest, Reply } from '../core.js';
import { resolveRunAs } from '../accounts.js';
import { cimClass, canonicalClassName, type CimClass, type Instance } from '../cim-facts.js';
import { fault, badBody } from './common.js';
import { start } from './enumerate.js';

export const DMTF_CIM_PREFIX = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
export const WMI_CIMV2_PREFIX = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/';
const CIM_COMMON = 'http://schemas.dmtf.org/wbem/wscim/1/common';

/** The prefix and class (`*` for all) of a CIM resource URI we serve, or undefined. */
export function cimResource(uri: string): { prefix: string; className: string } | undefined {
  const t = uri.trim();
  for (const prefix of [DMTF_CIM_PREFIX, WMI_CIMV2_PREFIX]) {
    if (t.length <= prefix.length || t.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) continue;
    const name = t.slice(prefix.length);
    if (name === '*') return { prefix, className: '*' };
    const canonical = canonicalClassName(name);
    if (canonical) return { prefix, className: canonical };
  }
  return undefined;
}

function resourceOf(req: WsmanRequest): { prefix: string; className: string } {
  const r = cimResource(req.headers.resourceUri ?? '');
  if (!r) throw fault(WsmanCode.InvalidResourceURI, 'not a CIM resource this listener serves');
  return r;
}

/** The uid whose processes the user may see; refused users are refused here too. */
function viewerUid(req: WsmanRequest): number | undefined {
  const r = resolveRunAs(req.user);
  if (r.kind === 'refused') throw fault(WsmanCode.AccessDenied, r.reason);
  if (r.kind === 'account') return r.account.uid;
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function valueNode(name: string, v: Instance[string]): XNode {
  if (v === null) return el(`p:${name}`, { 'xsi:nil': 'true' });
  if (v instanceof Date) return el(`p:${name}`, null, el('p:Datetime', { 'xmlns:p': CIM_COMMON }, v.toISOString()));
  return el(`p:${name}`, null, valueText(v));
}

function instanceNode(uri: string, className: string, props: Instance): XNode {
  return el(`p:${className}`, { 'xmlns:p': uri }, ...Object.entries(props).map(([k, v]) => valueNode(k, v)));
}

function keysOf(cls: CimClass, inst: Instance): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of cls.keys) {
    const v = inst[k];
    if (v !== undefined && v !== null) out[k] = v instanceof Date ? v.toISOString() : String(v);
  }
  return out;
}

function lookup(inst: Instance, name: string): Instance[string] | undefined {
  const lower = name.toLowerCase();
  for (const k of Object.keys(inst)) if (k.toLowerCase() === lower) return inst[k];
  return undefined;
}

function selected(inst: Instance, selectors: Record<string, string>): boolean {
  return Object.entries(selectors).every(([k, v]) => {
    const have = lookup(inst, k);
    return have !== undefined && have !== null && String(have instanceof Date ? have.toISOString() : have).toLowerCase() === v.trim().toLowerCase();
  });
}

/** WS-Transfer Get of one instance, by its key selectors (none needed for the one-instance classes). */
export async function getCim(req: WsmanRequest): Promise<Reply> {
  const { prefix, className } = resourceOf(req);
  if (className === '*') throw fault(WsmanCode.InvalidResourceURI, 'Get needs a class, not *');
  const cls = cimClass(className)!;
  const sel = req.headers.selectors ?? {};
  for (const k of Object.keys(sel)) {
    if (!cls.keys.some((key) => key.toLowerCase() === k.toLowerCase())) throw fault(WsmanCode.InvalidSelectors, `${k} is not a key of ${className}`);
  }
  const found = cls.instances(viewerUid(req), className).filter((i) => selected(i, sel));
  if (found.length === 0) throw fault(WsmanCode.ResourceNotFound, `no ${className} instance has these selectors`);
  if (found.length > 1) throw fault(WsmanCode.InvalidSelectors, `the selectors name ${found.length} instances of ${className}: give its keys`);
  return { kind: 'soap', action: Action.GetResponse, body: { kind: 'Raw', nodes: [instanceNode(prefix + className, className, found[0]!)] } };
}

/** Enumerate a class (or `*` with a WQL query naming one). */
export async function enumerateCim(req: WsmanRequest): Promise<Reply> {
  if (req.body.kind !== 'Enumerate') throw badBody('Enumerate needs an n:Enumerate body');
  const b = req.body;
  const { prefix, className: target } = resourceOf(req);
  let className = target;
  let query: ReturnType<typeof parseWql> | undefined;
  let selectors: Record<string, string> | undefined;
  const dialect = b.filterDialect?.trim().toLowerCase();
  if (b.association) throw fault(WsmanCode.UnsupportedFeature, 'association filters are not supported: these classes have no associations here');
  if (b.filterText !== undefined && (dialect === undefined || dialect === WQL_DIALECT.toLowerCase())) {
    try {
      query = parseWql(b.filterText);
    } catch (err) {
      if (err instanceof WqlError) throw fault(CANNOT_PROCESS_FILTER, err.message, `${err.message} `);
      throw err;
    }
    const named = canonicalClassName(query.className);
    if (!named || (target !== '*' && named !== target)) {
      const why = `the query selects from ${query.className}, which ${target === '*' ? 'this listener does not serve' : `is not ${target}`}`;
      throw fault(CANNOT_PROCESS_FILTER, why, `${why} `);
    }
    className = named;
  } else if (b.filterSelectors && (dialect === undefined || dialect === SELECTOR_FILTER_DIALECT.toLowerCase())) {
    selectors = b.filterSelectors;
  } else if (b.filterDialect !== undefined || b.filterText !== undefined) {
    throw fault(WsmanCode.UnsupportedFeature, `filter dialect ${b.filterDialect ?? '(none)'} is not supported (WQL and SelectorFilter are)`);
  }
  if (className === '*') throw fault(WsmanCode.UnsupportedFeature, 'enumerating * needs a WQL filter that names the class');
  const cls = cimClass(className)!;
  const uri = prefix + className;
  const mode = b.enumerationMode?.trim();
  if (mode !== undefined && mode !== 'EnumerateObjectAndEPR' && mode !== 'EnumerateEPR') {
    throw fault(WsmanCode.UnsupportedFeature, `EnumerationMode ${mode.slice(0, 60)} is not supported`);
  }
  const items: EnumerationItem[] = [];
  for (const inst of cls.instances(viewerUid(req), className)) {
    if (selectors && !selected(inst, selectors)) continue;
    if (query && !wqlMatches(query.where, inst)) continue;
    const props = query ? wqlProject(query, inst) : inst;
    const epr = (): XNode => encodeInstanceReference({ address: ANONYMOUS, resourceUri: uri, selectors: keysOf(cls, inst) }, 'a:EndpointReference');
    const node = mode === 'EnumerateEPR' ? epr()
      : mode === 'EnumerateObjectAndEPR' ? el('w:Item', null, instanceNode(uri, className, props), epr())
        : instanceNode(uri, className, props);
    items.push({ kind: 'Raw', node });
  }
  return start(req, items);
}
