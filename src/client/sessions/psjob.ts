/**
 * The job of a PowerShell session (`Receive-PSSession -OutTarget Job` of a runspace pool): it holds
 * what Receive-Job gives, the deserialized output objects with their type names and the records of
 * the other streams (errors, warnings, verbose, debug, information, progress), in arrival order.
 * Its state follows the pipelines: Running, then Completed (errors written do not fail it, as in
 * PowerShell), Failed (a pipeline ended with a terminating error), Stopped, or Disconnected (the
 * session was disconnected again, or the connection lost: the pipelines go on on the server).
 */
import { PSObject, type PSValue } from '../../psrp/clixml/model.js';
import type { ErrorRecordMessage, InformationalRecordMessage, InformationRecordMessage, ProgressRecordMessage } from '../../psrp/messages/records.js';
import type { PipelineState } from '../../psrp/pipeline.js';
import { PipelineFailedError, errorRecordMessage } from '../psrp/failure.js';
import { Job, type JobOutput, type JobState } from './job.js';
import { valueLine, type ReceivedPipeline } from './powershell.js';

/** PowerShell's job streams (Job.Output, Job.Error, Job.Warning, …). */
export type PSJobStream = 'Output' | 'Error' | 'Warning' | 'Verbose' | 'Debug' | 'Information' | 'Progress';

/** One item of a PowerShell job: an output object, or a record of another stream; `commandId` is the pipeline that wrote it. */
export type PSJobRecord =
  | { stream: 'Output'; value: PSValue; commandId: string }
  /** `terminating`: the error that failed the pipeline (PowerShell's JobStateInfo.Reason, also in Job.Error). */
  | { stream: 'Error'; record: ErrorRecordMessage; commandId: string; terminating?: boolean }
  | { stream: 'Warning' | 'Verbose' | 'Debug'; record: InformationalRecordMessage; commandId: string }
  | { stream: 'Information'; record: InformationRecordMessage; commandId: string }
  | { stream: 'Progress'; record: ProgressRecordMessage; commandId: string };

/** Records a PowerShell job holds not received yet, by default: past this, receiving waits (the server keeps the rest). */
export const PS_JOB_CAPACITY = 100_000;

/**
 * The job of a PowerShell session's pipelines (PowerShell: the PSRemotingJob that
 * `Receive-PSSession -OutTarget Job` returns). `receiveRecords()` is Receive-Job, `records()`
 * Receive-Job -Wait; `receive()`, `receiveText()` and `for await` give the same items as text
 * (output objects as their ToString, errors on stderr), as a cmd session's Job does.
 */
export class PowerShellJob extends Job {
  private errors = 0;

  /** `capacity`: records held not received before receiving waits for a Receive-Job (default PS_JOB_CAPACITY). */
  constructor(id: number, name: string, location: string, command: string, opts: { capacity?: number } = {}) {
    super(id, name, location, command);
    this.capacity = opts.capacity ?? PS_JOB_CAPACITY;
  }

  /** Receive-Job: the records not received yet, every stream, in arrival order; with `keep` they stay for the next receive. */
  receiveRecords(opts: { keep?: boolean } = {}): PSJobRecord[] {
    return this.take(opts) as PSJobRecord[];
  }

  /** Receive-Job -Wait: each record once, as it arrives, until the job ends. */
  async *records(): AsyncGenerator<PSJobRecord> {
    for await (const e of this.entriesLive()) yield e as PSJobRecord;
  }

  /** The records of one stream not received yet (Job.Output, Job.Error, Job.Warning… of PowerShell). */
  recordsOf<S extends PSJobStream>(stream: S): Array<PSJobRecord & { stream: S }> {
    return (this.pending() as PSJobRecord[]).filter((r): r is PSJobRecord & { stream: S } => r.stream === stream);
  }

  /** Job.Output: the output objects not received yet. */
  get output(): PSValue[] {
    return this.recordsOf('Output').map((r) => r.value);
  }

  /** Job.Error: the error records not received yet (`error` is the job's failure, JobStateInfo.Reason). */
  get errorRecords(): ErrorRecordMessage[] {
    return this.recordsOf('Error').map((r) => r.record);
  }

