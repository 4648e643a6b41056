/**
 * Every recorded Windows request and response decodes (issue 2), with spot checks of decoded
 * values per message family against what the recordings carry.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, messageToJson, WsmanProtocolError, WsmanCode, type Message, type Body, Action, CommandStateURI, configNumber } from '../../src/core/index.js';
import { allRecordedEnvelopes, isInvalidRequest, pypsrp, pypsrpExchanges, winrb, ERB_SLOTS, ERB_TEXT, INVALID_REQUEST } from '../helpers/fixtures.js';

function bodyOf<K extends Body['kind']>(m: Message, kind: K): Extract<Body, { kind: K }> {
  expect(m.body.kind).toBe(kind);
  return m.body as Extract<Body, { kind: K }>;
}

const req = (file: string, i: number): Message => decodeMessage(pypsrp(file, i).request);
const res = (file: string, i: number): Message => decodeMessage(pypsrp(file, i).response!);
const text = (b: Buffer): string => b.toString('utf8');

describe('recorded fixtures', () => {
  const all = allRecordedEnvelopes();

  it('has the expected number of recordings (66 pypsrp conversations, 521 exchanges, 16 winrb stubs)', () => {
    const files = new Set(pypsrpExchanges().map((e) => e.file));
    expect(files.size).toBe(66);
    expect(pypsrpExchanges()).toHaveLength(521);
    expect(all.filter((e) => e.source === 'winrb')).toHaveLength(16);
    // 521 requests + 520 responses (one exchange recorded a connection error, no response)
    expect(all.filter((e) => e.source === 'pypsrp')).toHaveLength(1041);
  });

  it('decodes every recorded request and response except the one deliberately invalid request', () => {
    const failures: string[] = [];
    let decoded = 0;
    for (const e of all) {
      if (isInvalidRequest(e)) continue;
      try {
        const m = decodeMessage(e.xml);
        if (m.body.kind === 'Unknown') failures.push(`${e.id}: body not modelled: ${m.body.element.name}`);
        decoded++;
      } catch (err) {
        failures.push(`${e.id}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(decoded).toBe(all.length - 1);
  });

  it('decodes every recorded envelope from bytes as well as from text', () => {
    for (const e of all) {
      if (isInvalidRequest(e)) continue;
      expect(messageToJson(decodeMessage(Buffer.from(e.xml, 'utf8')))).toEqual(messageToJson(decodeMessage(e.xml)));
    }
  });

  it('refuses the request with OperationTimeout PT-1S as ERR_BAD_HEADER, and Windows answered it with fault 2150858767', () => {
    const ex = pypsrp(INVALID_REQUEST.file, INVALID_REQUEST.index);
    expect(ex.request).toContain('<wsman:OperationTimeout>PT-1S</wsman:OperationTimeout>');
    let caught: unknown;
    try {
      decodeMessage(ex.request);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WsmanProtocolError);
    expect((caught as WsmanProtocolError).code).toBe('ERR_BAD_HEADER');
    expect((caught as WsmanProtocolError).fault.wsmanCode).toBe(WsmanCode.InvalidMessageInformationHeader);

    const answer = decodeMessage(ex.response!);
    expect(answer.headers.action).toBe(Action.AddressingFault);
    const f = bodyOf(answer, 'Fault').fault;
    expect(f.wsmanCode).toBe(2150858767);
    expect(f.subcode).toBe('a:InvalidMessageInformationHeader');
    expect(f.soapCode).toBe('Sender');
    expect(f.message).toContain('PT-1S');
  });
});

describe('spot checks per family', () => {
  it('Shell Create request and CreateResponse: headers, streams, ShellId in selector and rsp:Shell', () => {
    const m = req('test_winrs_send.yml', 0);
    expect(m.headers.action).toBe(Action.Create);
    expect(m.headers.resourceUri).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd');
    expect(m.headers.maxEnvelopeSize).toBe(153600);
    expect(m.headers.operationTimeout).toBe(20_000);
    expect(m.headers.messageId).toBe('uuid:B9C6A568-20B0-4B50-93EE-E7BCAD5C20DB');
    expect(m.headers.locale).toBe('en-US');
    expect(m.headers.dataLocale).toBe('en-US');
    expect(m.headers.sessionId).toBe('uuid:E3EDC93B-6629-44A6-8F70-2D94D134ACD3');
    expect(m.headers.replyTo).toBe('http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous');
    expect(bodyOf(m, 'Shell').shell).toEqual({ inputStreams: ['stdin'], outputStreams: ['stdout', 'stderr'] });

    const r = res('test_winrs_send.yml', 0);
    expect(r.headers.relatesTo).toBe('uuid:B9C6A568-20B0-4B50-93EE-E7BCAD5C20DB');
    const rc = bodyOf(r, 'ResourceCreated');
    expect(rc.selectors).toEqual({ ShellId: '0D6FCA9D-2D40-44C3-B691-E665BE7AA687' });
    expect(rc.shell?.shellId).toBe('0D6FCA9D-2D40-44C3-B691-E665BE7AA687');
    expect(rc.shell?.owner).toBe('vagrant');
    expect(rc.shell?.idleTimeOut).toBe(7_200_000);
    expect(rc.shell?.shellRunTime).toBe(0);
  });

  it('Shell Create with Name, WorkingDirectory, Lifetime, IdleTimeOut and Environment (special characters)', () => {
    const s = bodyOf(req('test_winrs_extra_opts.yml', 0), 'Shell').shell;
    expect(s).toMatchObject({ name: 'shell 1', workingDirectory: 'C:\\Windows', lifetime: 60_000, idleTimeOut: 60_000 });
    const env = bodyOf(req('test_winrs_environment.yml', 0), 'Shell').shell.environment;
    const odd = '_-(){}[]<>*+-/\\?"!@#$^&|;:i,.`~0';
    expect(env).toEqual({ env1: 'var1', '1234': '5678', [odd]: odd });
  });

  it('WINRS_NOPROFILE option and a client-chosen ShellId', () => {
    const m = req('test_winrs_noprofile.yml', 0);
    expect(m.headers.options).toEqual([{ name: 'WINRS_NOPROFILE', value: 'TRUE', mustComply: true }]);
    expect(m.headers.optionSetMustUnderstand).toBe(true);
    const ps = bodyOf(req('test_psrp_disconnect_runspaces.yml', 0), 'Shell').shell;
    expect(ps.requestedShellId).toMatch(/^[0-9A-F-]{36}$/);
    expect(ps.creationXml).toMatch(/^AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQ/);
  });

  it('Command: command line, arguments with entities, CommandId', () => {
    const c = bodyOf(req('test_winrs_stderr_rc.yml', 1), 'CommandLine');
    expect(c.command).toBe('cmd.exe');
    expect(c.arguments).toEqual(['/c echo out && echo err>&2 && exit 1']);
    expect(req('test_winrs_stderr_rc.yml', 1).headers.selectors).toEqual({ ShellId: '44AF9A2C-624E-4975-AB20-CEB406E440B9' });
    expect(bodyOf(res('test_winrs_stderr_rc.yml', 1), 'CommandResponse').commandId).toBe('D37A8327-79AD-452F-BE0D-4B99A96B4A0B');
  });

  it('Send: stdin decoded to the recorded bytes, End flags in either case', () => {
    const a = bodyOf(req('test_winrs_send.yml', 2), 'Send').streams;
    expect(a).toHaveLength(1);
    expect(text(a[0]!.data)).toBe('Write-Host "output 1";');
    expect(a[0]!.end).toBe(false);
    expect(a[0]!.name).toBe('stdin');
    const b = bodyOf(req('test_winrs_send.yml', 3), 'Send').streams;
    expect(text(b[0]!.data)).toBe('Write-Host "output 2";');
    expect(b[0]!.end).toBe(true);
  });

  it('Receive and ReceiveResponse: stdout, stderr, Done and ExitCode 1', () => {
    const r = bodyOf(req('test_winrs_stderr_rc.yml', 2), 'Receive');
    expect(r).toEqual({ kind: 'Receive', streams: ['stdout', 'stderr'], commandId: 'D37A8327-79AD-452F-BE0D-4B99A96B4A0B' });
    const rr = bodyOf(res('test_winrs_stderr_rc.yml', 2), 'ReceiveResponse');
    const joined = (name: string): string => text(Buffer.concat(rr.streams.filter((s) => s.name === name).map((s) => s.data)));
    expect(joined('stdout')).toBe('out \r\n');
    expect(joined('stderr')).toBe('err \r\n');
    expect(rr.commandState).toEqual({ commandId: 'D37A8327-79AD-452F-BE0D-4B99A96B4A0B', state: 'Done', exitCode: 1 });
  });

  it('ReceiveResponse of the Send test carries the recorded stdout', () => {
    const rr = bodyOf(res('test_winrs_send.yml', 4), 'ReceiveResponse');
    const out = text(Buffer.concat(rr.streams.filter((s) => s.name === 'stdout').map((s) => s.data)));
    expect(out).toBe('output 1\noutput 2\n');
    expect(rr.commandState?.exitCode).toBe(0);
  });

  it('Signal ctrl_c and the empty-bodied Delete', () => {
    const s = bodyOf(req('test_winrs_stderr_rc.yml', 3), 'Signal');
    expect(s.code).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c');
    expect(s.commandId).toBe('D37A8327-79AD-452F-BE0D-4B99A96B4A0B');
    expect(res('test_winrs_stderr_rc.yml', 3).body.kind).toBe('SignalResponse');
    const del = req('test_winrs_stderr_rc.yml', 4);
    expect(del.headers.action).toBe(Action.Delete);
    expect(del.body).toEqual({ kind: 'Empty' });
  });

  it('faults: code, subcode, machine, message and ProviderFault', () => {
    const sel = bodyOf(res('test_psrp_is_alive_invalid_selectors.yml', 4), 'Fault').fault;
    expect(sel).toMatchObject({ soapCode: 'Sender', subcode: 'w:InvalidSelectors', wsmanCode: 2150858843, machine: '127.0.0.1' });
    expect(sel.faultDetail).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors');
    expect(sel.providerFault).toMatchObject({ provider: 'Shell provider', path: '%systemroot%\\system32\\WsmSvc.dll' });
    const timedOut = bodyOf(res('test_psrp_long_running_cmdlet.yml', 4), 'Fault').fault;
    expect(timedOut).toMatchObject({ soapCode: 'Receiver', subcode: 'w:TimedOut', wsmanCode: 2150858793, machine: '127.0.0.1' });
    const param = bodyOf(res('test_winrs_fail_poll_process.yml', 1), 'Fault').fault;
    expect(param).toMatchObject({ subcode: 'w:InvalidParameter', wsmanCode: 87, providerFault: { provider: 'Shell cmd plugin', message: 'The parameter is incorrect.' } });
  });

  it('winrb faults: nested WSManFault, OMI prefixes, WMI error', () => {
    const v2 = bodyOf(decodeMessage(winrb('soap_fault_v2.xml')), 'Fault').fault;
    expect(v2).toMatchObject({ soapCode: 'Sender', subcode: 'n:CannotProcessFilter', wsmanCode: 2150858778, machine: 'localhost' });
    expect(v2.message).toBe('The specified class does not exist in the given namespace.');
    const omi = bodyOf(decodeMessage(winrb('soap_fault_omi.xml')), 'Fault').fault;
    expect(omi.soapCode).toBe('Receiver');
    expect(omi.subcode).toBe('w:InternalError');
    expect(omi.reason).toBe('get-instance: instance name parameter is missing');
    const wmi = bodyOf(decodeMessage(winrb('wmi_error_v2.xml')), 'Fault').fault;
    expect(wmi).toMatchObject({ subcode: 'w:QuotaLimit', wsmanCode: 2150859173 });
    expect(wmi.message).toContain('maximum number of 30 concurrent shells');
  });

  it('enumeration: shell items with every §5.1 field', () => {
    const m = res('test_psrp_disconnect_runspaces.yml', 11);
    const e = bodyOf(m, 'EnumerateResponse');
    expect(e.items?.length).toBeGreaterThanOrEqual(2);
    const item = e.items![0]!;
    expect(item.kind).toBe('Shell');
    const s = (item as { kind: 'Shell'; shell: Record<string, unknown> }).shell;
    expect(s).toEqual({
      shellId: 'B6631D8E-65A0-49F2-9053-A1B156C95777',
      resourceUri: 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell',
      owner: 'WIN-NNMU24VVKJ0\\vagrant',
      clientIp: '10.0.2.2',
      processId: 2792,
      idleTimeOut: 7_200_000,
      inputStreams: ['stdin', 'pr'],
      outputStreams: ['stdout'],
      maxIdleTimeOut: 2_147_483_647,
      locale: 'en-US',
      dataLocale: 'en-US',
      compressionMode: 'NoCompression',
      profileLoaded: 'Yes',
      encoding: 'UTF8',
      bufferMode: 'Block',
      state: 'Disconnected',
      shellRunTime: 9000,
      shellInactivity: 0,
      memoryUsed: '46MB',
      childProcesses: 0,
    });
    const q = bodyOf(req('test_psrp_disconnect_runspaces.yml', 11), 'Enumerate');
    expect(q.optimize).toBe(true);
    expect(q.maxElements).toBe(32000);
    expect(bodyOf(res('test_psrp_disconnect_runspaces.yml', 12), 'EnumerateResponse').endOfSequence).toBe(true);
  });

  it('config: values read with configNumber', () => {
    const c = bodyOf(res('test_wsman_update_envelope_size_150.yml', 0), 'Config').config;
    expect(configNumber(c, 'MaxEnvelopeSizekb')).toBe(150);
    expect(configNumber(c, 'Winrs', 'IdleTimeout')).toBe(7_200_000);
    expect(configNumber(c, 'Client', 'DefaultPorts', 'HTTPS')).toBe(5986);
    expect(c.Service).toMatchObject({ AllowUnencrypted: 'false', Auth: { Basic: 'true', CbtHardeningLevel: 'Relaxed' } });
    expect(configNumber(bodyOf(res('test_wsman_update_envelope_size_4096.yml', 0), 'Config').config, 'MaxEnvelopeSizekb')).toBe(4096);
  });

  it('Disconnect, Connect and ConnectResponse payloads', () => {
    const d = req('test_psrp_disconnect_runspaces.yml', 4);
    expect(d.headers.action).toBe(Action.Disconnect);
    expect(d.body).toEqual({ kind: 'Disconnect' });
    const c = bodyOf(req('test_psrp_disconnect_runspaces.yml', 14), 'Connect');
    expect(Buffer.from(c.connectXml!, 'base64').toString('latin1')).toContain('<Version N="protocolversion">2.3</Version>');
    const cr = bodyOf(res('test_psrp_disconnect_runspaces.yml', 14), 'ConnectResponse');
    expect(cr.inputStreams).toEqual(['stdin', 'pr']);
    expect(cr.outputStreams).toEqual(['stdout']);
    expect(Buffer.from(cr.connectResponseXml!, 'base64').toString('latin1')).toContain('<I32 N="MaxRunspaces">1</I32>');
    const cc = bodyOf(req('test_psrp_disconnected_commands.yml', 15), 'Connect');
    expect(cc.commandId).toBe('DB4E8DCF-51CC-423F-A7DF-5D0EA0D6FA08');
  });

  it('winrb ReceiveResponses (Windows and OMI) decode to the slot values', () => {
    const w = bodyOf(decodeMessage(winrb('get_command_output_response.xml.erb')), 'ReceiveResponse');
    expect(text(w.streams[0]!.data)).toBe(ERB_TEXT.stdout);
    expect(text(w.streams[1]!.data)).toBe(ERB_TEXT.stderr);
    expect(w.streams[1]!.end).toBe(true);
    expect(w.commandState).toEqual({ commandId: ERB_SLOTS.command_id, state: 'Done', exitCode: 0 });
    const omi = bodyOf(decodeMessage(winrb('get_omi_command_output_response_not_done.xml.erb')), 'ReceiveResponse');
    expect(text(omi.streams[0]!.data)).toBe(ERB_TEXT.stdout);
    expect(omi.commandState?.state).toBe('Running');
    const ka = decodeMessage(winrb('get_omi_powershell_keepalive_response.xml.erb'));
    expect(ka.headers.action).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse');
    expect(ka.headers.messageId).toBe('uuid:5825BEA8-76AB-0005-0000-000000510000');
    expect(CommandStateURI.Running.endsWith('Running')).toBe(true);
  });

  it('winrb shell CreateResponses from 2008 R2, 2012+ and OMI give a ShellId', () => {
    for (const f of ['open_shell_v1.xml', 'open_shell_v2.xml', 'open_shell_omi.xml']) {
      const b = decodeMessage(winrb(f)).body;
      const id = b.kind === 'ResourceCreated' ? b.selectors?.ShellId ?? b.shell?.shellId : b.kind === 'Shell' ? b.shell.shellId : undefined;
      expect(id, f).toMatch(/^(uuid:)?[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    }
  });
});
