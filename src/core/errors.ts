/**
 * Typed errors. Three families, as in h11: a bad local call (WsmanUsageError), a bad peer message
 * (WsmanProtocolError), and a fault the peer sent on purpose (WsmanFaultError). Transport-level
 * failures have their own classes. Every error has a stable `code` to switch on.
 */

/** Base of every error this package throws. `code` is stable across versions. */
export class WsmanError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WsmanError';
    this.code = code;
  }
}

/** Our caller misused the API (a bad argument, a call in the wrong state). */
export class WsmanUsageError extends WsmanError {
  constructor(message: string, code = 'ERR_USAGE') {
    super(code, message);
    this.name = 'WsmanUsageError';
  }
}

/** What a listener should answer a request that raised a WsmanProtocolError. */
export interface FaultHint {
  /** Key into FAULT_CODES or a bare subcode description. */
  wsmanCode: number;
  /** A more precise reason than the table's generic one. */
  detail?: string;
  /** Answer with this HTTP status instead of a SOAP fault (e.g. 413). */
  httpStatus?: number;
}

/**
 * The peer sent something we cannot accept: malformed or hostile XML, bad base64, a missing
 * header. `code` says which; `fault` says how a listener answers it.
 */
export class WsmanProtocolError extends WsmanError {
  readonly fault: FaultHint;
  constructor(code: string, message: string, fault: FaultHint, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'WsmanProtocolError';
    this.fault = fault;
  }
}

export interface FaultInfo {
  /** SOAP Code value as a QName local part: Sender or Receiver (or MustUnderstand). */
  soapCode: 'Sender' | 'Receiver' | 'MustUnderstand' | 'VersionMismatch';
  /** Subcode as [namespace prefix, local name]; prefix one of a, w, n, wsse (or none). */
  subcode?: readonly [prefix: 'a' | 'w' | 'n' | 'wsse', local: string];
  name: string;
  /** Reason text as Windows words it (trailing spaces included where Windows has them). */
  reason: string;
  /** A sentence for people: what it usually means and what to do. */
  explanation: string;
  /** `w:FaultDetail` URI suffix, if Windows sends one. */
  faultDetail?: string;
}