  /** PowerShell.HadErrors: a pipeline wrote an error or failed. */
  get hadErrors(): boolean {
    return this.errors > 0;
  }

  /** @internal A record arrived; resolves when the job has room for more. */
  collect(r: PSJobRecord): Promise<void> {
    if (r.stream === 'Error') this.errors++;
    return this.add(r);
  }

  /** Output objects as their ToString on stdout, error records' messages on stderr; other streams are not text. */
  protected override textOf(e: unknown): JobOutput[] {
    const r = e as PSJobRecord;
    const line = (stream: 'stdout' | 'stderr', s: string): JobOutput[] => [{ stream, data: Buffer.from(`${s}\n`), commandId: r.commandId }];
    if (r.stream === 'Output') return line('stdout', valueLine(r.value));
    if (r.stream === 'Error') return line('stderr', r.record.message);
    return [];
  }
}

/** The terminating error of a Failed pipeline as an error record, when the server sent one. */
function failureRecord(error: PSValue | undefined): ErrorRecordMessage | undefined {
  if (!(error instanceof PSObject)) return undefined;
  const fq = error.get('FullyQualifiedErrorId');
  const cat = error.get('ErrorCategory_Category');
  return {
    type: 'ERROR_RECORD', message: errorRecordMessage(error), fullyQualifiedErrorId: typeof fq === 'string' ? fq : null,
    category: typeof cat === 'number' ? cat : null, record: error,
  };
}

/** Collect one pipeline's streams into the job; resolves with its final state (rejects as its streams do). */
async function collectPipeline(job: PowerShellJob, { pid, streams: s }: ReceivedPipeline): Promise<{ state: PipelineState; error?: PSValue }> {
  const commandId = pid;
  const pump = async <T>(it: AsyncIterable<T>, rec: (x: T) => PSJobRecord): Promise<void> => {
    for await (const x of it) await job.collect(rec(x));
  };
  await Promise.all([
    pump(s.output, (value) => ({ stream: 'Output', value, commandId })),
    pump(s.error, (record) => ({ stream: 'Error', record, commandId })),
    pump(s.warning, (record) => ({ stream: 'Warning', record, commandId })),
    pump(s.verbose, (record) => ({ stream: 'Verbose', record, commandId })),
    pump(s.debug, (record) => ({ stream: 'Debug', record, commandId })),
    pump(s.information, (record) => ({ stream: 'Information', record, commandId })),
    pump(s.progress, (record) => ({ stream: 'Progress', record, commandId })),
  ]);
  const end = await s.completion;
  const record = end.state === 'Failed' ? failureRecord(end.error) : undefined;
  if (record) await job.collect({ stream: 'Error', record, commandId, terminating: true });
  return end;
}

/** The job's state from its pipelines' (PowerShell's PSRemotingJob from its child jobs): Failed, then Stopped, then Completed. */
function jobState(ends: Array<{ state: PipelineState }>): Exclude<JobState, 'Running'> {
  if (ends.some((e) => e.state === 'Disconnected')) return 'Disconnected';
  if (ends.some((e) => e.state === 'Failed')) return 'Failed';
  if (ends.some((e) => e.state === 'Stopped')) return 'Stopped';
  return 'Completed';
}

/**
 * @internal Collect pipelines into the job and end it with their state; exit code 1 when one
 * failed, stopped or wrote errors (as `wsman invoke`). Rejects, leaving the job Running for the
 * caller to end, when the streams did (a pipeline disconnected, the connection lost).
 */
export async function collectPipelines(job: PowerShellJob, pipes: ReceivedPipeline[]): Promise<void> {
  const ends = await Promise.all(pipes.map((p) => collectPipeline(job, p)));
  const state = jobState(ends);
  const failed = ends.find((e) => e.state === 'Failed');
  const error = failed ? new PipelineFailedError(errorRecordMessage(failed.error), failed.error, 'Failed') : undefined;
  job.end(state, { exitCode: state === 'Completed' && !job.hadErrors ? 0 : 1, ...(error ? { error } : {}) });
}
