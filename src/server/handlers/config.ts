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
import { fault } from './common.js';

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
