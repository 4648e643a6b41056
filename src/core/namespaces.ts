/**
 * Namespace, Action and ResourceURI constants (MS-WSMV §2.2.1, DSP0226 Annex A).
 * Prefixes are ours to choose on the wire; we write the ones Windows writes in its responses.
 */

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  x: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  n: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  e: 'http://schemas.xmlsoap.org/ws/2004/08/eventing',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
  wsmid: 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd',
  cfg: 'http://schemas.microsoft.com/wbem/wsman/1/config',
  b: 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xml: 'http://www.w3.org/XML/1998/namespace',
  ps: 'http://schemas.microsoft.com/powershell',
} as const;

/** The misprinted identity namespace of MS-WSMV §2.2.1; accepted in requests, never sent. */
export const NS_WSMID_MISPRINT = 'http://schemas.dmtf.org/wbem/wsman/identify/1/wsmanidentity.xsd';

export type Prefix = keyof typeof NS;

export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

const TRANSFER = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';
const ENUMERATION = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration';
const SHELL = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';

export const Action = {
  Get: `${TRANSFER}/Get`,
  GetResponse: `${TRANSFER}/GetResponse`,
  Put: `${TRANSFER}/Put`,
  PutResponse: `${TRANSFER}/PutResponse`,
  Create: `${TRANSFER}/Create`,
  CreateResponse: `${TRANSFER}/CreateResponse`,
  Delete: `${TRANSFER}/Delete`,
  DeleteResponse: `${TRANSFER}/DeleteResponse`,
  Enumerate: `${ENUMERATION}/Enumerate`,
  EnumerateResponse: `${ENUMERATION}/EnumerateResponse`,
  Pull: `${ENUMERATION}/Pull`,
  PullResponse: `${ENUMERATION}/PullResponse`,
  Release: `${ENUMERATION}/Release`,
  ReleaseResponse: `${ENUMERATION}/ReleaseResponse`,
  Command: `${SHELL}/Command`,
  CommandResponse: `${SHELL}/CommandResponse`,
  Send: `${SHELL}/Send`,
  SendResponse: `${SHELL}/SendResponse`,
  Receive: `${SHELL}/Receive`,
  ReceiveResponse: `${SHELL}/ReceiveResponse`,
  Signal: `${SHELL}/Signal`,
  SignalResponse: `${SHELL}/SignalResponse`,
  Disconnect: `${SHELL}/Disconnect`,
  DisconnectResponse: `${SHELL}/DisconnectResponse`,
  Reconnect: `${SHELL}/Reconnect`,
  ReconnectResponse: `${SHELL}/ReconnectResponse`,
  Connect: `${SHELL}/Connect`,
  ConnectResponse: `${SHELL}/ConnectResponse`,
  /** Fault action for `w:` subcodes. */
  WsmanFault: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  /** Fault action for `a:` subcodes. */
  AddressingFault: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault',
  /** Fault action for `n:` subcodes (WS-Enumeration §4). */
  EnumerationFault: `${ENUMERATION}/fault`,
  /** Fault action for SOAP-level faults (MustUnderstand, VersionMismatch). */
  SoapFault: 'http://www.w3.org/2005/08/addressing/soap/fault',
} as const;

export const ResourceURI = {
  /** The cmd shell (WinRS). */
  Cmd: `${SHELL}/cmd`,
  /** Enumerating or getting shells of any kind. */
  Shell: SHELL,
  /** Enumerating a shell's commands (with a ShellId SelectorFilter). */
  ShellCommand: `${SHELL}/Command`,
  Config: 'http://schemas.microsoft.com/wbem/wsman/1/config',
  /** Prefix of PowerShell session configurations. */
  PowerShellPrefix: 'http://schemas.microsoft.com/powershell/',
} as const;

export const CommandStateURI = {
  Done: `${SHELL}/CommandState/Done`,
  Running: `${SHELL}/CommandState/Running`,
  Pending: `${SHELL}/CommandState/Pending`,
} as const;

export const SignalURI = {
  Terminate: `${SHELL}/signal/terminate`,
  CtrlC: `${SHELL}/signal/ctrl_c`,
  CtrlBreak: `${SHELL}/signal/ctrl_break`,
  /** What PowerShell's client really sends to stop a pipeline (sic: MS-PSRP keeps the typo). */
  PowerShellStop: 'http://schemas.microsoft.com/powershell/signal/crtl_c',
  PowerShellCtrlC: 'http://schemas.microsoft.com/powershell/signal/ctrl_c',
} as const;

export const SecurityProfile = {
  HttpBasic: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic',
  HttpsBasic: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/basic',
  HttpSpnegoKerberos: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos',
  HttpsSpnegoKerberos: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/spnego-kerberos',
  HttpsMutual: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual',
} as const;

export const FAULT_DETAIL_PREFIX = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/';
export const SELECTOR_FILTER_DIALECT = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter';
/**
 * The ShellId of a command enumeration's SelectorFilter that asks for the commands of all the
 * caller's shells at once, each item with its rsp:ShellId (our listener's extension; Windows
 * faults on it as on any ShellId it has no shell for, and clients fall back to one per shell).
 */
export const ALL_SHELLS_SELECTOR = '*';
