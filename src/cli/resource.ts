/**
 * winrm.cmd's resource commands: `wsman get | set | create | delete | enumerate | invoke-method`.
 * Thin wiring over client/resources.ts; output as winrm.cmd prints it (nested `Name = Value`
 * lines), the XML as received (`--format xml`), or JSON (`--json`, one object per line for
 * enumerate).
 */
import { Option, type Command } from 'commander';
import { WsmanClient } from '../client/client.js';
import { WsmanUsageError } from '../core/errors.js';
import { NS } from '../core/namespaces.js';
import { type XmlElement, attr, isEl } from '../core/xml.js';
import {
  getResource, putResource, createResource, deleteResource, invokeMethod, enumerateResources, resolveResourceUri,
  propertiesJson, type ResourceInstance, type EnumerateOptions, type ResourceOptions, type EndpointReference,
} from '../client/resources.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { describeFor, EXIT_ERROR } from './errors.js';
import { writeStdout, onStdoutClosed } from './stdout.js';

interface ResourceFlags extends ConnectionFlags {
  selector: string[];
  value: string[];
  param: string[];
  format?: 'text' | 'xml';
  filter?: string;
  dialect?: string;
  selectorFilter: string[];
  references?: boolean;
  associations?: boolean;
  object?: string;
  resultClass?: string;
  associationClass?: string;
  enumerationMode?: 'EnumerateObjectAndEPR' | 'EnumerateEPR';
  maxElements?: string;
  raw?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `K=V` pairs (the first `=` splits; a value may hold more). */
export function pairs(list: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new WsmanUsageError(`${what} '${p}' is not NAME=VALUE`, 'ERR_BAD_OPTION');
    Object.defineProperty(out, p.slice(0, eq), { value: p.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// ---- output -------------------------------------------------------------------------------------

const CIM_TIME = new Set(['Datetime', 'Date', 'Time', 'Interval']);

/** winrm.cmd's text form: the class, then `Name = Value` lines, nested sections indented. */
export function formatText(e: XmlElement, indent = ''): string[] {
  const lines = [`${indent}${e.name}`];
  const inner = `${indent}    `;
  for (const c of e.children) {
    const nil = attr(c, 'nil', NS.xsi);
    if (nil === 'true' || nil === '1') lines.push(`${inner}${c.name} = null`);
    else if (c.children.length === 1 && CIM_TIME.has(c.children[0]!.name) && c.children[0]!.children.length === 0) {
      lines.push(`${inner}${c.name} = ${c.children[0]!.text.trim()}`);
    } else if (c.children.length > 0) lines.push(...formatText(c, inner));
    else {
      const text = c.text.trim();
      lines.push(text === '' ? `${inner}${c.name}` : `${inner}${c.name} = ${text}`);
    }
  }
  return lines;
}

function eprText(epr: EndpointReference): string {
  const sel = Object.entries(epr.selectors).map(([k, v]) => `${k}=${v}`).join('+');
  return `${epr.resourceUri ?? epr.address}${sel ? `?${sel}` : ''}`;
}

function printInstance(inst: ResourceInstance, flags: ResourceFlags): void {
  if (flags.json) {
    writeStdout(`${JSON.stringify({ class: inst.className, properties: propertiesJson(inst.properties), ...(inst.epr ? { epr: inst.epr } : {}) })}\n`);
  } else if (flags.format === 'xml') {
    writeStdout(`${inst.xml}\n`);
  } else {
    const e = inst.element;
    const obj = isEl(e, NS.w, 'Item') ? e.children.find((c) => !isEl(c, NS.a, 'EndpointReference')) : isEl(e, NS.a, 'EndpointReference') ? undefined : e;
    const lines = obj ? formatText(obj) : [];
    if (inst.epr) lines.push(`${obj ? '    ' : ''}EndpointReference = ${eprText(inst.epr)}`);
    writeStdout(`${lines.join('\n')}\n`);
  }
}

// ---- wiring -------------------------------------------------------------------------------------

function intOption(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new WsmanUsageError(`${what} must be a positive integer, not '${text}'`, 'ERR_BAD_OPTION');
  return Number(text);
}

async function withClient(name: string, flags: ResourceFlags, fn: (client: WsmanClient, opts: ResourceOptions) => Promise<void>): Promise<void> {
  let client: WsmanClient | undefined;
  try {
    if (flags.json && flags.format === 'xml') throw new WsmanUsageError('give --json or --format xml, not both', 'ERR_BAD_OPTION');
    const { targets } = await clientOptionsFrom(flags);
    if (targets.length !== 1) throw new WsmanUsageError(`${name} talks to one endpoint at a time`, 'ERR_BAD_OPTION');
    client = new WsmanClient(targets[0]!);
    const opts: ResourceOptions = { selectors: pairs(flags.selector, '--selector'), ...(flags.raw ? { infer: false } : {}) };
    await fn(client, opts);
  } catch (err) {
    process.stderr.write(`wsman ${name}: ${describeFor(name, err)}\n`);
    process.exitCode = EXIT_ERROR;
  } finally {
    await client?.close();
  }
}

function common(cmd: Command, name: string, description: string): Command {
  return addConnectionOptions(cmd.command(name).description(description)
    .argument('<resource-uri>', 'resource URI or winrm.cmd alias (winrm/config, wmicimv2/Win32_Service?Name=WinRM, cim/CIM_ComputerSystem)'))
    .option('--selector <name=value>', 'a selector of the instance (repeatable)', collect, [])
    .addOption(new Option('--format <format>', 'text: Name = Value lines as winrm.cmd; xml: the XML as received').choices(['text', 'xml']).default('text'))
    .option('--raw', 'in --json, keep unmarked values as strings (no number/boolean inference)');
}

/** Cancel on Ctrl-C (and when stdout's reader goes away); the enumeration then sends Release. */
function cancellation(): { signal: AbortSignal; done: () => void; interrupted: () => boolean } {
  const ac = new AbortController();
  let interrupted = false;
  const onInt = (): void => {
    interrupted = true;
    ac.abort();
  };
  process.on('SIGINT', onInt);
  const stop = onStdoutClosed(() => ac.abort());
  return { signal: ac.signal, done: () => { process.off('SIGINT', onInt); stop(); }, interrupted: () => interrupted };
}

export function register(program: Command): void {
  common(program, 'get', 'read a resource instance (winrm get; Get-WSManInstance, Get-CimInstance)')
    .action(async (uri: string, flags: ResourceFlags) => withClient('get', flags, async (client, opts) => {
      printInstance(await getResource(client, uri, opts), flags);
    }));

  common(program, 'set', 'change properties of an instance: Get, then Put (winrm set; Set-WSManInstance, Set-CimInstance)')
    .option('--value <name=value>', 'a property to change (repeatable)', collect, [])
    .action(async (uri: string, flags: ResourceFlags) => withClient('set', flags, async (client, opts) => {
      const values = pairs(flags.value, '--value');
      if (Object.keys(values).length === 0) throw new WsmanUsageError('say what to change: --value NAME=VALUE', 'ERR_BAD_OPTION');
      printInstance(await putResource(client, uri, values, opts), flags);
    }));

  common(program, 'create', 'create an instance (winrm create; New-WSManInstance, New-CimInstance)')
    .option('--value <name=value>', 'a property of the new instance (repeatable)', collect, [])
    .action(async (uri: string, flags: ResourceFlags) => withClient('create', flags, async (client, opts) => {
      const created = await createResource(client, uri, pairs(flags.value, '--value'), opts);
      if (created.instance) printInstance(created.instance, flags);
      else if (created.epr) {
        writeStdout(flags.json ? `${JSON.stringify({ epr: created.epr })}\n` : `ResourceCreated\n    EndpointReference = ${eprText(created.epr)}\n`);
      }
    }));

  common(program, 'delete', 'delete an instance (winrm delete; Remove-WSManInstance, Remove-CimInstance)')
    .action(async (uri: string, flags: ResourceFlags) => withClient('delete', flags, async (client, opts) => {
      await deleteResource(client, uri, opts);
    }));

  common(program, 'invoke-method', 'call a method of a class or instance (winrm invoke; Invoke-CimMethod, Invoke-WSManAction)')
    .argument('<method>', 'method name, e.g. StopService')
    .option('--param <name=value>', 'an input parameter (repeatable)', collect, [])
    .action(async (uri: string, method: string, flags: ResourceFlags) => withClient('invoke-method', flags, async (client, opts) => {
      const out = await invokeMethod(client, uri, method, pairs(flags.param, '--param'), opts);
      if (out) printInstance(out, flags);
    }));

  common(program, 'enumerate', 'list the instances of a class or collection (winrm enumerate; Get-CimInstance, Get-WSManInstance -Enumerate)')
    .option('--filter <wql>', 'a WQL query (winrm -filter), e.g. "SELECT * FROM Win32_Service WHERE State=\'Running\'"')
    .option('--dialect <uri>', 'the filter dialect (default WQL)')
    .option('--selector-filter <name=value>', 'a DSP0226 selector filter (repeatable)', collect, [])
    .option('--associations', 'the instances associated with the object (Get-CimAssociatedInstance; winrm -dialect:association)')
    .option('--references', 'the association instances that reference the object (CIM References; winrm -associations)')
    .option('--object <uri>', 'the object of --associations/--references (default: RESOURCE_URI with its selectors, enumerating its namespace\'s *)')
    .option('--result-class <name>', 'with --associations/--references: only this result class')
    .option('--association-class <name>', 'with --associations: only through this association class')
    .addOption(new Option('--enumeration-mode <mode>', 'also return each item\'s endpoint reference, or only that').choices(['EnumerateObjectAndEPR', 'EnumerateEPR']))
    .option('--max-elements <n>', 'items per response (default 32000)')
    .action(async (uri: string, flags: ResourceFlags) => withClient('enumerate', flags, async (client, opts) => {
      const eo: EnumerateOptions = { ...opts };
      const max = intOption(flags.maxElements, '--max-elements');
      if (max !== undefined) eo.maxElements = max;
      if (flags.enumerationMode) eo.mode = flags.enumerationMode;
      if (flags.filter !== undefined) eo.filter = flags.filter;
      if (flags.dialect !== undefined) eo.dialect = flags.dialect;
      if (flags.selectorFilter.length) eo.selectorFilter = pairs(flags.selectorFilter, '--selector-filter');
      let target = uri;
      if (flags.associations && flags.references) throw new WsmanUsageError('give --associations or --references, not both', 'ERR_BAD_OPTION');
      if (flags.associations || flags.references) {
        let object = flags.object;
        if (object === undefined) {
          // The object is RESOURCE_URI itself; the enumeration goes to its namespace's `*`.
          const r = resolveResourceUri(uri);
          const sel = { ...r.selectors, ...opts.selectors };
          object = `${r.resourceUri}?${Object.entries(sel).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('+')}`;
          target = `${r.resourceUri.replace(/\/[^/]*$/, '')}/*`;
          eo.selectors = {};
        }
        eo.association = {
          kind: flags.associations ? 'AssociatedInstances' : 'AssociationInstances', object,
          ...(flags.resultClass !== undefined ? { resultClassName: flags.resultClass } : {}),
          ...(flags.associationClass !== undefined ? { associationClassName: flags.associationClass } : {}),
        };
      } else if (flags.object !== undefined || flags.resultClass !== undefined || flags.associationClass !== undefined) {
        throw new WsmanUsageError('--object, --result-class and --association-class go with --associations or --references', 'ERR_BAD_OPTION');
      }
      const cancel = cancellation();
      const tty = process.stderr.isTTY === true;
      if (tty) eo.onProgress = (n) => process.stderr.write(`\r${n} item${n === 1 ? '' : 's'}…`);
      eo.signal = cancel.signal;
      let first = true;
      try {
        for await (const inst of enumerateResources(client, target, eo)) {
          // The count shares the terminal with the items: cleared before each one is printed.
          if (tty) process.stderr.write('\r\x1b[K');
          if (!first && !flags.json && flags.format !== 'xml') writeStdout('\n');
          first = false;
          printInstance(inst, flags);
          if (cancel.signal.aborted) break;
        }
      } catch (err) {
        if (!cancel.signal.aborted) throw err;
      } finally {
        cancel.done();
        if (tty) process.stderr.write('\r\x1b[K');
      }
      if (cancel.interrupted()) process.exitCode = 130;
    }));
}
