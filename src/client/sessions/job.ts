/**
 * A Job: the output of a remote command collected in the background (PowerShell's PSRemotingJob,
 * what `Receive-PSSession -OutTarget Job` and `Invoke-Command -AsJob` return). Output waits in
 * the job until received (Receive-Job, optionally -Keep) or iterated with `for await`.
 */

/** PowerShell's JobState values that a remote job goes through. */
export type JobState = 'Running' | 'Completed' | 'Failed' | 'Disconnected' | 'Stopped';

/** One piece of output of a job. */
export interface JobOutput {
  stream: 'stdout' | 'stderr';
  data: Buffer;
  /** The remote command that wrote it. */
  commandId: string;
}

/** A background receive of a session's commands. PowerShell: PSRemotingJob. */
export class Job implements AsyncIterable<JobOutput> {
  readonly id: number;
  readonly name: string;
  /** PowerShell's Location: the computer the job runs on. */
  readonly location: string;
  /** The command line(s), as the server reported them. */
  readonly command: string;
  /** PSJobTypeName. */
  readonly jobTypeName = 'RemoteJob';
  private current: JobState = 'Running';
  private readonly chunks: JobOutput[] = [];
  private received = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | undefined;
  private code: number | undefined;
  private readonly finished: Promise<JobState>;
  private settle!: (s: JobState) => void;

  constructor(id: number, name: string, location: string, command: string) {
    this.id = id;
    this.name = name;
    this.location = location;
    this.command = command;
    this.finished = new Promise((resolve) => { this.settle = resolve; });
  }

  /** Running, then Completed, Failed, Stopped or Disconnected (the connection was lost). */
  get state(): JobState {
    return this.current;
  }

  /** HasMoreData: output is waiting that was not received yet. */
  get hasMoreData(): boolean {
    return this.received < this.chunks.length;
  }

  /** The error that failed or disconnected the job. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** The exit code of the last command, once Completed. */
  get exitCode(): number | undefined {
    return this.code;
  }

  /** Receive-Job: the output not received yet; with `keep`, it stays for the next receive. */
  receive(opts: { keep?: boolean } = {}): JobOutput[] {
    const out = this.chunks.slice(this.received);
    if (!opts.keep) this.received = this.chunks.length;
    return out;
  }

  /** Receive-Job as text: the output not received yet of one stream, decoded as UTF-8. */
  receiveText(stream: 'stdout' | 'stderr' = 'stdout', opts: { keep?: boolean } = {}): string {
    return Buffer.concat(this.receive(opts).filter((c) => c.stream === stream).map((c) => c.data)).toString('utf8');
  }

  /** Wait-Job: resolves with the final state. */
  wait(): Promise<JobState> {
    return this.finished;
  }

  /** Receive-Job -Wait as an async iterable: each piece of output once, as it arrives, until the job ends. */
  async *[Symbol.asyncIterator](): AsyncIterator<JobOutput> {
    for (;;) {
      while (this.received < this.chunks.length) yield this.chunks[this.received++]!;
      if (this.current !== 'Running') return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** @internal Output arrived. */
  push(chunk: JobOutput): void {
    this.chunks.push(chunk);
    this.wake();
  }

  /** @internal The job ended. */
  end(state: Exclude<JobState, 'Running'>, detail: { error?: Error; exitCode?: number } = {}): void {
    if (this.current !== 'Running') return;
    this.current = state;
    if (detail.error) this.failure = detail.error;
    if (detail.exitCode !== undefined) this.code = detail.exitCode;
    this.settle(state);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The row PowerShell prints for a job (Get-Job). */
  toJSON(): Record<string, unknown> {
    return {
      Id: this.id, Name: this.name, PSJobTypeName: this.jobTypeName, State: this.current, HasMoreData: this.hasMoreData,
      Location: this.location, Command: this.command, ...(this.code !== undefined ? { ExitCode: this.code } : {}),
      ...(this.failure ? { Error: this.failure.message } : {}),
    };
  }
}