/** WinRM codes (wsmerror.h) that matter on the wire, with their SOAP form (protocol.md §7). */
export const FAULT_CODES: ReadonlyMap<number, FaultInfo> = new Map<number, FaultInfo>([
  [5, { soapCode: 'Sender', subcode: ['w', 'AccessDenied'], name: 'ERROR_ACCESS_DENIED',
    reason: 'Access is denied. ',
    explanation: 'The user is authenticated but not allowed to use this resource or shell.' }],
  [2147942405, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'E_ACCESSDENIED',
    reason: 'Access is denied. ',
    explanation: 'The server refused the operation for this user (often a non-administrator reading configuration).' }],
  [2150858752, { soapCode: 'Sender', subcode: ['a', 'DestinationUnreachable'], name: 'ERROR_WSMAN_RESOURCE_NOT_FOUND',
    reason: 'The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. ',
    explanation: 'No such resource or instance.', faultDetail: 'ResourceNotFound' }],
  [2150858767, { soapCode: 'Sender', subcode: ['a', 'InvalidMessageInformationHeader'], name: 'ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER',
    reason: 'The WS-Management service cannot process the request because the header is invalid. ',
    explanation: 'A WS-Addressing or WS-Management header has a bad value (for example a negative OperationTimeout).' }],
  [2150858768, { soapCode: 'MustUnderstand', name: 'ERROR_WSMAN_SOAP_FAULT_MUST_UNDERSTAND',
    reason: 'The WS-Management service cannot process a SOAP header in the request that is marked as mustUnderstand by the client.  This could be caused by the use of a version of the protocol which is not supported, or may be an incompatibility  between the client and server implementations. ',
    explanation: 'The request carried a header marked mustUnderstand that the server does not implement.' }],
  [2150858769, { soapCode: 'Sender', subcode: ['a', 'MessageInformationHeaderRequired'], name: 'ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED',
    reason: 'The WS-Management service cannot process the request because a required header is missing. ',
    explanation: 'A required header (such as ReplyTo or MessageID) is missing.' }],
  [2150858770, { soapCode: 'Sender', subcode: ['a', 'DestinationUnreachable'], name: 'ERROR_WSMAN_DESTINATION_UNREACHABLE',
    reason: 'The WS-Management service cannot process the request because the destination is unreachable. ',
    explanation: 'The resource URI names nothing this endpoint serves.' }],
  [2150858771, { soapCode: 'Sender', subcode: ['a', 'ActionNotSupported'], name: 'ERROR_WSMAN_ACTION_NOT_SUPPORTED',
    reason: 'The WS-Management service cannot process the request because the action is not supported for the resource. ',
    explanation: 'The endpoint does not implement this Action for this resource URI.' }],
  [2150858779, { soapCode: 'Receiver', subcode: ['n', 'InvalidEnumerationContext'], name: 'ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT',
    reason: 'The enumeration context supplied in the message is not valid. ',
    explanation: 'The enumeration context is unknown, already finished, or expired; start a new enumeration.' }],
  // wsmerror.h's ERROR_WSMAN_ENUMERATE_CANNOT_PROCESS_FILTER (0x8033801A); the subcode is
  // WS-Enumeration's. [U] whether Windows sends this or a WMI error for a bad WQL query.
  [2150858778, { soapCode: 'Sender', subcode: ['n', 'CannotProcessFilter'], name: 'ERROR_WSMAN_ENUMERATE_CANNOT_PROCESS_FILTER',
    reason: 'The data source could not process the filter. The filter might be missing or it might be invalid. Change the filter and try the request again. ',
    explanation: 'The enumeration filter (a WQL query, say) is invalid or uses something the server does not support.' }],
  [2150858791, { soapCode: 'Sender', subcode: ['w', 'SchemaValidationError'], name: 'ERROR_WSMAN_INVALID_SOAP_BODY',
    reason: 'The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ',
    explanation: 'The SOAP body is not what the action requires.' }],
  [2150858793, { soapCode: 'Receiver', subcode: ['w', 'TimedOut'], name: 'ERROR_WSMAN_OPERATION_TIMEDOUT',
    reason: 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ',
    explanation: 'Nothing happened within OperationTimeout; for Receive this is normal and the client asks again.' }],
  [2150858802, { soapCode: 'Receiver', subcode: ['w', 'Concurrency'], name: 'ERROR_WSMAN_CONCURRENCY',
    reason: 'The action could not be completed due to concurrency issues. ',
    explanation: 'Another operation on the same resource is in progress.' }],
  [2150858805, { soapCode: 'Sender', subcode: ['w', 'EncodingLimit'], name: 'ERROR_WSMAN_ENCODING_LIMIT',
    reason: 'The WS-Management service cannot process the request because the XML is too large or the MaxEnvelopeSize is too small. ',
    explanation: 'An encoding limit was hit: MaxEnvelopeSize below 8192, or a request larger than the server accepts.' }],
  [2150858824, { soapCode: 'Sender', subcode: ['w', 'EncodingLimit'], name: 'ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED',
    reason: 'The response that the WS-Management service computed exceeds the maximum envelope size in the request. ',
    explanation: 'The answer does not fit in the MaxEnvelopeSize the client asked for; ask for a larger MaxEnvelopeSize.',
    faultDetail: 'MaxEnvelopeSize' }],
  [2150858806, { soapCode: 'Sender', subcode: ['wsse', 'FailedAuthentication'], name: 'ERROR_WSMAN_FAILED_AUTHENTICATION',
    reason: 'The user name or password is incorrect. ',
    explanation: 'Authentication failed.' }],
  [2150858809, { soapCode: 'Sender', subcode: ['w', 'InvalidOptions'], name: 'ERROR_WSMAN_INVALID_OPTIONS',
    reason: 'The WS-Management service does not support the specified option. ',
    explanation: 'An option in the OptionSet is unknown or has a bad value and was marked MustComply.' }],
  [2150858811, { soapCode: 'Sender', subcode: ['w', 'InvalidResourceURI'], name: 'ERROR_WSMAN_INVALID_RESOURCE_URI',
    reason: 'The WS-Management service cannot process the request because the resource URI is not valid. ',
    explanation: 'Unknown resource URI or session configuration name.' }],
  [2150858813, { soapCode: 'Sender', subcode: ['w', 'InvalidSelectors'], name: 'ERROR_WSMAN_INVALID_SELECTORS',
    reason: 'The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ',
    explanation: 'The SelectorSet is missing or malformed.' }],
  [2150858815, { soapCode: 'Sender', subcode: ['w', 'QuotaLimit'], name: 'ERROR_WSMAN_QUOTA_LIMIT',
    reason: 'The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. ',
    explanation: 'A per-user quota (shells, operations) is exhausted.' }],
  [2150858817, { soapCode: 'Sender', subcode: ['w', 'SchemaValidationError'], name: 'ERROR_WSMAN_SCHEMA_VALIDATION_ERROR',
    reason: 'The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ',
    explanation: 'The XML is malformed or does not follow the schema.' }],
  [2150858818, { soapCode: 'Sender', subcode: ['w', 'UnsupportedFeature'], name: 'ERROR_WSMAN_UNSUPPORTED_FEATURE',
    reason: 'The WS-Management service does not support the request. ',
    explanation: 'The request asks for a feature this endpoint does not implement.' }],
  [2150858843, { soapCode: 'Sender', subcode: ['w', 'InvalidSelectors'], name: 'ERROR_WSMAN_UNEXPECTED_SELECTORS',
    reason: 'The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ',
    explanation: 'The shell or command does not exist (any more): wrong ShellId/CommandId, or it was deleted after its idle timeout.',
    faultDetail: 'UnexpectedSelectors' }],
  [2150859173, { soapCode: 'Sender', subcode: ['w', 'QuotaLimit'], name: 'ERROR_WSMAN_QUOTA_MAX_SHELLS',
    reason: 'The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ',
    explanation: 'The user already has MaxShellsPerUser shells open.' }],
  [2150859174, { soapCode: 'Sender', subcode: ['w', 'QuotaLimit'], name: 'ERROR_WSMAN_QUOTA_MAX_OPERATIONS',
    reason: 'The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. ',
    explanation: 'The user already has MaxConcurrentOperationsPerUser operations in progress.' }],
  [2150859200, { soapCode: 'Sender', subcode: ['w', 'InvalidSelectors'], name: 'ERROR_WSMAN_ENUMERATE_SHELLCOMAMNDS_FILTER_EXPECTED',
    reason: 'The WS-Management service cannot process the request because the enumeration of shell commands requires a selector filter on ShellId. ',
    explanation: 'Enumerating commands needs a SelectorFilter naming the ShellId.' }],
  [2150859204, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'ERROR_WINRS_SHELL_DISCONNECTED',
    reason: 'The request is not valid because the shell is disconnected. Reconnect or connect to the shell first. ',
    explanation: 'The shell is disconnected: Reconnect (same client) or Connect (another client) before using it.' }],
  [2150859206, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH',
    reason: 'The shell was created by a different client session. ',
    explanation: 'This shell belongs to another client session.' }],
  [2150859213, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT',
    reason: 'The shell is connected to a different client and cannot be reconnected or connected to. ',
    explanation: 'Another client holds this shell (Availability Busy); it must disconnect first.' }],
  [2150859215, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'ERROR_WINRS_SHELL_DISCONNECT_OPERATION_NOT_VALID',
    reason: 'The shell is already disconnected. ',
    explanation: 'Disconnect was sent to a shell that is already disconnected.' }],
  [2150859216, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'ERROR_WINRS_SHELL_RECONNECT_OPERATION_NOT_VALID',
    reason: 'The shell is connected; reconnect is not valid. ',
    explanation: 'Reconnect or Connect was sent to a shell that is connected.' }],
  [2150859221, { soapCode: 'Sender', subcode: ['w', 'InvalidParameter'], name: 'ERROR_WINRS_SHELL_CLIENTID_NOT_VALID',
    reason: 'The ShellId specified by the client is not a valid GUID. ',
    explanation: 'A client-chosen ShellId must be a GUID.' }],
  [2150859223, { soapCode: 'Sender', subcode: ['w', 'AlreadyExists'], name: 'ERROR_WINRS_SHELL_CLIENTID_RESOURCE_CONFLICT',
    reason: 'A shell with the specified ShellId already exists. ',
    explanation: 'The client-chosen ShellId is already in use.' }],
  // wsmerror.h has no code naming MaxProcessesPerShell (Windows enforces it with a job object inside
  // the shell); this is its code for a shell that may start no more commands.
  [2150859241, { soapCode: 'Sender', subcode: ['w', 'QuotaLimit'], name: 'ERROR_WSMAN_QUOTA_MAX_COMMANDS_PER_SHELL_PPQ',
    reason: 'The WS-Management service cannot process the request. The maximum number of concurrent commands per shell has been exceeded. Retry the request later or raise the Maximum Commands per Shell quota. ',
    explanation: 'The shell already runs MaxProcessesPerShell commands; wait for one to finish or raise the quota.' }],
  [2150859250, { soapCode: 'Sender', subcode: ['w', 'InvalidParameter'], name: 'ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS',
    reason: 'The IdleTimeout value is outside the allowed range (above MaxIdleTimeout). ',
    explanation: 'IdleTimeout must be positive and at most the configuration\'s MaxIdleTimeout.' }],
  [2152991685, { soapCode: 'Sender', subcode: ['w', 'InvalidParameter'], name: 'PSRP_PROTOCOL_VERSION_MISMATCH',
    reason: 'The PowerShell remoting protocol version is not supported. ',
    explanation: 'The client and server speak incompatible PSRP versions.' }],
  [50, { soapCode: 'Receiver', subcode: ['w', 'InternalError'], name: 'ERROR_NOT_SUPPORTED',
    reason: 'The request is not supported. ',
    explanation: 'The server does not support this request (for example a chunked body).' }],
]);

