/**
 * The WinRM configuration resource and its sub-resources (`winrm get winrm/config/Winrs`,
 * `…/config/Service/Auth`): Get answers the part asked for, as `<cfg:Winrs>…</cfg:Winrs>`. Put
 * answers Access is denied, as Windows answers a non-administrator: this listener's configuration
 * is fixed at start (`wsman listen` options and its config file), never changed over the wire.
 */
import { Action, ResourceURI, WsmanCode, type ConfigTree, type XNode } from '../../core/index.js';
import { el } from '../../core/xml.js';
import type { WsmanRequest, Reply } from '../core.js';
import { getConfig } from './identify.js';
import { fault, badBody } from './common.js';
import { start } from './enumerate.js';

/** The namespace of `winrm/config/Listener` instances. */
export const LISTENER_NS = 'http://schemas.microsoft.com/wbem/wsman/1/config/listener';

/** This listener's endpoints as Windows' Listener instances (Address, Transport are the keys). */
function listenerNodes(req: WsmanRequest): { keys: { Address: string; Transport: string }; node: XNode }[] {
  return req.core.listening.map((l) => {
    const address = l.host === '0.0.0.0' || l.host === '::' ? '*' : l.host;
    const transport = l.secure ? 'HTTPS' : 'HTTP';
    const v = (k: string, x: string): XNode => el(`p:${k}`, null, x);
    return {
      keys: { Address: address, Transport: transport },
      node: el('p:Listener', { 'xmlns:p': LISTENER_NS },
        v('Address', address), v('Transport', transport), v('Port', String(l.port)), v('Hostname', ''), v('Enabled', 'true'),
        v('URLPrefix', l.path.replace(/^\/+/, '')), v('CertificateThumbprint', l.thumbprint ?? ''), v('ListeningOn', l.host)),
    };
  });
}

function isListener(rest: string): boolean {
  return rest.toLowerCase() === 'listener';
}

function listenerGet(req: WsmanRequest): Reply {
  const sel = req.headers.selectors ?? {};
  const pick = (name: string): string | undefined => Object.entries(sel).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]?.trim();
  const address = pick('Address');
  const transport = pick('Transport');
  if (address === undefined || transport === undefined || Object.keys(sel).length !== 2) {
    throw fault(WsmanCode.InvalidSelectors, 'a Listener is named by its Address and Transport selectors');
  }
  const found = listenerNodes(req).find((l) => l.keys.Address.toLowerCase() === address.toLowerCase() && l.keys.Transport.toLowerCase() === transport.toLowerCase());
  if (!found) throw fault(WsmanCode.ResourceNotFound, 'no such listener');
  return { kind: 'soap', action: Action.GetResponse, body: { kind: 'Raw', nodes: [found.node] } };
}

/** `winrm enumerate winrm/config/Listener`; the rest of winrm/config is not enumerable. */
export async function enumerateConfig(req: WsmanRequest): Promise<Reply> {
  if (req.body.kind !== 'Enumerate') throw badBody('Enumerate needs an n:Enumerate body');
  const rest = (req.headers.resourceUri ?? '').trim().slice(ResourceURI.Config.length).replace(/^\/+|\/+$/g, '');
  if (!isListener(rest)) throw fault(WsmanCode.ActionNotSupported, 'only winrm/config/Listener is enumerable');
  if (req.body.filterDialect !== undefined || req.body.filterText !== undefined || req.body.association) {
    throw fault(WsmanCode.UnsupportedFeature, 'winrm/config/Listener takes no filter');
  }
  return start(req, listenerNodes(req).map((l) => ({ kind: 'Raw' as const, node: l.node })));
}

/** E_ACCESSDENIED, what Windows answers a non-administrator's `winrm set winrm/config`. */
const E_ACCESSDENIED = 2147942405;

function tree(name: string, t: ConfigTree): XNode {
  return el(`cfg:${name}`, null, ...Object.entries(t).map(([k, v]) => (typeof v === 'string' ? el(`cfg:${k}`, null, v) : tree(k, v))));
}

/** Get of winrm/config or one of its sections (case-insensitive path). */
export async function getConfigResource(req: WsmanRequest): Promise<Reply> {
  const uri = (req.headers.resourceUri ?? '').trim();
  const rest = uri.slice(ResourceURI.Config.length).replace(/^\/+|\/+$/g, '');
  if (rest === '') return getConfig(req);
  if (isListener(rest)) return listenerGet(req);
  const whole = await getConfig(req);
  if (whole.kind !== 'soap' || whole.body.kind !== 'Config') return whole;
  let node: string | ConfigTree = whole.body.config;
  let name = 'Config';
  for (const part of rest.split('/')) {
    const key: string | undefined = typeof node === 'object' ? Object.keys(node).find((k) => k.toLowerCase() === part.toLowerCase()) : undefined;
    if (key === undefined || typeof node !== 'object' || typeof node[key] !== 'object') {
      throw fault(WsmanCode.InvalidResourceURI, `winrm/config has no section ${rest}`);
    }
    node = node[key] as ConfigTree;
    name = key;
  }
  return { kind: 'soap', action: Action.GetResponse, body: { kind: 'Raw', nodes: [tree(name, node as ConfigTree)] } };
}

/** Put (winrm set): refused, as for a non-administrator on Windows. */
export async function putConfig(): Promise<Reply> {
  throw fault(E_ACCESSDENIED, 'the listener\'s configuration cannot be changed over WS-Management', 'Access is denied. ');
}
