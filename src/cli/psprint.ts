/**
 * Printing a PowerShell pipeline's records as `wsman invoke` does, one record at a time (the
 * streams of a pipeline being received, or the records of a PowerShell job): output objects to
 * stdout in PowerShell's default view, or one JSON line each with `--json`; error records to
 * stderr as PowerShell 7 prints them; warnings, verbose and debug messages to stderr with
 * PowerShell's prefixes; Write-Information text to stdout.
 */
import type { PSValue } from '../psrp/clixml/model.js';
import type { ErrorRecordMessage, InformationalRecordMessage, InformationRecordMessage } from '../psrp/messages/records.js';
import type { PSJobRecord } from '../client/sessions/psjob.js';
import { DefaultView, formatErrorRecord, jsonValue, valueText } from './psformat.js';
import { writeStdout } from './stdout.js';

const PREFIX = { Warning: 'WARNING', Verbose: 'VERBOSE', Debug: 'DEBUG' } as const;

/** Prints records as they come; `status` is 1 once an error was printed (or the pipeline failed). */
export class RecordPrinter {
  status = 0;

  constructor(private readonly json: boolean | undefined, readonly view = new DefaultView()) {}

  private line(stream: string, value: unknown): void {
    writeStdout(`${JSON.stringify({ Stream: stream, Value: value })}\n`);
  }

  /** An output object. */
  output(v: PSValue): void {
    if (this.json) this.line('Output', jsonValue(v));
    else writeStdout(this.view.write(v));
  }

  /** An error record (Write-Error, or a pipeline's terminating error). */
  error(e: ErrorRecordMessage): void {
    this.status = 1;
    if (this.json) this.line('Error', { Message: e.message, FullyQualifiedErrorId: e.fullyQualifiedErrorId, Record: jsonValue(e.record) });
    else process.stderr.write(formatErrorRecord(e.message, e.record, e.fullyQualifiedErrorId));
  }

  /** A warning, verbose or debug message. */
  note(stream: keyof typeof PREFIX, m: InformationalRecordMessage): void {
    if (this.json) this.line(stream, m.message);
    else process.stderr.write(`${PREFIX[stream]}: ${m.message}\n`);
  }

  /** Write-Information to stdout, as a console host shows it; Write-Host's records (tag PSHOST) the host showed already. */
  information(m: InformationRecordMessage): void {
    if (this.json) this.line('Information', jsonValue(m.messageData));
    else if (!m.tags.includes('PSHOST')) writeStdout(`${this.view.end()}${valueText(m.messageData)}\n`);
  }

  /** A pipeline ended Failed: its error, given as a message and the record the server sent. */
  failed(message: string, record: PSValue | undefined): void {
    this.status = 1;
    if (this.json) this.line('Error', { Message: message, Record: jsonValue(record) });
    else process.stderr.write(formatErrorRecord(message, record));
  }

  /** A record of a PowerShell job. */
  record(r: PSJobRecord): void {
    switch (r.stream) {
      case 'Output': return this.output(r.value);
      case 'Error': return this.error(r.record);
      case 'Warning': case 'Verbose': case 'Debug': return this.note(r.stream, r.record);
      case 'Information': return this.information(r.record);
      case 'Progress': return undefined;
    }
  }

  /** The end of the output: a table still being collected is printed. */
  end(): void {
    if (!this.json) writeStdout(this.view.end());
  }
}