/** Named WinRM codes, for readable call sites. */
export const WsmanCode = {
  AccessDenied: 5,
  NotSupported: 50,
  ResourceNotFound: 2150858752,
  InvalidMessageInformationHeader: 2150858767,
  MustUnderstand: 2150858768,
  MessageInformationHeaderRequired: 2150858769,
  DestinationUnreachable: 2150858770,
  ActionNotSupported: 2150858771,
  InvalidEnumerationContext: 2150858779,
  InvalidSoapBody: 2150858791,
  TimedOut: 2150858793,
  EncodingLimit: 2150858805,
  MaxEnvelopeSizeExceeded: 2150858824,
  InvalidOptions: 2150858809,
  InvalidResourceURI: 2150858811,
  InvalidSelectors: 2150858813,
  QuotaLimit: 2150858815,
  SchemaValidationError: 2150858817,
  UnsupportedFeature: 2150858818,
  UnexpectedSelectors: 2150858843,
  QuotaMaxShells: 2150859173,
  QuotaMaxOperations: 2150859174,
  ShellCommandsFilterExpected: 2150859200,
  ShellDisconnected: 2150859204,
  ShellConnectedToDifferentClient: 2150859213,
  ShellAlreadyDisconnected: 2150859215,
  ReconnectNotValid: 2150859216,
  ShellIdNotValid: 2150859221,
  ShellIdConflict: 2150859223,
  QuotaMaxCommandsPerShell: 2150859241,
  IdleTimeoutOutOfBounds: 2150859250,
  PsrpVersionMismatch: 2152991685,
} as const;

