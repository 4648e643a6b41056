/** Identify (protocol.md §2) and Get of the WinRM configuration resource (`winrm get winrm/config`). */
import { Action, type IdentifyResponseBody, type ConfigTree } from '../../core/index.js';
import type { WsmanRequest, Reply, ListenerCore } from '../core.js';

const PROTOCOL_VERSION = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';
const VENDOR = 'Microsoft Corporation';

/** The IdentifyResponse; unauthenticated answers carry no SecurityProfiles and a zeroed version. */
export function identifyBody(core: ListenerCore, authenticated: boolean, secure: boolean): IdentifyResponseBody {
  const b: IdentifyResponseBody = {
    kind: 'IdentifyResponse',
    protocolVersion: PROTOCOL_VERSION,
    productVendor: VENDOR,
    productVersion: authenticated ? 'OS: 10.0.17763 SP: 0.0 Stack: 3.0' : 'OS: 0.0.0 SP: 0.0 Stack: 3.0',
  };
  // A scheme offered on one transport only (certificate: HTTPS) has an empty profile on the other.
  // spnego-kerberos promises Kerberos: our Negotiate is NTLM only, so it is listed only when the
  // Kerberos scheme is offered too (`wsman listen --kerberos`); DSP0226 has no NTLM profile.
  const kerberos = core.authenticators.some((a) => a.scheme.toLowerCase() === 'kerberos');
  if (authenticated) {
    b.securityProfiles = [...new Set(core.authenticators.map((a) => (secure ? a.profiles.https : a.profiles.http)))]
      .filter((p) => p !== '' && (kerberos || !p.endsWith('/spnego-kerberos')));
  }
  return b;
}

export async function getConfig(req: WsmanRequest): Promise<Reply> {
  const c = req.core.config;
  const cmd = c.configurations[0]!;
  const yesNo = (b: boolean): string => (b ? 'true' : 'false');
  const basic = req.core.authenticators.some((a) => a.scheme === 'Basic');
  const config: ConfigTree = {
    MaxEnvelopeSizekb: String(c.maxEnvelopeSizeKb),
    MaxTimeoutms: String(c.maxTimeoutMs),
    MaxBatchItems: '32000',
    MaxProviderRequests: '4294967295',
    Client: { NetworkDelayms: '5000', URLPrefix: 'wsman', AllowUnencrypted: 'false', TrustedHosts: '' },
    Service: {
      MaxConcurrentOperations: '4294967295',
      MaxConcurrentOperationsPerUser: String(cmd.maxConcurrentOperationsPerUser),
      EnumerationTimeoutms: String(c.enumerationTimeoutMs),
      MaxConnections: '300',
      MaxPacketRetrievalTimeSeconds: '120',
      AllowUnencrypted: yesNo(req.core.allowUnencrypted),
      Auth: { Basic: yesNo(basic), Kerberos: yesNo(req.core.authenticators.some((a) => a.scheme === 'Kerberos')), Negotiate: yesNo(req.core.authenticators.some((a) => a.scheme === 'Negotiate')), Certificate: yesNo(req.core.authenticators.some((a) => a.profiles.https.endsWith('/https/mutual'))), CredSSP: 'false', CbtHardeningLevel: 'Relaxed' },
      IPv4Filter: '*',
      IPv6Filter: '*',
    },
    Winrs: {
      AllowRemoteShellAccess: 'true',
      IdleTimeout: String(cmd.idleTimeoutMs),
      MaxConcurrentUsers: '2147483647',
      MaxProcessesPerShell: String(cmd.maxProcessesPerShell),
      MaxMemoryPerShellMB: String(cmd.maxMemoryPerShellMB),
      MaxShellsPerUser: String(cmd.maxShellsPerUser),
      // Ours (Windows has no per-user memory quota): the output all of one user's shells may hold.
      MaxMemoryPerUserMB: String(c.maxMemoryPerUserMB),
    },
  };
  // Ours, like `Get-PSSessionConfiguration` (Windows keeps these under winrm/config/plugin):
  // every session configuration with its resource URI and what serves it.
  const plugins: ConfigTree = {};
  for (const s of c.configurations) {
    plugins[xmlName(s.name)] = {
      Name: s.name,
      ResourceUri: s.resourceUri,
      Backend: s.backend ?? 'cmd',
      ...(s.backend === 'pwsh' && s.pwsh ? { Executable: s.pwsh.path } : {}),
      IdleTimeoutms: String(s.idleTimeoutMs),
      MaxShellsPerUser: String(s.maxShellsPerUser),
      OutputBufferingMode: s.outputBufferingMode,
    };
  }
  config.SessionConfigurations = plugins;
  return { kind: 'soap', action: Action.GetResponse, body: { kind: 'Config', config } };
}

/** A configuration name as an element name (letters, digits, '.', '-', '_'; not starting with a digit). */
function xmlName(name: string): string {
  const t = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(t) ? t : `_${t}`;
}
