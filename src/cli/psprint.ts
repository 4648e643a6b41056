/**
 * Printing a PowerShell pipeline's records as `wsman invoke` does, one record at a time (the
 * streams of a pipeline being received, or the records of a PowerShell job): output objects to
 * stdout in PowerShell's default view, or one JSON line each with `--json`; error records to
 * stderr as PowerShell 7 prints them; warnings, verbose and debug messages to stderr with
 * PowerShell's prefixes; Write-Information text to stdout. A message the server also wrote through
 * our host (a server with a host writes Write-Warning, -Verbose, -Debug, Write-Host and a visible
 * Write-Information both as a host call and as a record) prints once, as PowerShell shows it.
 */
import { PSObject, type PSValue } from '../psrp/clixml/model.js';
import type { ErrorRecordMessage, InformationalRecordMessage, InformationRecordMessage } from '../psrp/messages/records.js';
import type { PSJobRecord } from '../client/sessions/psjob.js';
import type { HostOutput } from '../client/psrp/host.js';
import { DefaultView, formatErrorRecord, jsonValue, valueText } from './psformat.js';
import { writeStdout } from './stdout.js';

const PREFIX = { Warning: 'WARNING', Verbose: 'VERBOSE', Debug: 'DEBUG' } as const;

/** At most this many messages wait to be matched with their other copy (a host call or a record). */
const PENDING_QUOTA = 256;

/**
 * Messages printed from one side (host calls, records) that the other side may still send: the
 * second copy of a message is recognized and dropped, whichever comes first.
 */
class Twins {
  private readonly pending = { host: [] as string[], record: [] as string[] };

  /** True when `key` was printed from the other side already (then it is matched and forgotten). */
  seen(side: 'host' | 'record', key: string): boolean {
    const other = this.pending[side === 'host' ? 'record' : 'host'];
    const i = other.indexOf(key);
    if (i >= 0) {
      other.splice(i, 1);
      return true;
    }
    const mine = this.pending[side];
    mine.push(key);
    if (mine.length > PENDING_QUOTA) mine.shift();
    return false;
  }
}

/** Whether Write-Host's record (a HostInformationMessage) says `-NoNewline`. */
function noNewLine(data: PSValue): boolean {
  return data instanceof PSObject && data.typeNames[0] === 'System.Management.Automation.HostInformationMessage' && data.get('NoNewLine') === true;
}

/** Prints records as they come; `status` is 1 once an error was printed (or the pipeline failed). */
export class RecordPrinter {
  status = 0;
  private readonly twins = new Twins();

  /** `view`: by default one fitted to the terminal's width when stdout is one. */
  constructor(private readonly json: boolean | undefined, readonly view = new DefaultView(process.stdout.isTTY ? process.stdout.columns : undefined)) {}

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

  /**
   * Where the pipeline's host (nonInteractiveHost) writes: host text to stdout, error, warning,
   * verbose and debug lines to stderr, each printed once with its record. With `--json` the
   * records are the lines printed and the host's copies are dropped.
   */
  hostOutput(): HostOutput {
    return {
      write: (t) => {
        if (this.json || this.twins.seen('host', `out\0${t.replace(/\n$/, '')}`)) return;
        writeStdout(this.view.end() + t);
      },
      writeError: (t) => {
        const note = /^(WARNING|VERBOSE|DEBUG): /.test(t);
        if (note && (this.json || this.twins.seen('host', `err\0${t.replace(/\n$/, '')}`))) return;
        process.stderr.write(t);
      },
    };
  }

  /** A warning, verbose or debug message. */
  note(stream: keyof typeof PREFIX, m: InformationalRecordMessage): void {
    const text = `${PREFIX[stream]}: ${m.message}`;
    if (this.json) this.line(stream, m.message);
    else if (!this.twins.seen('record', `err\0${text}`)) process.stderr.write(`${text}\n`);
  }

  /** Write-Information and Write-Host text to stdout, as a console host shows it (once, when the host showed it too). */
  information(m: InformationRecordMessage): void {
    const text = valueText(m.messageData);
    if (this.json) this.line('Information', jsonValue(m.messageData));
    else if (!this.twins.seen('record', `out\0${text}`)) writeStdout(`${this.view.end()}${text}${noNewLine(m.messageData) ? '' : '\n'}`);
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
