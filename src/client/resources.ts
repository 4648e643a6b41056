/**
 * Resource operations as typed functions over WsmanClient: what `winrm get/set/create/delete/
 * enumerate/invoke` and the CIM cmdlets over WS-Man do (Get-CimInstance, Set-CimInstance,
 * New-CimInstance, Remove-CimInstance, Invoke-CimMethod; Get-WSManInstance and friends).
 * Results are plain objects typed as `core/messages/cim.ts` documents, with the XML kept.
 */
import { Action, NS } from '../core/namespaces.js';
import { WsmanUsageError } from '../core/errors.js';
import { parseEnvelope } from '../core/envelope.js';
import { type XmlElement, type XNode, child, isEl } from '../core/xml.js';
import { decodeSelectorSet } from '../core/envelope.js';
import { type EnumerateBody, type AssociationFilter, type InstanceReference, WQL_DIALECT, encodeEnumerate, encodePull, encodeRelease } from '../core/messages/enumeration.js';
import { type CimObject, type CimValue, type DecodeInstanceOptions, propertiesOf, elementXml, elementToXNode, encodeProperties, valueText } from '../core/messages/cim.js';
import { SELECTOR_FILTER_DIALECT } from '../core/namespaces.js';
import { setOwn } from '../core/messages/common.js';
import type { WsmanClient, RequestOptions } from './client.js';

export { WQL_DIALECT };

/** winrm.cmd's short resource URI prefixes (`winrm help uris`). */
export const RESOURCE_ALIASES: Readonly<Record<string, string>> = {
  winrm: 'http://schemas.microsoft.com/wbem/wsman/1',
  wsman: 'http://schemas.microsoft.com/wbem/wsman/1',
  wmi: 'http://schemas.microsoft.com/wbem/wsman/1/wmi',
  wmicimv2: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2',
  shell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  cimv2: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2',
};

/** A resource URI and the selectors written after `?` (`wmicimv2/Win32_Service?Name=WinRM`). */
export interface ResolvedResource {
  resourceUri: string;
  selectors: Record<string, string>;
}

/**
 * Expand a winrm.cmd alias (`winrm/config`, `wmicimv2/Win32_Service`, `wmi/root/...`,
 * `cim/CIM_ComputerSystem`, `wmicimv2/*`) and split off `?K=V+K2=V2` selectors. A full URI
 * passes unchanged. Throws WsmanUsageError for an unknown alias.
 */
