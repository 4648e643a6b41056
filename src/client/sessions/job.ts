/**
 * A Job: the output of a remote command collected in the background (PowerShell's PSRemotingJob,
 * what `Receive-PSSession -OutTarget Job` and `Invoke-Command -AsJob` return). Output waits in
 * the job until received (Receive-Job, optionally -Keep) or iterated with `for await`. A cmd
 * session's job holds text; a PowerShell session's is a PowerShellJob (psjob.ts), which holds
 * objects and records and gives them as text through this class's methods too.
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
  /** What the job holds, in arrival order (a cmd job: JobOutput; subclasses: their records). */
  protected readonly entries: unknown[] = [];
  /** Entries not received past this many wait (quota); the collector waits for room. */
  protected capacity = Infinity;
  /** How many of `entries` were received (they are dropped from time to time). */
  private received = 0;
  private waiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private readyWaiters: (() => void)[] = [];
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
    return this.received < this.entries.length;
  }

  /** The error that failed or disconnected the job. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** The exit code of the last command, once Completed (a PowerShell job: 1 when a pipeline failed or wrote errors). */
  get exitCode(): number | undefined {
    return this.code;
  }

  /** Receive-Job: the output not received yet; with `keep`, it stays for the next receive. */
  receive(opts: { keep?: boolean } = {}): JobOutput[] {
    return this.take(opts).flatMap((e) => this.textOf(e));
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
    for await (const e of this.entriesLive()) yield* this.textOf(e);
  }

  /** The entries not received yet, marked received unless `keep`. */
  protected take(opts: { keep?: boolean }): unknown[] {
    const out = this.pending();
    if (!opts.keep) this.advance(this.entries.length);
    return out;
  }

  /** Each entry once, as it arrives, until the job ends (Receive-Job -Wait). */
  protected async *entriesLive(): AsyncGenerator<unknown> {
    for (;;) {
      while (this.received < this.entries.length) {
        const e = this.entries[this.received];
        this.advance(this.received + 1);
        yield e;
      }
      if (this.current !== 'Running') return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** An entry as text: a cmd job's entries are text already. */
  protected textOf(e: unknown): JobOutput[] {
    return [e as JobOutput];
  }

  /** Keep an entry; resolves once the job holds fewer than `capacity` entries not received. */
  protected add(e: unknown): Promise<void> {
    this.entries.push(e);
    this.wake();
    if (!this.full) return Promise.resolve();
    this.wakeReady();
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** The entries not received yet (what Receive-Job would give), without receiving them. */
  protected pending(): unknown[] {
    return this.entries.slice(this.received);
  }

  /** Whether the job holds `capacity` entries not received (its collector waits). */
  private get full(): boolean {
    return this.entries.length - this.received >= this.capacity;
  }

  /** @internal Resolves once the job ended or holds `capacity` entries not received (it then waits for a receive). */
  ready(): Promise<void> {
    if (this.current !== 'Running' || this.full) return Promise.resolve();
    return new Promise<void>((resolve) => this.readyWaiters.push(resolve));
  }

  private advance(to: number): void {
    this.received = to;
    // Received entries are let go (in batches: dropping one at a time would cost a copy each).
    if (this.received >= 1024 && this.received * 2 >= this.entries.length) {
      this.entries.splice(0, this.received);
      this.received = 0;
    }
    if (this.full || !this.roomWaiters.length) return;
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  /** @internal Output arrived. */
  push(chunk: JobOutput): void {
    void this.add(chunk);
  }

  /** @internal The job ended. */
  end(state: Exclude<JobState, 'Running'>, detail: { error?: Error; exitCode?: number } = {}): void {
    if (this.current !== 'Running') return;
    this.current = state;
    if (detail.error) this.failure = detail.error;
    if (detail.exitCode !== undefined) this.code = detail.exitCode;
    this.settle(state);
    this.wake();
    this.wakeReady();
  }

  private wakeReady(): void {
    const w = this.readyWaiters;
    this.readyWaiters = [];
    for (const f of w) f();
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
