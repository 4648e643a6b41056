/**
 * The resource functions (client/resources.ts) against recorded Windows conversations (replayed
 * by a fake server on 127.0.0.1:0) and a scripted endpoint for what the recordings lack (WMI
 * items, Pull, Release, methods, Put, Create, filters).
 */
import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { WsmanClient } from '../../src/client/client.js';
import { WsmanFaultError, WsmanUsageError } from '../../src/core/errors.js';
import { Action } from '../../src/core/namespaces.js';
import {
  resolveResourceUri, getResource, putResource, createResource, deleteResource, invokeMethod, enumerateResources, enumerateAll,
} from '../../src/client/resources.js';
import { loadConversation, startReplay, type Replay } from '../replay/replay-server.js';
import { PYPSRP_DIR } from '../helpers/fixtures.js';
import { startScripted, service, CIMV2, type Scripted } from './helpers/scripted-wsman.js';

const load = (name: string, ...idx: number[]) => {
  const all = loadConversation(path.join(PYPSRP_DIR, name));
  return idx.map((i) => all[i]!);
};

let replay: Replay | undefined;
let fake: Scripted | undefined;
let client: WsmanClient | undefined;
afterEach(async () => {
  await client?.close();
  await replay?.close();
  await fake?.close();
  client = undefined; replay = undefined; fake = undefined;
});

const clientFor = (url: string): WsmanClient => new WsmanClient({ endpoint: { connectionUri: url }, operationTimeout: 20_000 });

