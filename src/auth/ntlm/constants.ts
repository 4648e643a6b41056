/** NTLM constants (MS-NLMP §2.2.2.5 NEGOTIATE flags, §2.2.2.1 AV_PAIR ids). */

export const NTLMSSP_SIGNATURE = new Uint8Array([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]); // "NTLMSSP\0"

export const NegotiateFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  DATAGRAM: 0x00000040,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  OEM_DOMAIN_SUPPLIED: 0x00001000,
  OEM_WORKSTATION_SUPPLIED: 0x00002000,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000,
  NON_NT_SESSION_KEY: 0x00400000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  N128: 0x20000000,
  KEY_EXCH: 0x40000000,
  N56: 0x80000000,
} as const;

/** AV_PAIR AvId values. */
export const AvId = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

/** MsvAvFlags bits. */
export const AvFlags = {
  CONSTRAINED: 0x1,
  MIC_PRESENT: 0x2,
  UNTRUSTED_SPN: 0x4,
} as const;

/** Magic constants of SIGNKEY/SEALKEY (MS-NLMP §3.4.5.2–3), NUL terminator included. */
export const MAGIC = {
  clientSign: 'session key to client-to-server signing key magic constant\0',
  serverSign: 'session key to server-to-client signing key magic constant\0',
  clientSeal: 'session key to client-to-server sealing key magic constant\0',
  serverSeal: 'session key to server-to-client sealing key magic constant\0',
} as const;

/** VERSION structure of Windows Server 2022 (10.0.20348, NTLMSSP revision 15). */
export const DEFAULT_VERSION = new Uint8Array([0x0a, 0x00, 0x7c, 0x4f, 0x00, 0x00, 0x00, 0x0f]);

/** Flags our client asks for in NEGOTIATE: NTLMv2 session security with 128-bit sealing. */
export const CLIENT_FLAGS =
  NegotiateFlags.UNICODE | NegotiateFlags.OEM | NegotiateFlags.REQUEST_TARGET | NegotiateFlags.SIGN |
  NegotiateFlags.SEAL | NegotiateFlags.NTLM | NegotiateFlags.ALWAYS_SIGN |
  NegotiateFlags.EXTENDED_SESSIONSECURITY | NegotiateFlags.TARGET_INFO | NegotiateFlags.VERSION |
  NegotiateFlags.N128 | NegotiateFlags.KEY_EXCH | NegotiateFlags.N56;

/** Flags a server keeps from the client's NEGOTIATE (the rest it sets itself). */
export const SERVER_ECHO_FLAGS =
  NegotiateFlags.SIGN | NegotiateFlags.SEAL | NegotiateFlags.ALWAYS_SIGN |
  NegotiateFlags.EXTENDED_SESSIONSECURITY | NegotiateFlags.N128 | NegotiateFlags.KEY_EXCH |
  NegotiateFlags.N56 | NegotiateFlags.IDENTIFY;