/** Fields of a SOAP fault as the peer sent it. */
export interface FaultFields {
  /** SOAP code local name: Sender, Receiver, MustUnderstand… */
  soapCode: string;
  /** Subcode as written, e.g. `w:TimedOut` (prefix as resolved to our conventional one). */
  subcode?: string;
  reason?: string;
  /** `w:FaultDetail` URI. */
  faultDetail?: string;
  /** `f:WSManFault/@Code`. */
  wsmanCode?: number;
  machine?: string;
  /** `f:Message` text (the innermost message when a ProviderFault nests one). */
  message?: string;
  /**
   * `f:ProviderFault`: the plugin that failed. `wsmanCode` and `machine` are those of a nested
   * `f:WSManFault` (WsmSvc writes one; shell plugins write the message as plain text).
   */
  providerFault?: { provider?: string; path?: string; message?: string; wsmanCode?: number; machine?: string };
}

/** A SOAP fault the peer sent (Windows' `WSManFault`). */
export class WsmanFaultError extends WsmanError {
  readonly soapCode: string;
  readonly subcode: string | undefined;
  readonly reason: string | undefined;
  readonly faultDetail: string | undefined;
  readonly wsmanCode: number | undefined;
  readonly machine: string | undefined;
  readonly wsmanMessage: string | undefined;
  readonly providerFault: FaultFields['providerFault'];
  /** The Windows name of the code (e.g. ERROR_WSMAN_OPERATION_TIMEDOUT), when known. */
  readonly wsmanName: string | undefined;
  /** What the code usually means, in words. */
  readonly explanation: string | undefined;

