/**
 * WS-Transfer bodies (DSP0226 §7; protocol.md §3.1, §3.6–3.7): the CreateResponse's endpoint
 * reference, and the WinRM configuration resource read with Get. Get and Delete requests and the
 * Delete response have empty bodies; a Get of a shell answers with rsp:Shell (shell.ts).
 *
 *   <x:ResourceCreated>
 *    <a:Address>http://host:5985/wsman</a:Address>
 *    <a:ReferenceParameters>
 *     <w:ResourceURI>…/windows/shell/cmd</w:ResourceURI>
 *     <w:SelectorSet><w:Selector Name="ShellId">…</w:Selector></w:SelectorSet>
 *    </a:ReferenceParameters>
 *   </x:ResourceCreated>
 *   <cfg:Config><cfg:MaxEnvelopeSizekb>500</cfg:MaxEnvelopeSizekb><cfg:Winrs>…</cfg:Winrs></cfg:Config>
 */
import { NS } from '../namespaces.js';
import { type XmlElement, type XNode, el, child } from '../xml.js';
import { decodeSelectorSet, encodeSelectorSet } from '../envelope.js';
import { type ShellFields } from './shell.js';
import { setOwn } from './common.js';

export interface ResourceCreatedBody {
  kind: 'ResourceCreated';
  address: string;
  resourceUri?: string;
  selectors?: Record<string, string>;
  /** Windows puts the created rsp:Shell beside ResourceCreated in a shell CreateResponse. */
  shell?: ShellFields;
}

export function decodeResourceCreated(e: XmlElement): ResourceCreatedBody {
  const b: ResourceCreatedBody = { kind: 'ResourceCreated', address: child(e, NS.a, 'Address')?.text.trim() ?? '' };
  const rp = child(e, NS.a, 'ReferenceParameters');
  const uri = child(rp, NS.w, 'ResourceURI');
  if (uri) b.resourceUri = uri.text.trim();
  const set = child(rp, NS.w, 'SelectorSet');
  if (set) b.selectors = decodeSelectorSet(set);
  return b;
}

export function encodeResourceCreated(b: ResourceCreatedBody): XNode {
  return el('x:ResourceCreated', null,
    el('a:Address', null, b.address),
    el('a:ReferenceParameters', null,
      b.resourceUri !== undefined && el('w:ResourceURI', null, b.resourceUri),
      b.selectors && encodeSelectorSet(b.selectors)));
}

/** Nested configuration values, as `winrm get winrm/config` shows them. */
export interface ConfigTree {
  [name: string]: string | ConfigTree;
}

export interface ConfigBody {
  kind: 'Config';
  config: ConfigTree;
}

function decodeTree(e: XmlElement): ConfigTree {
  const out: ConfigTree = {};
  for (const c of e.children) setOwn(out, c.name, c.children.length ? decodeTree(c) : c.text.trim());
  return out;
}

export function decodeConfig(e: XmlElement): ConfigBody {
  return { kind: 'Config', config: decodeTree(e) };
}

function encodeTree(name: string, tree: ConfigTree): XNode {
  return el(name, null, ...Object.entries(tree).map(([k, v]) => (typeof v === 'string' ? el(`cfg:${k}`, null, v) : encodeTree(`cfg:${k}`, v))));
}

export function encodeConfig(b: ConfigBody): XNode {
  return encodeTree('cfg:Config', b.config);
}

/** A numeric configuration value by path, e.g. `configNumber(cfg, 'MaxEnvelopeSizekb')`. */
export function configNumber(tree: ConfigTree, ...path: string[]): number | undefined {
  let node: string | ConfigTree | undefined = tree;
  for (const p of path) node = typeof node === 'object' ? node[p] : undefined;
  if (typeof node !== 'string' || !/^\d+$/.test(node)) return undefined;
  return Number(node);
}
