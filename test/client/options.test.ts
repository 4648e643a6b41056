/** Addressing and option defaults, as PowerShell has them. */
import { describe, it, expect } from 'vitest';
import { endpointUrl, computerNameOf } from '../../src/client/options.js';
import { configurationUri } from '../../src/client/shell.js';
import { selectAuth, parseChallenges } from '../../src/transport/auth.js';
import { WsmanUsageError } from '../../src/core/errors.js';

describe('endpoints', () => {
  it('a computer name gets HTTP 5985 or HTTPS 5986 and /wsman', () => {
    expect(endpointUrl({ computerName: 'srv' })).toBe('http://srv:5985/wsman');
    expect(endpointUrl({ computerName: 'srv', useSsl: true })).toBe('https://srv:5986/wsman');
    expect(endpointUrl({ computerName: 'srv', port: 8080, applicationName: 'custom' })).toBe('http://srv:8080/custom');
    expect(endpointUrl({ computerName: '::1' })).toBe('http://[::1]:5985/wsman');
  });

  it('a connection URI without a port means 80 or 443; without a path, /wsman', () => {
    expect(new URL(endpointUrl({ connectionUri: 'http://srv/wsman' })).port).toBe('');
    expect(endpointUrl({ connectionUri: 'https://srv' })).toBe('https://srv/wsman');
    expect(endpointUrl({ connectionUri: 'https://srv:5986/wsman' })).toBe('https://srv:5986/wsman');
  });

  it('bad addresses are usage errors', () => {
    expect(() => endpointUrl({ connectionUri: 'ftp://srv/' })).toThrow(WsmanUsageError);
    expect(() => endpointUrl({ connectionUri: 'not a uri' })).toThrow(WsmanUsageError);
    const withPassword = (() => { try { endpointUrl({ connectionUri: 'http://bob:hunter2@srv/wsman' }); return undefined; } catch (e) { return e as Error; } })();
    expect(withPassword).toBeInstanceOf(WsmanUsageError);
    expect(withPassword?.message).not.toContain('hunter2');
    // Without a scheme `srv:5985/wsman` would parse as a URL of scheme `srv:`: the error shows the form.
    expect(() => endpointUrl({ connectionUri: 'srv:5985/wsman' })).toThrow(/starts with http:\/\/ or https:\/\/ \(e\.g\. http:\/\/HOST:5985\/wsman/);
    expect(() => endpointUrl({ connectionUri: '127.0.0.1:5985/wsman' })).toThrow(/e\.g\. http:\/\/HOST:5985\/wsman/);
    expect(() => endpointUrl({ connectionUri: 'bob:hunter2@srv:5985/wsman' })).toThrow(/^(?!.*hunter2)/);
    expect(() => endpointUrl({ computerName: 'a b' })).toThrow(WsmanUsageError);
    expect(() => endpointUrl({ computerName: 'srv', port: 70000 })).toThrow(WsmanUsageError);
  });

  it('PSComputerName is the host', () => {
    expect(computerNameOf({ connectionUri: 'https://srv.example:5986/wsman' })).toBe('srv.example');
    expect(computerNameOf({ computerName: 'SRV' })).toBe('SRV');
  });
});

describe('configuration names', () => {
  it('default is the cmd shell; a bare name gets the PowerShell prefix; a URI stays', () => {
    expect(configurationUri(undefined)).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd');
    expect(configurationUri('Microsoft.PowerShell')).toBe('http://schemas.microsoft.com/powershell/Microsoft.PowerShell');
    expect(configurationUri('http://example/x')).toBe('http://example/x');
  });
});

describe('authentication selection', () => {
  it('no credential: unauthenticated; a certificate alone: certificate auth over HTTPS only', () => {
    expect(selectAuth({ https: false, host: 'h' }).kind).toBe('none');
    const cert = selectAuth({ https: true, host: 'h', hasClientCertificate: true });
    expect(cert.kind === 'header' && cert.header()).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual');
    expect(() => selectAuth({ https: false, host: 'h', authentication: 'certificate', hasClientCertificate: true })).toThrow(/HTTPS/);
  });

  it('default chooses Negotiate when offered, never Basic, and explains', () => {
    const p = selectAuth({ https: false, host: 'h', credential: { username: 'u', password: 'p' } });
    if (p.kind !== 'select') throw new Error('expected select');
    expect(p.choose(['negotiate', 'basic'], 'http://h/wsman').kind).toBe('context');
    expect(() => p.choose(['basic'], 'http://h/wsman')).toThrow(expect.objectContaining({ code: 'ERR_AUTH_UNENCRYPTED', message: expect.stringMatching(/offers basic.*--authentication basic --allow-unencrypted/) }));
    expect(() => p.choose(['kerberos'], 'http://h/wsman')).toThrow(/offers kerberos/);
  });

  it('parses several challenges in one header and in several', () => {
    expect(parseChallenges(['Negotiate', 'Basic realm="WSMAN"', 'Negotiate YWJj'])).toEqual([{ scheme: 'Negotiate' }, { scheme: 'Basic' }, { scheme: 'Negotiate', token: 'YWJj' }]);
    expect(parseChallenges('Basic realm="WSMAN", Negotiate')).toEqual([{ scheme: 'Basic' }, { scheme: 'Negotiate' }]);
  });
});

describe('line prefixing for fan-out output', () => {
  it('prefixes whole lines per computer and stream, keeps split UTF-8 characters, flushes the last partial line', async () => {
    const { LinePrefixer } = await import('../../src/cli/run.js');
    const out: string[] = [];
    const p = new LinePrefixer((stream, text) => out.push(`${stream}:${text}`));
    const bytes = Buffer.from('héllo\nwor');
    p.push('a', 'stdout', bytes.subarray(0, 2)); // splits the 2-byte é
    p.push('b', 'stdout', Buffer.from('x\n'));
    p.push('a', 'stdout', bytes.subarray(2));
    p.push('a', 'stderr', Buffer.from('e1\ne2'));
    p.flush('a');
    expect(out).toEqual(['stdout:[b] x\n', 'stdout:[a] héllo\n', 'stderr:[a] e1\n', 'stdout:[a] wor\n', 'stderr:[a] e2\n']);
  });
});
