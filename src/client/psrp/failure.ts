/**
 * A failed pipeline as an error (PowerShell: the RuntimeException Invoke() throws), and the message
 * of an error record.
 */
import { WsmanError } from '../../core/errors.js';
import type { PSValue } from '../../psrp/clixml/model.js';
import type { PipelineState } from '../../psrp/pipeline.js';

/** A pipeline that ended Failed (PowerShell: the RuntimeException Invoke() throws). */
export class PipelineFailedError extends WsmanError {
  constructor(
    message: string,
    /** The ExceptionAsErrorRecord the server sent, when it did. */
    readonly errorRecord: PSValue | undefined,
    readonly state: PipelineState,
  ) {
    super('ERR_PSRP_PIPELINE_FAILED', message);
    this.name = 'PipelineFailedError';
  }
}

/** The message of an error record (its ToString, or its Exception's Message). */
export function errorRecordMessage(record: PSValue | undefined): string {
  if (record && typeof record === 'object' && 'get' in record) {
    const ex = record.get('Exception');
    const msg = ex && typeof ex === 'object' && 'get' in ex ? ex.get('Message') : undefined;
    if (typeof msg === 'string') return msg;
    return record.toString();
  }
  return record === undefined || record === null ? 'the pipeline failed' : String(record);
}

/** A pipeline's streams ended because its pool was disconnected; it goes on on the server (Receive-PSSession gets the rest). */
export class PipelineDisconnectedError extends WsmanError {
  constructor(readonly pid: string, cause?: Error) {
    super('ERR_PSRP_PIPELINE_DISCONNECTED', `pipeline ${pid} was disconnected${cause ? ` (${cause.message})` : ''}; it keeps running on the server`);
    this.name = 'PipelineDisconnectedError';
    if (cause) Object.defineProperty(this, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  }
}
