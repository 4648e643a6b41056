/**
 * Typed errors of the PSRP layer. A bad peer message (CLIXML, fragment, message header) is a
 * PsrpProtocolError; a bad local call (a value we cannot serialize, a message too large to send) is
 * a WsmanUsageError. Both are WsmanErrors with a stable `code`.
 */
import { WsmanCode, WsmanProtocolError, WsmanUsageError } from '../core/errors.js';

/** Stable codes of PsrpProtocolError. */
export type PsrpErrorCode =
  | 'ERR_CLIXML_MALFORMED' // not CLIXML: unknown element, bad number, bad date, bad base64...
  | 'ERR_CLIXML_LIMIT' // nesting or size beyond the configured limits
  | 'ERR_PSRP_FRAGMENT' // a fragment header or sequence that cannot be reassembled
  | 'ERR_PSRP_LIMIT' // a reassembled message or the pending set beyond its quota
  | 'ERR_PSRP_MESSAGE' // a message header or body that does not follow MS-PSRP 2.2.1/2.2.2
  | 'ERR_PSRP_OUTOFPROC'; // an out-of-process packet that does not parse

/** The peer sent PSRP data we cannot accept. */
export class PsrpProtocolError extends WsmanProtocolError {
  constructor(code: PsrpErrorCode, message: string, options?: { cause?: unknown }) {
    const limit = code === 'ERR_CLIXML_LIMIT' || code === 'ERR_PSRP_LIMIT';
    super(code, message, { wsmanCode: limit ? WsmanCode.EncodingLimit : WsmanCode.SchemaValidationError }, options);
    this.name = 'PsrpProtocolError';
  }
}

/** A local value or argument the PSRP layer cannot represent. */
export function psrpUsage(message: string, code = 'ERR_PSRP_USAGE'): WsmanUsageError {
  return new WsmanUsageError(message, code);
}
