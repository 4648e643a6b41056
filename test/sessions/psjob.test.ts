/**
 * PowerShellJob (Receive-PSSession -OutTarget Job of a PowerShell session), sans I/O: pipelines'
 * streams as channels fed by the test. The job keeps objects and records, its state follows the
 * pipelines, it holds at most `capacity` records not received, and its text view is a cmd job's.
 */
import { describe, it, expect } from 'vitest';
import { Channel } from '../../src/client/psrp/channel.js';
import type { Channels } from '../../src/client/psrp/pool-options.js';
import { PipelineDisconnectedError, PipelineFailedError } from '../../src/client/psrp/failure.js';
import { PowerShellJob, collectPipelines } from '../../src/client/sessions/psjob.js';
import type { ReceivedPipeline } from '../../src/client/sessions/powershell.js';
import { PSObject, type PSValue } from '../../src/psrp/clixml/model.js';
import type { ErrorRecordMessage } from '../../src/psrp/messages/records.js';
import type { PipelineState } from '../../src/psrp/pipeline.js';

/** A pipeline whose streams the test writes; `finish` ends every stream and sets the final state. */
function pipeline(pid: string): { p: ReceivedPipeline; c: Channels; finish: (state: PipelineState, error?: PSValue) => void; fail: (err: Error) => void } {
  const c: Channels = {
    output: new Channel(100), error: new Channel(100), warning: new Channel(100), verbose: new Channel(100),
    debug: new Channel(100), information: new Channel(100), progress: new Channel(100, true),
  };
  let done!: (v: { state: PipelineState; error?: PSValue }) => void;
  const completion = new Promise<{ state: PipelineState; error?: PSValue }>((r) => (done = r));
  return {
    p: { pid, streams: { ...c, completion } },
    c,
    finish: (state, error) => {
      for (const ch of Object.values(c)) ch.end();
      done({ state, ...(error !== undefined ? { error } : {}) });
    },
    fail: (err) => {
      for (const ch of Object.values(c)) ch.end(err);
      done({ state: 'Disconnected' });
    },
  };
}

const custom = (props: Record<string, PSValue>): PSObject =>
  new PSObject({ typeNames: ['Deserialized.System.Management.Automation.PSCustomObject', 'Deserialized.System.Object'], extended: Object.entries(props) });

function errorRecord(message: string): ErrorRecordMessage {
  const record = new PSObject({ typeNames: ['System.Management.Automation.ErrorRecord', 'System.Object'], toStringText: message,
    extended: [['FullyQualifiedErrorId', 'Microsoft.PowerShell.Commands.WriteErrorException'], ['ErrorCategory_Activity', 'Write-Error']] });
  return { type: 'ERROR_RECORD', message, fullyQualifiedErrorId: 'Microsoft.PowerShell.Commands.WriteErrorException', category: 0, record };
}

const newJob = (capacity?: number): PowerShellJob => new PowerShellJob(7, 'ITTaskJob01', 'Server01', 'ITTask', capacity !== undefined ? { capacity } : {});