export function resolveResourceUri(text: string): ResolvedResource {
  const q = text.indexOf('?');
  const path = (q < 0 ? text : text.slice(0, q)).trim();
  const selectors: Record<string, string> = {};
  if (q >= 0) {
    for (const pair of text.slice(q + 1).split(/[+&]/)) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new WsmanUsageError(`selector '${pair}' is not NAME=VALUE`, 'ERR_BAD_SELECTOR');
      let value: string;
      try {
        value = decodeURIComponent(pair.slice(eq + 1));
      } catch {
        throw new WsmanUsageError(`selector '${pair}' has a bad %-escape`, 'ERR_BAD_SELECTOR');
      }
      setOwn(selectors, pair.slice(0, eq), value);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return { resourceUri: path, selectors };
  const slash = path.indexOf('/');
  const alias = (slash < 0 ? path : path.slice(0, slash)).toLowerCase();
  const base = RESOURCE_ALIASES[alias];
  if (base === undefined || path === '') {
    throw new WsmanUsageError(`'${path}' is neither a URI nor an alias (${Object.keys(RESOURCE_ALIASES).join(', ')}): e.g. winrm/config, wmicimv2/Win32_Service`, 'ERR_BAD_RESOURCE_URI');
  }
  return { resourceUri: slash < 0 ? base : `${base}/${path.slice(slash + 1)}`, selectors };
}

/** An endpoint reference as a resource URI and selectors. */
export interface EndpointReference {
  address: string;
  resourceUri?: string;
  selectors: Record<string, string>;
}

/** One resource instance (a Get's answer, an enumerated item, a method's output). */
export interface ResourceInstance {
  /** The element's local name: the class (`Win32_Service`), `Config`, `Win32_Service_OUTPUT`… */
  className: string;
  /** The element's namespace (the class's resource URI for WMI and CIM). */
  namespace: string;
  /** Typed properties (rules in core/messages/cim.ts). */
  properties: CimObject;
  /** With EnumerateObjectAndEPR or EnumerateEPR: the instance's endpoint reference. */
  epr?: EndpointReference;
  /** The element as XML text, namespaces declared. */
  xml: string;
  /** The parsed element. */
  element: XmlElement;
}

/** Options of every resource operation. */
export interface ResourceOptions extends DecodeInstanceOptions {
  selectors?: Record<string, string>;
  signal?: AbortSignal;
  /** OperationTimeout in ms. */
  operationTimeout?: number;
  /** WS-Man options (`w:OptionSet`). */
  options?: RequestOptions['options'];
}

function requestOptions(uri: ResolvedResource, o: ResourceOptions): RequestOptions {
  const selectors = { ...uri.selectors, ...o.selectors };
  return {
    resourceUri: uri.resourceUri,
    ...(Object.keys(selectors).length ? { selectors } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.operationTimeout !== undefined ? { operationTimeout: o.operationTimeout } : {}),
    ...(o.options ? { options: o.options } : {}),
  };
}

/** Send, check (faults, RelatesTo) and give back the raw body elements. */
async function exchangeRaw(client: WsmanClient, action: string, body: readonly XNode[], req: RequestOptions): Promise<readonly XmlElement[]> {
  const once = async (): Promise<readonly XmlElement[]> => {
    const ex = await client.exchange(action, body, req);
    client.decode(ex);
    return parseEnvelope(ex.response.body, undefined, ex.response.charset).bodyElements;
  };
  try {
    return await once();
  } catch (err) {
    if (!client.shrinkEnvelope(err)) throw err;
    return once();
  }
}

function eprOf(e: XmlElement): EndpointReference {
  const rp = child(e, NS.a, 'ReferenceParameters');
  const r: EndpointReference = { address: child(e, NS.a, 'Address')?.text.trim() ?? '', selectors: {} };
  const uri = child(rp, NS.w, 'ResourceURI')?.text.trim();
  if (uri !== undefined) r.resourceUri = uri;
  const set = child(rp, NS.w, 'SelectorSet');
  if (set) r.selectors = decodeSelectorSet(set);
  return r;
}

/** A body element or enumerated item as a ResourceInstance (w:Item and bare EPRs unwrapped). */
export function instanceOf(e: XmlElement, opts: DecodeInstanceOptions = {}): ResourceInstance {
  let obj = e;
  let epr: EndpointReference | undefined;
  if (isEl(e, NS.w, 'Item')) {
    const ref = child(e, NS.a, 'EndpointReference');
    if (ref) epr = eprOf(ref);
    obj = e.children.find((c) => !isEl(c, NS.a, 'EndpointReference')) ?? ref ?? e;
  } else if (isEl(e, NS.a, 'EndpointReference')) {
    epr = eprOf(e);
  }
  const inst: ResourceInstance = { className: obj.name, namespace: obj.ns, properties: propertiesOf(obj, opts), xml: elementXml(e), element: e };
  if (epr) inst.epr = epr;
  return inst;
}

function single(elements: readonly XmlElement[], opts: DecodeInstanceOptions): ResourceInstance | undefined {
  const e = elements[0];
  return e ? instanceOf(e, opts) : undefined;
}

/**
 * Read one instance. winrm.cmd: `winrm get winrm/config`, `winrm get wmicimv2/Win32_Service?Name=WinRM`.
 * PowerShell: Get-WSManInstance; Get-CimInstance for one keyed instance.
 */
export async function getResource(client: WsmanClient, resourceUri: string, opts: ResourceOptions = {}): Promise<ResourceInstance> {
  const uri = resolveResourceUri(resourceUri);
  const got = single(await exchangeRaw(client, Action.Get, [], requestOptions(uri, opts)), opts);
  if (!got) throw new WsmanUsageError(`the Get of ${uri.resourceUri} answered an empty body`, 'ERR_EMPTY_BODY');
  return got;
}

/** Values to write: strings as sent; numbers, booleans and dates as XML Schema text; null as xsi:nil. */
export type PropertyValues = Record<string, string | number | boolean | Date | null>;

/**
 * Change properties of an instance: Get it, replace the named top-level properties, Put the whole
 * representation back (what Set-WSManInstance -ValueSet and Set-CimInstance do). winrm.cmd:
 * `winrm set winrm/config @{MaxEnvelopeSizekb="500"}`. A name the instance does not have is a
 * WsmanUsageError (nothing is sent). Returns the instance the server answered (or the one sent).
 */
export async function putResource(client: WsmanClient, resourceUri: string, values: PropertyValues, opts: ResourceOptions = {}): Promise<ResourceInstance> {
  const uri = resolveResourceUri(resourceUri);
  const req = requestOptions(uri, opts);
  const current = single(await exchangeRaw(client, Action.Get, [], req), opts);
  if (!current) throw new WsmanUsageError(`the Get of ${uri.resourceUri} answered an empty body: nothing to change`, 'ERR_EMPTY_BODY');
  const names = new Map(Object.keys(values).map((k) => [k.toLowerCase(), k]));
  const used = new Set<string>();
  const top = current.element;
  const body = elementToXNode(top, (c, pNamespace) => {
    const key = names.get(c.name.toLowerCase());
    if (key === undefined || !top.children.includes(c)) return undefined;
    used.add(key);
    const v = values[key]!;
    const prefixed = elementToXNode({ ...c, attrs: [], children: [], text: '' }, undefined, pNamespace);
    return v === null ? { ...prefixed, attrs: { ...prefixed.attrs, 'xsi:nil': 'true' } } : { ...prefixed, children: [valueText(v)] };
  });
  const missing = Object.keys(values).filter((k) => !used.has(k));
  if (missing.length) throw new WsmanUsageError(`${current.className} has no propert${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')}`, 'ERR_NO_SUCH_PROPERTY');
  const answer = await exchangeRaw(client, Action.Put, [body], req);
  return single(answer, opts) ?? current;
}

/** What Create answered: the new instance's reference, and the instance when the server sent it. */
export interface CreatedResource {
  epr?: EndpointReference;
  instance?: ResourceInstance;
}

/**
 * Create an instance: `<p:CLASS xmlns:p="RESOURCE_URI">` with the values. winrm.cmd:
 * `winrm create winrm/config/Listener?Address=*+Transport=HTTPS @{Hostname="host"}`. PowerShell:
 * New-WSManInstance, New-CimInstance. `className` defaults to the URI's last segment.
 */
export async function createResource(client: WsmanClient, resourceUri: string, values: PropertyValues,
  opts: ResourceOptions & { className?: string } = {}): Promise<CreatedResource> {
  const uri = resolveResourceUri(resourceUri);
  const className = opts.className ?? uri.resourceUri.replace(/\/+$/, '').replace(/^.*\//, '');
  const answer = await exchangeRaw(client, Action.Create, [encodeProperties(uri.resourceUri, className, values)], requestOptions(uri, opts));
  const out: CreatedResource = {};
  const created = answer.find((e) => isEl(e, NS.x, 'ResourceCreated'));
  if (created) out.epr = eprOf(created);
  const other = answer.find((e) => e !== created);
  if (other) out.instance = instanceOf(other, opts);
  return out;
}

/**
 * Delete an instance. winrm.cmd: `winrm delete winrm/config/Listener?Address=*+Transport=HTTP`.
 * PowerShell: Remove-WSManInstance, Remove-CimInstance.
 */
export async function deleteResource(client: WsmanClient, resourceUri: string, opts: ResourceOptions = {}): Promise<void> {
  const uri = resolveResourceUri(resourceUri);
  await exchangeRaw(client, Action.Delete, [], requestOptions(uri, opts));
}

/**
 * Call a method: Action `RESOURCE_URI/METHOD`, body `<p:METHOD_INPUT xmlns:p="RESOURCE_URI">`.
 * Returns `METHOD_OUTPUT` (ReturnValue and out parameters). winrm.cmd:
 * `winrm invoke StopService wmicimv2/Win32_Service?Name=Spooler @{}`. PowerShell: Invoke-CimMethod,
 * Invoke-WSManAction.
 */
export async function invokeMethod(client: WsmanClient, resourceUri: string, method: string, params: PropertyValues = {},
  opts: ResourceOptions = {}): Promise<ResourceInstance | undefined> {
  if (!/^[A-Za-z_][\w.-]*$/.test(method)) throw new WsmanUsageError(`'${method}' is not a method name`, 'ERR_BAD_METHOD');
  const uri = resolveResourceUri(resourceUri);
  const action = `${uri.resourceUri.replace(/\/+$/, '')}/${method}`;
  const answer = await exchangeRaw(client, action, [encodeProperties(uri.resourceUri, `${method}_INPUT`, params)], requestOptions(uri, opts));
  return single(answer, opts);
}

/** How to enumerate. */
export interface EnumerateOptions extends ResourceOptions {
  /** A filter text; WQL unless `dialect` says otherwise (`SELECT * FROM Win32_Service WHERE State='Running'`). */
  filter?: string;
  dialect?: string;
  /** A DSP0226 selector filter: instances whose keys have these values. */
  selectorFilter?: Record<string, string>;
  /**
   * Instances associated with `object` (AssociatedInstances; Get-CimAssociatedInstance) or the
   * association instances that reference it ("references", AssociationInstances).
   */
  association?: Omit<AssociationFilter, 'object'> & { object: InstanceReference | string };
  /** `w:EnumerationMode`: EnumerateObjectAndEPR (items with their EPR) or EnumerateEPR (EPRs only). */
  mode?: 'EnumerateObjectAndEPR' | 'EnumerateEPR';
  /** Items per response (default 32000, Windows' MaxBatchItems). */
  maxElements?: number;
  /** Called after each response with the number of items so far. */
  onProgress?: (items: number) => void;
}

function enumerateBody(o: EnumerateOptions): EnumerateBody {
  const given = [o.filter !== undefined, o.selectorFilter !== undefined, o.association !== undefined].filter(Boolean).length;
  if (given > 1) throw new WsmanUsageError('give one filter: a WQL filter, a selector filter or an association', 'ERR_BAD_OPTION');
  if (o.maxElements !== undefined && (!Number.isSafeInteger(o.maxElements) || o.maxElements < 1)) {
    throw new WsmanUsageError('maxElements must be a positive integer', 'ERR_BAD_OPTION');
  }
  const b: EnumerateBody = { kind: 'Enumerate', optimize: true, maxElements: o.maxElements ?? 32000 };
  if (o.mode) b.enumerationMode = o.mode;
  if (o.filter !== undefined) {
    b.filterText = o.filter;
    b.filterDialect = o.dialect ?? WQL_DIALECT;
  } else if (o.selectorFilter) {
    b.filterSelectors = o.selectorFilter;
    b.filterDialect = o.dialect ?? SELECTOR_FILTER_DIALECT;
  } else if (o.association) {
    const ref = o.association.object;
    const object: InstanceReference = typeof ref === 'string'
      ? (({ resourceUri, selectors }) => ({ resourceUri, ...(Object.keys(selectors).length ? { selectors } : {}) }))(resolveResourceUri(ref))
      : ref;
    b.association = { ...o.association, object };
  }
  return b;
}

function itemsOf(e: XmlElement | undefined): readonly XmlElement[] {
  const items = child(e, NS.w, 'Items') ?? child(e, NS.n, 'Items');
  return items?.children ?? [];
}

/**
 * Enumerate a class or collection: Enumerate with OptimizeEnumeration, then Pull to the end,
 * yielding each item as it arrives. Stopping early (break, an exception, `signal`) sends Release.
 * winrm.cmd: `winrm enumerate wmicimv2/Win32_Service`, `winrm enumerate wmicimv2/* -filter:"SELECT
 * * FROM Win32_Service WHERE State='Running'"`, `winrm enumerate cim/CIM_ComputerSystem`.
 * PowerShell: Get-CimInstance -Query / -ClassName, Get-CimAssociatedInstance, Get-WSManInstance
 * -Enumerate.
 */
export async function* enumerateResources(client: WsmanClient, resourceUri: string, opts: EnumerateOptions = {}): AsyncGenerator<ResourceInstance> {
  const uri = resolveResourceUri(resourceUri);
  const body = enumerateBody(opts);
  const req = requestOptions(uri, opts);
  const first = await exchangeRaw(client, Action.Enumerate, [encodeEnumerate(body)], req);
  const response = first[0];
  let context = child(response, NS.n, 'EnumerationContext')?.text.trim() ?? '';
  let end = !!(child(response, NS.w, 'EndOfSequence') ?? child(response, NS.n, 'EndOfSequence'));
  let count = 0;
  let finished = false;
  const { signal: _signal, ...noSignal } = req;
  try {
    for (const item of itemsOf(response)) {
      count++;
      yield instanceOf(item, opts);
    }
    opts.onProgress?.(count);
    while (!end && context !== '') {
      const pulled = await exchangeRaw(client, Action.Pull,
        [encodePull({ kind: 'Pull', context, maxElements: opts.maxElements ?? 32000 })], req);
      const r = pulled[0];
      const next = child(r, NS.n, 'EnumerationContext')?.text.trim();
      end = !!(child(r, NS.n, 'EndOfSequence') ?? child(r, NS.w, 'EndOfSequence'));
      if (next !== undefined) context = next;
      else if (!end) context = '';
      for (const item of itemsOf(r)) {
        count++;
        yield instanceOf(item, opts);
      }
      opts.onProgress?.(count);
    }
    finished = true;
  } finally {
    if (!finished && !end && context !== '') {
      // Without the caller's signal: an aborted enumeration still gives its context back.
      await exchangeRaw(client, Action.Release, [encodeRelease({ kind: 'Release', context })], noSignal).catch(() => undefined);
    }
  }
}

/** Every item of an enumeration, in a list. Get-CimInstance -ClassName. */
export async function enumerateAll(client: WsmanClient, resourceUri: string, opts: EnumerateOptions = {}): Promise<ResourceInstance[]> {
  const out: ResourceInstance[] = [];
  for await (const i of enumerateResources(client, resourceUri, opts)) out.push(i);
  return out;
}

/** Properties as JSON-ready values (Date as ISO text). */
export function propertiesJson(p: CimObject): Record<string, unknown> {
  const conv = (v: CimValue): unknown => {
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(conv);
    if (v !== null && typeof v === 'object') return propertiesJson(v);
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) setOwn(out, k, conv(v));
  return out;
}