describe('resolveResourceUri', () => {
  it('expands winrm.cmd aliases and splits ?selectors', () => {
    expect(resolveResourceUri('winrm/config')).toEqual({ resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/config', selectors: {} });
    expect(resolveResourceUri('wmicimv2/Win32_Service?Name=WinRM')).toEqual({ resourceUri: `${CIMV2}/Win32_Service`, selectors: { Name: 'WinRM' } });
    expect(resolveResourceUri('wmi/root/default/StdRegProv').resourceUri).toBe('http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/StdRegProv');
    expect(resolveResourceUri('cim/CIM_ComputerSystem').resourceUri).toBe('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem');
    expect(resolveResourceUri('wmicimv2/*').resourceUri).toBe(`${CIMV2}/*`);
    expect(resolveResourceUri('winrm/config/Listener?Address=*+Transport=HTTP').selectors).toEqual({ Address: '*', Transport: 'HTTP' });
    expect(resolveResourceUri('http://example.com/x?A=1').resourceUri).toBe('http://example.com/x');
  });

  it('refuses an unknown alias with a usage error', () => {
    expect(() => resolveResourceUri('nosuch/Thing')).toThrow(WsmanUsageError);
    expect(() => resolveResourceUri('winrm/config?novalue')).toThrow(/NAME=VALUE/);
    expect(() => resolveResourceUri('winrm/config?A=%E0%A4%A')).toThrow(WsmanUsageError);
    expect(Object.keys(resolveResourceUri('winrm/config?__proto__=x').selectors)).toEqual(['__proto__']);
  });
});

describe('recorded Windows conversations', () => {
  it('Get winrm/config (Windows Server, pypsrp test_wsman_update_envelope_size_500): nested, typed, XML kept', async () => {
    replay = await startReplay(load('test_wsman_update_envelope_size_500.yml', 0));
    client = clientFor(replay.url);
    const cfg = await getResource(client, 'winrm/config');
    expect(replay.mismatches).toEqual([]);
    expect(cfg.className).toBe('Config');
    expect(cfg.properties.MaxEnvelopeSizekb).toBe(500);
    expect(cfg.properties.MaxProviderRequests).toBe(4294967295);
    const service = cfg.properties.Service as Record<string, unknown>;
    expect(service.RootSDDL).toBe('O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)');
    expect((service.Auth as Record<string, unknown>).CbtHardeningLevel).toBe('Relaxed');
    expect((cfg.properties.Client as Record<string, unknown>).AllowUnencrypted).toBe(false);
    expect((cfg.properties.Client as Record<string, unknown>).TrustedHosts).toBe('');
    expect(cfg.xml).toMatch(/^<cfg:Config xmlns:cfg="http:\/\/schemas.microsoft.com\/wbem\/wsman\/1\/config"><cfg:MaxEnvelopeSizekb>500</);
    // infer: false keeps every unmarked value as sent.
    replay = await startReplay(load('test_wsman_update_envelope_size_500.yml', 0));
    const c2 = clientFor(replay.url);
    expect((await getResource(c2, 'winrm/config', { infer: false })).properties.MaxEnvelopeSizekb).toBe('500');
    await c2.close();
  });

  it('Get of a shell by selector, then the fault for a gone shell names its FaultDetail (test_psrp_is_alive_invalid_selectors)', async () => {
    replay = await startReplay(load('test_psrp_is_alive_invalid_selectors.yml', 3, 4));
    client = clientFor(replay.url);
    const id = replay ? (await import('../../src/core/messages/index.js')).decodeMessage(load('test_psrp_is_alive_invalid_selectors.yml', 3)[0]!.request).headers.selectors!.ShellId! : '';
    const shell = await getResource(client, 'shell', { selectors: { ShellId: id } });
    expect(shell.className).toBe('Shell');
    expect(shell.properties.ProcessId).toBe(4384);
    expect(shell.properties.ProfileLoaded).toBe('Yes');
    expect(shell.properties.IdleTimeOut).toBe('PT60.000S');
    const err = await getResource(client, 'shell', { selectors: { ShellId: id } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanFaultError);
    expect((err as Error).message).toMatch(/^w:InvalidSelectors \(2150858843 ERROR_WSMAN_UNEXPECTED_SELECTORS\) \[UnexpectedSelectors\] from 127\.0\.0\.1: /);
    expect(replay.mismatches).toEqual([]);
  });

  it('enumerates shells, then a shell\'s commands with a selector filter (test_psrp_disconnect_runspaces)', async () => {
    replay = await startReplay(load('test_psrp_disconnect_runspaces.yml', 11, 12));
    client = clientFor(replay.url);
    const shells = await enumerateAll(client, 'shell');
    expect(shells.map((s) => s.properties.ShellId)).toEqual(['B6631D8E-65A0-49F2-9053-A1B156C95777', '01AA3E43-9E21-424B-A7FC-BC16AA34F4CE']);
    expect(shells[0]!.properties.State).toBe('Disconnected');
    const commands = await enumerateAll(client, 'shell/Command', { selectorFilter: { ShellId: 'B6631D8E-65A0-49F2-9053-A1B156C95777' } });
    expect(commands).toEqual([]);
    expect(replay.mismatches).toEqual([]);
    const sent = replay.received[1]!.body;
    expect(sent.kind === 'Enumerate' && sent.filterSelectors).toEqual({ ShellId: 'B6631D8E-65A0-49F2-9053-A1B156C95777' });
    expect(sent.kind === 'Enumerate' && sent.optimize).toBe(true);
  });
});

const enumResponse = (items: string, context: string | undefined): string =>
  `<n:EnumerateResponse><n:EnumerationContext>${context ?? ''}</n:EnumerationContext><w:Items>${items}</w:Items>${context === undefined ? '<w:EndOfSequence/>' : ''}</n:EnumerateResponse>`;
const pullResponse = (items: string, context: string | undefined): string =>
  `<n:PullResponse>${context !== undefined ? `<n:EnumerationContext>${context}</n:EnumerationContext>` : ''}<n:Items>${items}</n:Items>${context === undefined ? '<n:EndOfSequence/>' : ''}</n:PullResponse>`;

describe('WMI-shaped answers (scripted endpoint)', () => {
  it('types values by the documented rule and keeps arrays, nil, datetimes and ambiguous text', async () => {
    fake = await startScripted(() => ({ body: service('WinRM') }));
    client = clientFor(fake.url);
    const s = await getResource(client, 'wmicimv2/Win32_Service?Name=WinRM');
    expect(fake.requests[0]!.msg.headers.selectors).toEqual({ Name: 'WinRM' });
    expect(fake.requests[0]!.msg.headers.resourceUri).toBe(`${CIMV2}/Win32_Service`);
    const p = s.properties;
    expect(p.Name).toBe('WinRM');
    expect(p.ProcessId).toBe(1234);
    expect(p.Started).toBe(true);
    expect(p.InstallDate).toBeNull();
    expect(p.TagId).toBe(0);
    expect(p.ExitCode).toBe(77); // xsi:type says integer
    expect(p.Code).toBe('0042'); // leading zero: ambiguous, stays text
    expect(p.Big).toBe('18446744073709551615'); // beyond 2^53: exact as text
    expect(p.Caps).toEqual([1, 2]);
    expect(p.Since).toEqual(new Date('2024-01-02T03:04:05Z'));
    expect(s.xml).toContain('<p:InstallDate xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>');
    expect(s.xml).toContain('<p:Since><cim:Datetime xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">2024-01-02T03:04:05Z</cim:Datetime></p:Since>');
  });

  it('enumerates with a WQL filter, pulls to the end, and yields items as they come', async () => {
    let pulls = 0;
    fake = await startScripted((m) => {
      if (m.headers.action === Action.Enumerate) return { body: enumResponse(service('a'), 'ctx-1') };
      pulls++;
      return { body: pullResponse(pulls === 1 ? service('b') + service('c') : service('d'), pulls === 1 ? 'ctx-2' : undefined) };
    });
    client = clientFor(fake.url);
    const seen: number[] = [];
    const names: unknown[] = [];
    for await (const i of enumerateResources(client, 'wmicimv2/*', { filter: "SELECT * FROM Win32_Service WHERE State='Running'", maxElements: 2, onProgress: (n) => seen.push(n) })) {
      names.push(i.properties.Name);
    }
    expect(names).toEqual(['a', 'b', 'c', 'd']);
    expect(seen).toEqual([1, 3, 4]);
    const first = fake.requests[0]!;
    expect(first.msg.headers.resourceUri).toBe(`${CIMV2}/*`);
    expect(first.raw).toContain(`<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT * FROM Win32_Service WHERE State='Running'</w:Filter>`);
    expect(first.raw).toContain('<w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements>');
    expect(fake.requests.map((r) => r.msg.body.kind)).toEqual(['Enumerate', 'Pull', 'Pull']);
    const pull2 = fake.requests[2]!.msg.body;
    expect(pull2.kind === 'Pull' && pull2.context).toBe('ctx-2');
  });

  it('stopping early sends Release with the current context; so does an abort', async () => {
    fake = await startScripted((m) => {
      if (m.headers.action === Action.Enumerate) return { body: enumResponse(service('a') + service('b'), 'ctx-9') };
      if (m.headers.action === Action.Release) return { body: '' };
      return { body: pullResponse(service('c'), 'ctx-10') };
    });
    client = clientFor(fake.url);
    for await (const i of enumerateResources(client, 'wmicimv2/Win32_Service')) if (i.properties.Name === 'c') break;
    const kinds = fake.requests.map((r) => r.msg.body);
    expect(kinds.map((b) => b.kind)).toEqual(['Enumerate', 'Pull', 'Release']);
    expect(kinds[2]!.kind === 'Release' && kinds[2]!.context).toBe('ctx-10');

    fake.requests.length = 0;
    const ac = new AbortController();
    const got: unknown[] = [];
    await expect((async () => {
      for await (const i of enumerateResources(client, 'wmicimv2/Win32_Service', { signal: ac.signal })) {
        got.push(i.properties.Name);
        if (got.length === 2) ac.abort();
      }
    })()).rejects.toThrow();
    expect(fake.requests.map((r) => r.msg.body.kind)).toEqual(['Enumerate', 'Release']);
  });

  it('EnumerateObjectAndEPR items carry their endpoint reference; association filters are written as DSP0227 says', async () => {
    const epr = `<a:EndpointReference><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>${CIMV2}/Win32_Service</w:ResourceURI><w:SelectorSet><w:Selector Name="Name">WinRM</w:Selector></w:SelectorSet></a:ReferenceParameters></a:EndpointReference>`;
    fake = await startScripted(() => ({ body: enumResponse(`<w:Item>${service('WinRM')}${epr}</w:Item>`, undefined) }));
    client = clientFor(fake.url);
    const [item] = await enumerateAll(client, 'wmicimv2/*', {
      mode: 'EnumerateObjectAndEPR',
      association: { kind: 'AssociatedInstances', object: 'wmicimv2/Win32_Service?Name=WinRM', resultClassName: 'Win32_ComputerSystem' },
    });
    expect(item!.className).toBe('Win32_Service');
    expect(item!.properties.Name).toBe('WinRM');
    expect(item!.epr).toEqual({ address: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', resourceUri: `${CIMV2}/Win32_Service`, selectors: { Name: 'WinRM' } });
    const sent = fake.requests[0]!.msg.body;
    expect(sent.kind === 'Enumerate' && sent.enumerationMode).toBe('EnumerateObjectAndEPR');
    expect(sent.kind === 'Enumerate' && sent.association).toEqual({
      kind: 'AssociatedInstances', resultClassName: 'Win32_ComputerSystem',
      object: { address: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', resourceUri: `${CIMV2}/Win32_Service`, selectors: { Name: 'WinRM' } },
    });
    expect(fake.requests[0]!.raw).toContain('Dialect="http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"');
    await expect(enumerateAll(client, 'wmicimv2/*', { filter: 'x', selectorFilter: { a: 'b' } })).rejects.toThrow(WsmanUsageError);
  });

  it('invokeMethod sends RESOURCE_URI/METHOD with METHOD_INPUT and returns METHOD_OUTPUT', async () => {
    const uri = `${CIMV2}/Win32_Service`;
    fake = await startScripted(() => ({ body: `<p:StopService_OUTPUT xmlns:p="${uri}"><p:ReturnValue>5</p:ReturnValue></p:StopService_OUTPUT>` }));
    client = clientFor(fake.url);
    const out = await invokeMethod(client, 'wmicimv2/Win32_Service?Name=Spooler', 'StopService', { Force: true, Reason: 'a<b' });
    expect(out!.className).toBe('StopService_OUTPUT');
    expect(out!.properties.ReturnValue).toBe(5);
    const r = fake.requests[0]!;
    expect(r.msg.headers.action).toBe(`${uri}/StopService`);
    expect(r.msg.headers.selectors).toEqual({ Name: 'Spooler' });
    expect(r.raw).toContain(`<p:StopService_INPUT xmlns:p="${uri}"><p:Force>true</p:Force><p:Reason>a&lt;b</p:Reason></p:StopService_INPUT>`);
    await expect(invokeMethod(client, 'wmicimv2/Win32_Service', 'bad name')).rejects.toThrow(WsmanUsageError);
  });

  it('putResource Gets, changes the named properties and Puts the whole instance; createResource and deleteResource', async () => {
    fake = await startScripted((m) => {
      if (m.headers.action === Action.Put) return { body: m.headers.action ? service('WinRM').replace('<p:TagId>0</p:TagId>', '<p:TagId>9</p:TagId>') : '' };
      if (m.headers.action === Action.Create) {
        return { body: `<x:ResourceCreated><a:Address>http://h/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>${CIMV2}/Thing</w:ResourceURI><w:SelectorSet><w:Selector Name="Id">7</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` };
      }
      if (m.headers.action === Action.Delete) return { body: '' };
      return { body: service('WinRM') };
    });
    client = clientFor(fake.url);
    const after = await putResource(client, 'wmicimv2/Win32_Service?Name=WinRM', { TagId: 9, InstallDate: '2020-01-01' });
    expect(after.properties.TagId).toBe(9);
    const put = fake.requests[1]!;
    expect(put.msg.headers.action).toBe(Action.Put);
    expect(put.raw).toContain(`<s:Body><p:Win32_Service xmlns:p="${CIMV2}/Win32_Service"><p:Name>WinRM</p:Name><p:ProcessId>1234</p:ProcessId>` +
      '<p:Started>true</p:Started><p:InstallDate>2020-01-01</p:InstallDate><p:TagId>9</p:TagId>' +
      '<p:ExitCode xsi:type="xs:unsignedInt" xmlns:xs="http://www.w3.org/2001/XMLSchema">0077</p:ExitCode>');
    expect(put.raw).toContain('<p:Since><p:Datetime xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/common">2024-01-02T03:04:05Z</p:Datetime></p:Since>');
    await expect(putResource(client, 'wmicimv2/Win32_Service?Name=WinRM', { NoSuch: 1 })).rejects.toThrow(/no property NoSuch/);
    expect(fake.requests.map((r) => r.msg.headers.action)).toEqual([Action.Get, Action.Put, Action.Get]);

    const created = await createResource(client, 'wmicimv2/Thing', { Name: 'x' });
    expect(created.epr).toEqual({ address: 'http://h/wsman', resourceUri: `${CIMV2}/Thing`, selectors: { Id: '7' } });
    expect(fake.requests[3]!.raw).toContain(`<p:Thing xmlns:p="${CIMV2}/Thing"><p:Name>x</p:Name></p:Thing>`);
    await deleteResource(client, 'wmicimv2/Thing?Id=7');
    expect(fake.requests[4]!.msg.headers).toMatchObject({ action: Action.Delete, selectors: { Id: '7' } });
  });
});