describe('PowerShellJob', () => {
  it('keeps objects and records in arrival order (Receive-Job), Completed with errors written: exit code 1, hadErrors; the text view is a cmd job\'s', async () => {
    const job = newJob();
    const a = pipeline('A');
    const ended = collectPipelines(job, [a.p]);
    const obj = custom({ Task: 'backup', Files: 3 });
    a.c.output.push(obj);
    a.c.warning.push({ type: 'WARNING_RECORD', message: 'disk almost full', record: new PSObject() });
    a.c.error.push(errorRecord('share not reachable'));
    a.c.output.push('done');
    await until(() => job.output.length === 2 && job.errorRecords.length === 1);
    expect(job.state).toBe('Running');
    a.finish('Completed');
    await ended;
    expect(await job.wait()).toBe('Completed');
    expect([job.hadErrors, job.exitCode, job.error]).toEqual([true, 1, undefined]);
    expect(job.output).toEqual([obj, 'done']);
    expect(job.output[0]).toBeInstanceOf(PSObject);
    expect((job.output[0] as PSObject).typeNames[0]).toBe('Deserialized.System.Management.Automation.PSCustomObject');
    expect(job.recordsOf('Warning').map((r) => r.record.message)).toEqual(['disk almost full']);
    // Text, kept: objects' ToString on stdout, errors on stderr, other streams not text.
    expect(job.receiveText('stderr', { keep: true })).toBe('share not reachable\n');
    const streams = (job.receiveRecords({ keep: true })).map((r) => r.stream).sort();
    expect(streams).toEqual(['Error', 'Output', 'Output', 'Warning']);
    expect(job.toJSON()).toMatchObject({ Id: 7, Name: 'ITTaskJob01', PSJobTypeName: 'RemoteJob', State: 'Completed', HasMoreData: true, Location: 'Server01', ExitCode: 1 });
    const got = job.receiveRecords();
    expect(got.every((r) => r.commandId === 'A')).toBe(true);
    // Received: gone from the job (Job.Output after Receive-Job), HasMoreData False.
    expect([job.hasMoreData, job.output, job.receiveRecords()]).toEqual([false, [], []]);
  });

  it('Failed on a terminating error: the error record once in Job.Error (terminating), the job\'s error a PipelineFailedError; Failed wins over Stopped and Completed', async () => {
    const job = newJob();
    const [a, b, c] = [pipeline('A'), pipeline('B'), pipeline('C')];
    const ended = collectPipelines(job, [a.p, b.p, c.p]);
    const boom = new PSObject({ typeNames: ['System.Management.Automation.ErrorRecord'], toStringText: 'boom',
      extended: [['Exception', new PSObject({ extended: [['Message', 'boom']] })], ['FullyQualifiedErrorId', 'boom']] });
    a.finish('Completed');
    b.finish('Failed', boom);
    c.finish('Stopped');
    await ended;
    expect(job.state).toBe('Failed');
    expect(job.exitCode).toBe(1);
    expect(job.error).toBeInstanceOf(PipelineFailedError);
    expect(job.error!.message).toBe('boom');
    const errors = job.recordsOf('Error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ commandId: 'B', terminating: true, record: { message: 'boom', fullyQualifiedErrorId: 'boom', record: boom } });
    expect(job.hadErrors).toBe(true);

    const stopped = newJob();
    const [d, e] = [pipeline('D'), pipeline('E')];
    const s = collectPipelines(stopped, [d.p, e.p]);
    d.finish('Completed');
    e.finish('Stopped');
    await s;
    expect([stopped.state, stopped.exitCode, stopped.hadErrors]).toEqual(['Stopped', 1, false]);

    const fine = newJob();
    const f = pipeline('F');
    const ok = collectPipelines(fine, [f.p]);
    f.c.output.push(1);
    f.finish('Completed');
    await ok;
    expect([fine.state, fine.exitCode, fine.hadErrors]).toEqual(['Completed', 0, false]);
  });

  it('a pipeline disconnected meanwhile: collectPipelines rejects with its PipelineDisconnectedError, the job left for the receiver to end Disconnected', async () => {
    const job = newJob();
    const a = pipeline('A');
    const ended = collectPipelines(job, [a.p]);
    a.c.output.push('first');
    await until(() => job.output.length === 1);
    a.fail(new PipelineDisconnectedError('A'));
    await expect(ended).rejects.toBeInstanceOf(PipelineDisconnectedError);
    expect(job.state).toBe('Running');
    expect(job.output).toEqual(['first']);
  });

  it('holds at most `capacity` records not received: receiving waits (ready() says so) until Receive-Job takes some; Receive-Job -Wait gets each record once', async () => {
    const job = newJob(3);
    const a = pipeline('A');
    const ended = collectPipelines(job, [a.p]);
    for (let i = 1; i <= 10; i++) a.c.output.push(i);
    a.finish('Completed');
    await job.ready();
    expect(job.state).toBe('Running');
    expect(job.output).toEqual([1, 2, 3]);
    // Still three: the collector waits for room (the rest stays in the pipeline's stream).
    await Promise.resolve();
    expect(job.output).toHaveLength(3);
    const seen: PSValue[] = [];
    for await (const r of job.records()) if (r.stream === 'Output') seen.push(r.value);
    await ended;
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([job.state, job.hasMoreData]).toEqual(['Completed', false]);
  });

  it('text iteration of a PowerShell job (code written for cmd jobs): output lines on stdout, error messages on stderr, once each', async () => {
    const job = newJob();
    const a = pipeline('A');
    const ended = collectPipelines(job, [a.p]);
    const chunks: string[] = [];
    const reading = (async () => { for await (const c of job) chunks.push(`${c.stream}:${c.data.toString()}`); })();
    a.c.output.push(custom({ X: 1 }));
    a.c.error.push(errorRecord('bad'));
    a.c.verbose.push({ type: 'VERBOSE_RECORD', message: 'quiet', record: new PSObject() });
    a.c.output.push(42);
    a.finish('Completed');
    await ended;
    await reading;
    expect(chunks.filter((c) => c.startsWith('stderr'))).toEqual(['stderr:bad\n']);
    expect(chunks.filter((c) => c.startsWith('stdout:4'))).toEqual(['stdout:42\n']);
    expect(chunks).toHaveLength(3);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('timed out waiting for the job');
}
