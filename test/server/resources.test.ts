/**
 * The listener's resources: winrm/config and its sections (Get; Put refused as for a
 * non-administrator), the read-only CIM set with WQL, and the fault for everything else — through
 * the client's resource functions.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import os from 'node:os';
import { WsmanClient } from '../../src/client/client.js';
import { WsmanFaultError } from '../../src/core/errors.js';
import { getResource, putResource, enumerateAll, enumerateResources, invokeMethod, createResource } from '../../src/client/resources.js';
import { startListener, call, type TestListener } from './helpers.js';
import { validateEnvelopes } from '../helpers/schema.js';
import { Action } from '../../src/core/namespaces.js';
import { MAX_ITEMS_PER_USER } from '../../src/server/handlers/enumerate.js';

let L: TestListener;
let client: WsmanClient;
beforeAll(async () => {
  L = await startListener();
  client = new WsmanClient({ endpoint: { connectionUri: L.url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true });
});
afterAll(async () => {
  await client?.close();
  await L?.stop();
});

const faultOf = async (p: Promise<unknown>): Promise<WsmanFaultError> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(WsmanFaultError);
  return e as WsmanFaultError;
};

describe('winrm/config', () => {
  it('Get of a section answers that section; an unknown one is an invalid resource URI', async () => {
    const winrs = await getResource(client, 'winrm/config/Winrs');
    expect(winrs.className).toBe('Winrs');
    expect(winrs.properties.MaxShellsPerUser).toBe(L.listener.core.config.configurations[0]!.maxShellsPerUser);
    const auth = await getResource(client, 'winrm/config/service/AUTH');
    expect(auth.className).toBe('Auth');
    expect(auth.properties.Basic).toBe(true);
    const f = await faultOf(getResource(client, 'winrm/config/NoSuch'));
    expect(f.subcode).toBe('w:InvalidResourceURI');
  });

  it('winrm/config/Listener: Enumerate lists the endpoints; Get by Address and Transport', async () => {
    const all = await enumerateAll(client, 'winrm/config/Listener');
    expect(all.map((l) => l.properties)).toEqual([{ Address: '127.0.0.1', Transport: 'HTTP', Port: L.port, Hostname: '', Enabled: true, URLPrefix: 'wsman', CertificateThumbprint: '', ListeningOn: '127.0.0.1' }]);
    expect(all[0]!.namespace).toBe('http://schemas.microsoft.com/wbem/wsman/1/config/listener');
    const one = await getResource(client, 'winrm/config/Listener?Address=127.0.0.1+Transport=http');
    expect(one.properties.Port).toBe(L.port);
    expect((await faultOf(getResource(client, 'winrm/config/Listener?Address=*+Transport=HTTPS'))).subcode).toBe('a:DestinationUnreachable');
    expect((await faultOf(getResource(client, 'winrm/config/Listener'))).subcode).toBe('w:InvalidSelectors');
    expect((await faultOf(enumerateAll(client, 'winrm/config/Winrs'))).subcode).toBe('a:ActionNotSupported');
  });

  it('Put is refused with Access is denied, as Windows refuses a non-administrator', async () => {
    const f = await faultOf(putResource(client, 'winrm/config', { MaxEnvelopeSizekb: 1 }));
    expect(f.wsmanCode).toBe(2147942405);
    expect(f.message).toMatch(/Access is denied/);
    expect((await getResource(client, 'winrm/config')).properties.MaxEnvelopeSizekb).toBe(L.listener.core.config.maxEnvelopeSizeKb);
  });
});

describe('CIM', () => {
  it('CIM_OperatingSystem and Win32_ComputerSystem report this host', async () => {
    const osi = await getResource(client, 'cim/CIM_OperatingSystem');
    expect(osi.className).toBe('CIM_OperatingSystem');
    expect(osi.properties).toMatchObject({ OSType: 36, CSName: os.hostname(), Version: os.release() });
    expect(osi.properties.LastBootUpTime).toBeInstanceOf(Date);
    const cs = await getResource(client, 'wmicimv2/Win32_ComputerSystem');
    expect(cs.properties).toMatchObject({ Name: os.hostname(), CreationClassName: 'Win32_ComputerSystem', NumberOfLogicalProcessors: os.cpus().length });
  });

  it('CIM_Process lists processes from /proc without command lines; Get by Handle; a gone one is not found', async () => {
    const all = await enumerateAll(client, 'cim/CIM_Process');
    const me = all.find((p) => p.properties.ProcessId === process.pid);
    // Handle is a string key holding digits: typed as a number by the inference rule (infer: false keeps it text).
    expect(me?.properties).toMatchObject({ Handle: process.pid, ParentProcessId: process.ppid, OwnerUid: process.getuid!() });
    for (const p of all) expect(Object.keys(p.properties).filter((k) => /command|path|environ|cwd/i.test(k))).toEqual([]);
    const got = await getResource(client, `cim/CIM_Process?Handle=${process.pid}`);
    expect(got.properties.ProcessId).toBe(process.pid);
    const f = await faultOf(getResource(client, 'cim/CIM_Process?Handle=999999999'));
    expect(f.subcode).toBe('a:DestinationUnreachable');
    expect((await faultOf(getResource(client, 'cim/CIM_Process?Nope=1'))).subcode).toBe('w:InvalidSelectors');
  });

  it('WQL over wmicimv2/*: WHERE filters, the SELECT list projects; Pull brings the rest; EPRs on request', async () => {
    const q = `SELECT Name, ProcessId FROM Win32_Process WHERE ProcessId = ${process.pid} OR ProcessId = 1`;
    const items = await enumerateAll(client, 'wmicimv2/*', { filter: q, maxElements: 1, mode: 'EnumerateObjectAndEPR' });
    expect(items.map((i) => i.properties.ProcessId).sort((a, b) => Number(a) - Number(b))).toEqual([1, process.pid]);
    for (const i of items) expect(Object.keys(i.properties).sort()).toEqual(['Name', 'ProcessId']);
    const mine = items.find((i) => i.properties.ProcessId === process.pid)!;
    expect(mine.className).toBe('Win32_Process');
    expect(mine.epr).toMatchObject({ resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process', selectors: { Handle: String(process.pid) } });
    const sel = await enumerateAll(client, 'cim/CIM_Process', { selectorFilter: { Handle: String(process.pid) } });
    expect(sel.map((i) => i.properties.ProcessId)).toEqual([process.pid]);
  });

  it('stopping early releases the listener\'s context', async () => {
    for await (const _ of enumerateResources(client, 'cim/CIM_Process', { maxElements: 1 })) break;
    expect(L.listener.core.enumerations.size).toBe(0);
  });

  it('unreleased enumerations hold at most MAX_ITEMS_PER_USER items for a user; the oldest contexts go first', async () => {
    // The process table changes while the suite runs (other tests start and end processes): open
    // contexts until the listener drops the oldest, well past what MAX_ITEMS_PER_USER allows.
    L.listener.core.enumerations.clear();
    const processes = (await enumerateAll(client, 'cim/CIM_Process')).length;
    const bound = 4 * Math.ceil(MAX_ITEMS_PER_USER / processes) + 10;
    const held = (): { contexts: number; items: number } => {
      const mine = [...L.listener.core.enumerations.values()].filter((e) => e.owner === 'alice');
      return { contexts: mine.length, items: mine.reduce((n, e) => n + e.items.length, 0) };
    };
    let opened = 0;
    while (opened < bound && held().contexts === opened) {
      await client.send(Action.Enumerate, { kind: 'Enumerate' }, { resourceUri: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Process' });
      opened++;
      expect(held().items).toBeLessThanOrEqual(MAX_ITEMS_PER_USER);
    }
    expect(held().contexts).toBeLessThan(opened);
    L.listener.core.enumerations.clear();
  });

  it('hostile selectors and filters get faults', async () => {
    expect((await faultOf(getResource(client, 'cim/CIM_Process', { selectors: JSON.parse('{"__proto__":"x"}') as Record<string, string> }))).subcode).toBe('w:InvalidSelectors');
    expect((await faultOf(enumerateAll(client, 'wmicimv2/*', { filter: `SELECT * FROM Win32_Process WHERE Name = '${'x'.repeat(40_000)}'` }))).subcode).toBe('n:CannotProcessFilter');
    expect((await faultOf(enumerateAll(client, 'cim/CIM_Process', { filter: 'x', dialect: 'urn:nope' }))).subcode).toBe('w:UnsupportedFeature');
  });

  it('bad or unsupported WQL, unknown classes and writes get the faults Windows gives', async () => {
    const bad = await faultOf(enumerateAll(client, 'wmicimv2/*', { filter: 'SELECT * FROM' }));
    expect(bad.subcode).toBe('n:CannotProcessFilter');
    expect(bad.wsmanCode).toBe(2150858778); // worded as Windows words it, not with our parser's message
    expect((await faultOf(enumerateAll(client, 'wmicimv2/*', { filter: "ASSOCIATORS OF {Win32_Process.Handle='1'}" }))).subcode).toBe('n:CannotProcessFilter');
    expect((await faultOf(enumerateAll(client, 'wmicimv2/Win32_Process', { filter: 'SELECT * FROM Win32_Service' }))).subcode).toBe('n:CannotProcessFilter');
    expect((await faultOf(getResource(client, 'wmicimv2/Win32_Service?Name=WinRM'))).subcode).toBe('w:InvalidResourceURI');
    expect((await faultOf(enumerateAll(client, 'wmi/root/default/StdRegProv'))).subcode).toBe('w:InvalidResourceURI');
    expect((await faultOf(invokeMethod(client, 'wmicimv2/Win32_Process', 'Create', { CommandLine: 'id' }))).subcode).toBe('a:ActionNotSupported');
    expect((await faultOf(createResource(client, 'cim/CIM_Process', { Name: 'x' }))).subcode).toBe('a:ActionNotSupported');
    expect((await faultOf(enumerateAll(client, 'wmicimv2/*'))).subcode).toBe('w:UnsupportedFeature');
  });
});

describe('schema', () => {
  it('CIM and config answers, their Pull and Release, and their faults validate against the WS-Man schemas', async () => {
    const CIM = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
    const xmls: string[] = [];
    xmls.push((await call(L.url, Action.Get, { kind: 'Empty' }, {}, `${CIM}CIM_OperatingSystem`)).raw);
    const first = await call(L.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 2, enumerationMode: 'EnumerateObjectAndEPR' }, {}, `${CIM}CIM_Process`);
    xmls.push(first.raw);
    const context = first.msg.body.kind === 'EnumerateResponse' ? first.msg.body.context : '';
    expect(context).not.toBe('');
    xmls.push((await call(L.url, Action.Pull, { kind: 'Pull', context, maxElements: 2 }, {}, `${CIM}CIM_Process`)).raw);
    xmls.push((await call(L.url, Action.Release, { kind: 'Release', context }, {}, `${CIM}CIM_Process`)).raw);
    xmls.push((await call(L.url, Action.Enumerate, { kind: 'Enumerate', optimize: true, filterText: 'SELECT Name FROM Win32_Process WHERE ProcessId = 1' }, {},
      'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*')).raw);
    xmls.push((await call(L.url, Action.Enumerate, { kind: 'Enumerate', filterText: 'SELECT' }, {}, `${CIM}CIM_Process`)).raw);
    xmls.push((await call(L.url, Action.Get, { kind: 'Empty' }, {}, 'http://schemas.microsoft.com/wbem/wsman/1/config/Winrs')).raw);
    xmls.push((await call(L.url, Action.Put, { kind: 'Empty' }, {}, 'http://schemas.microsoft.com/wbem/wsman/1/config')).raw);
    xmls.push((await call(L.url, Action.Get, { kind: 'Empty' }, { selectors: { Handle: '999999999' } }, `${CIM}CIM_Process`)).raw);
    const results = await validateEnvelopes(xmls);
    expect(results.flatMap((r, i) => (r.valid ? [] : [`#${i}: ${r.errors.join('; ')}\n${xmls[i]!.slice(0, 400)}`]))).toEqual([]);
  });
});