  constructor(fields: FaultFields) {
    const info = fields.wsmanCode === undefined ? undefined : FAULT_CODES.get(fields.wsmanCode);
    const text = (fields.message ?? fields.reason ?? 'SOAP fault').trim();
    const codePart = fields.wsmanCode === undefined ? '' : ` (${fields.wsmanCode}${info ? ` ${info.name}` : ''})`;
    const where = fields.machine ? ` from ${fields.machine}` : '';
    // The FaultDetail's last segment (InvalidResourceURI, UnexpectedSelectors…) says more than the
    // subcode: it belongs in the one line people read.
    const detail = fields.faultDetail?.trim().replace(/^.*\//, '');
    const detailPart = detail ? ` [${detail}]` : '';
    super('ERR_FAULT', `${fields.subcode ?? fields.soapCode}${codePart}${detailPart}${where}: ${text}`);
    this.name = 'WsmanFaultError';
    this.soapCode = fields.soapCode;
    this.subcode = fields.subcode;
    this.reason = fields.reason;
    this.faultDetail = fields.faultDetail;
    this.wsmanCode = fields.wsmanCode;
    this.machine = fields.machine;
    this.wsmanMessage = fields.message;
    this.providerFault = fields.providerFault;
    this.wsmanName = info?.name;
    this.explanation = info?.explanation;
  }
}

/** Could not reach the endpoint, or the connection broke. */
export class WsmanNetworkError extends WsmanError {
  constructor(message: string, options?: { cause?: unknown }, code = 'ERR_NETWORK') {
    super(code, message, options);
    this.name = 'WsmanNetworkError';
  }
}

/** The HTTP request took longer than allowed (not the Receive TimedOut fault, which is routine). */
export class WsmanTimeoutError extends WsmanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', message, options);
    this.name = 'WsmanTimeoutError';
  }
}

/** The server refused our credentials, or the handshake failed. Never carries a secret. */
export class WsmanAuthError extends WsmanError {
  constructor(message: string, code = 'ERR_AUTH', options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'WsmanAuthError';
  }
}

/** TLS verification failed (untrusted CA, name mismatch, thumbprint mismatch). */
export class WsmanTlsError extends WsmanError {
  constructor(message: string, code = 'ERR_TLS', options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'WsmanTlsError';
  }
}

/** An optional native part (e.g. the `kerberos` package) is not installed. */
export class FeatureMissingError extends WsmanError {
  constructor(feature: string, hint: string) {
    super('ERR_FEATURE_MISSING', `${feature} is not available: ${hint}`);
    this.name = 'FeatureMissingError';
  }
}

/** Shorthand for the peer-input error with its fault hint. */
export function protocolError(code: string, message: string, wsmanCode: number, extra?: Omit<FaultHint, 'wsmanCode'>): WsmanProtocolError {
  return new WsmanProtocolError(code, message, { wsmanCode, ...extra });
}
