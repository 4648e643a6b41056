/**
 * A RunspacePool / PowerShell API modelled on PowerShell's own
 * ([runspacefactory]::CreateRunspacePool, [powershell]::Create()), over WS-Man or a local
 * `pwsh -s`. Streams are async iterables; `invoke()` collects the output and throws a
 * PipelineFailedError when the pipeline fails.
 */
import { randomUUID } from 'node:crypto';
import { WsmanError } from '../../core/errors.js';
import type { PSValue } from '../../psrp/clixml/model.js';
import type { Serializable } from '../../psrp/clixml/serialize.js';
import { command, type Command, type CommandParameter } from '../../psrp/messages/pipeline.js';
import type { ErrorRecordMessage, InformationalRecordMessage, InformationRecordMessage, ProgressRecordMessage } from '../../psrp/messages/records.js';
import type { ClientPipeline, PipelineState } from '../../psrp/pipeline.js';
import { ClientRunspacePool as PoolCore, type PsrpEvent } from '../../psrp/pool.js';
import { WsmanClient } from '../client.js';
import type { ClientOptions } from '../options.js';
import { OutOfProcessRunspace, type OutOfProcessOptions } from './outofproc.js';
import type { PsrpTransport } from './transport.js';
import { Channel } from './channel.js';
import { fragmentSizeFor, WsmanRunspace, type WsmanRunspaceOptions } from './wsman.js';

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

/** A pipeline's streams ended because its pool was disconnected; it goes on on the server (Receive-PSSession gets the rest). */
export class PipelineDisconnectedError extends WsmanError {
  constructor(readonly pid: string, cause?: Error) {
    super('ERR_PSRP_PIPELINE_DISCONNECTED', `pipeline ${pid} was disconnected${cause ? ` (${cause.message})` : ''}; it keeps running on the server`);
    this.name = 'PipelineDisconnectedError';
    if (cause) Object.defineProperty(this, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
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

/** The streams of a running pipeline. PowerShell: PSDataStreams and the output PSDataCollection. */
export interface PowerShellStreams {
  output: AsyncIterable<PSValue>;
  error: AsyncIterable<ErrorRecordMessage>;
  warning: AsyncIterable<InformationalRecordMessage>;
  verbose: AsyncIterable<InformationalRecordMessage>;
  debug: AsyncIterable<InformationalRecordMessage>;
  information: AsyncIterable<InformationRecordMessage>;
  progress: AsyncIterable<ProgressRecordMessage>;
  /** The final state (Completed, Failed or Stopped); PowerShell: EndInvoke(). Never rejects. */
  completion: Promise<{ state: PipelineState; error?: PSValue }>;
}

type Channels = {
  output: Channel<PSValue>;
  error: Channel<ErrorRecordMessage>;
  warning: Channel<InformationalRecordMessage>;
  verbose: Channel<InformationalRecordMessage>;
  debug: Channel<InformationalRecordMessage>;
  information: Channel<InformationRecordMessage>;
  progress: Channel<ProgressRecordMessage>;
};

interface Running {
  channels: Channels;
  finish(state: { state: PipelineState; error?: PSValue }): void;
}

/** Where a pool runs: a WS-Man endpoint (New-PSSession) or a local `pwsh -s` (out-of-process). */
export type RunspaceTarget = ClientOptions | WsmanClient | { outOfProcess: OutOfProcessOptions };

export interface RunspacePoolOptions {
  /** PowerShell: -ConfigurationName (default Microsoft.PowerShell). WS-Man only. */
  configurationName?: string;
  minRunspaces?: number;
  maxRunspaces?: number;
  /** $PSSenderInfo.ApplicationArguments (New-PSSessionOption -ApplicationArguments). */
  applicationArguments?: PSValue;
  /** IdleTimeOut in ms (New-PSSessionOption -IdleTimeout). WS-Man only. */
  idleTimeout?: number;
  /** Offer xpress compression (WS-Man only; default false, New-PSSessionOption -NoCompression). */
  compression?: boolean;
  /** The pool's id (PowerShell: RunspacePool.InstanceId); default a new GUID. */
  instanceId?: string;
  /** The ShellId to ask for (WS-Man); default the pool's id, as PowerShell does. */
  shellId?: string;
  /** New-PSSessionOption -OutputBufferingMode. WS-Man only. */
  outputBufferingMode?: 'Block' | 'Drop';
  /** New-PSSession -Name: the shell's name on the server. WS-Man only. */
  name?: string;
  /** Robust connection (WS-Man): how long a pipeline's lost Receive is retried, and who hears of each retry. */
  retry?: WsmanRunspaceOptions['retry'];
  onRetry?: WsmanRunspaceOptions['onRetry'];
  signal?: AbortSignal;
}

/** An open runspace pool. PowerShell: System.Management.Automation.Runspaces.RunspacePool. */
export class RunspacePool {
  private readonly running = new Map<string, Running>();
  private pumping: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    readonly transport: PsrpTransport,
    private readonly ownsClient: WsmanClient | undefined,
  ) {}

  /** @internal A pool over a transport that is already Opened or Connecting (Connect-PSSession); routing starts now. */
  static adopt(transport: PsrpTransport): RunspacePool {
    const rp = new RunspacePool(transport, undefined);
    rp.pumping = rp.pump();
    return rp;
  }

  /** The sans-IO pool underneath (state, server's protocol version, application private data). */
  get core(): PoolCore {
    return this.transport.pool;
  }

  /** PowerShell: [runspacefactory]::CreateRunspacePool(...).Open() / New-PSSession. */
  static async open(target: RunspaceTarget, opts: RunspacePoolOptions = {}): Promise<RunspacePool> {
    const rpid = opts.instanceId ?? randomUUID();
    const poolOptions = {
      rpid,
      ...(opts.minRunspaces !== undefined ? { minRunspaces: opts.minRunspaces } : {}),
      ...(opts.maxRunspaces !== undefined ? { maxRunspaces: opts.maxRunspaces } : {}),
      ...(opts.applicationArguments !== undefined ? { applicationArguments: opts.applicationArguments } : {}),
    };
    let transport: PsrpTransport;
    let owned: WsmanClient | undefined;
    if ('outOfProcess' in target) {
      transport = new OutOfProcessRunspace(new PoolCore(poolOptions), target.outOfProcess);
    } else {
      const client = target instanceof WsmanClient ? target : (owned = new WsmanClient(target));
      await client.prepare(opts.signal);
      const pool = new PoolCore({ ...poolOptions, maxFragmentSize: fragmentSizeFor(client.maxEnvelopeSize) });
      transport = new WsmanRunspace(client, pool, {
        ...(opts.configurationName !== undefined ? { configurationName: opts.configurationName } : {}),
        ...(opts.idleTimeout !== undefined ? { idleTimeout: opts.idleTimeout } : {}),
        ...(opts.compression ? { compression: true } : {}),
        ...(opts.shellId !== undefined ? { shellId: opts.shellId } : {}),
        ...(opts.outputBufferingMode ? { outputBufferingMode: opts.outputBufferingMode } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.retry ? { retry: opts.retry } : {}),
        ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    }
    const rp = new RunspacePool(transport, owned);
    try {
      transport.pool.open();
      await transport.flush();
      for (;;) {
        const e = await transport.nextEvent();
        if (e.type !== 'PoolState') continue;
        if (e.state === 'Opened') break;
        if (e.state === 'Broken' || e.state === 'Closed') throw new WsmanError('ERR_PSRP_POOL_OPEN', `the runspace pool did not open: ${errorRecordMessage(e.error)}`);
      }
    } catch (err) {
      await transport.dispose();
      if (owned) await owned.close();
      throw err;
    }
    rp.pumping = rp.pump();
    return rp;
  }

  /** Route events to the pipelines until the transport ends. */
  private async pump(): Promise<void> {
    try {
      for (;;) {
        const e = await this.transport.nextEvent();
        if (e.type === 'PoolState' && (e.state === 'Closed' || e.state === 'Broken')) {
          this.endAll(e.state === 'Broken' ? new WsmanError('ERR_PSRP_POOL_BROKEN', 'the runspace pool is Broken') : undefined);
          if (e.state === 'Closed') return;
        }
        this.route(e);
      }
    } catch (err) {
      this.failure = err as Error;
      this.endAll(err as Error);
    }
  }

  private endAll(err?: Error): void {
    for (const [pid, r] of this.running) {
      for (const c of Object.values(r.channels)) c.end(err);
      r.finish({ state: 'Failed', ...(err ? { error: err.message } : {}) });
      this.running.delete(pid);
    }
  }

  private route(e: PsrpEvent): void {
    if (e.type === 'PoolState') return;
    const r = this.running.get(e.pid);
    if (!r) return;
    if (e.type === 'PipelineState' && e.state === 'Disconnected') {
      // Its streams end here; receiving it again (watch) gives new ones.
      this.running.delete(e.pid);
      const err = new PipelineDisconnectedError(e.pid, (this.transport as { lost?: Error }).lost);
      for (const c of Object.values(r.channels)) c.end(err);
      r.finish({ state: 'Disconnected' });
      return;
    }
    if (e.type === 'PipelineState') {
      if (e.state === 'Completed' || e.state === 'Failed' || e.state === 'Stopped') {
        this.running.delete(e.pid);
        // Release it on the server (out-of-process `<Close>`; over WS-Man a Done command needs nothing).
        (this.core.pipeline(e.pid) as ClientPipeline | undefined)?.close();
        this.transport.flush().catch(() => undefined);
        for (const c of Object.values(r.channels)) c.end();
        r.finish({ state: e.state, ...(e.error !== undefined ? { error: e.error } : {}) });
      }
      return;
    }
    const m = e.message;
    switch (m.type) {
      case 'PIPELINE_OUTPUT': r.channels.output.push(m.value); break;
      case 'ERROR_RECORD': r.channels.error.push(m); break;
      case 'WARNING_RECORD': r.channels.warning.push(m); break;
      case 'VERBOSE_RECORD': r.channels.verbose.push(m); break;
      case 'DEBUG_RECORD': r.channels.debug.push(m); break;
      case 'INFORMATION_RECORD': r.channels.information.push(m); break;
      case 'PROGRESS_RECORD': r.channels.progress.push(m); break;
      default: break;
    }
  }

  /** @internal Streams for a pipeline id: what the pool routes to it from now on. */
  watch(pid: string): PowerShellStreams {
    if (this.failure) throw this.failure;
    let finish!: Running['finish'];
    const completion = new Promise<{ state: PipelineState; error?: PSValue }>((resolve) => (finish = resolve));
    const channels: Channels = {
      output: new Channel(), error: new Channel(), warning: new Channel(), verbose: new Channel(),
      debug: new Channel(), information: new Channel(), progress: new Channel(),
    };
    this.running.set(pid.toLowerCase(), { channels, finish });
    return { ...channels, completion };
  }

  /** @internal Start a pipeline and return its streams; `receive: false` leaves its output on the server (started disconnected). */
  async start(pipeline: ClientPipeline, commands: Command[], input: Serializable[] | undefined, opts: { receive?: boolean } = {}): Promise<PowerShellStreams> {
    const streams = this.watch(pipeline.pid);
    pipeline.invoke({ commands, input: input !== undefined });
    if (input !== undefined) {
      for (const v of input) pipeline.sendInput(v);
      pipeline.endInput();
    }
    await this.transport.flush(opts);
    return streams;
  }

  /** PowerShell: RunspacePool.Close() / Remove-PSSession. */
  async close(): Promise<void> {
    try {
      if (this.core.state === 'Opened') {
        this.core.close();
        await this.transport.flush();
        await this.pumping;
      }
    } finally {
      // A pool not Opened (disconnected) is released by the transport; its event pump then ends.
      await this.transport.dispose();
      await this.pumping;
      if (this.ownsClient) await this.ownsClient.close();
    }
  }
}

/** A pipeline of commands to run in a pool. PowerShell: System.Management.Automation.PowerShell. */
export class PowerShell {
  private readonly commands: Command[] = [];
  private pipeline: ClientPipeline | undefined;
  /** True once the last invocation wrote an error record or failed. PowerShell: HadErrors. */
  hadErrors = false;

  private constructor(
    readonly runspacePool: RunspacePool,
    /** The pipeline id of the next invocation. PowerShell: PowerShell.InstanceId. */
    public instanceId: string,
  ) {}

  /** PowerShell: [powershell]::Create() with .RunspacePool set. */
  static create(pool: RunspacePool, opts: { instanceId?: string } = {}): PowerShell {
    return new PowerShell(pool, opts.instanceId ?? randomUUID());
  }

  private last(what: string): Command {
    const c = this.commands[this.commands.length - 1];
    if (!c) throw new WsmanError('ERR_PSRP_USAGE', `${what} needs a command first (addCommand or addScript)`);
    return c;
  }

  /** PowerShell: AddScript(script). */
  addScript(script: string): this {
    this.commands.push(command(script, true));
    return this;
  }

  /** PowerShell: AddCommand(name). A following command is piped from this one. */
  addCommand(name: string): this {
    this.commands.push(command(name, false));
    return this;
  }

  /** PowerShell: AddParameter(name, value); without a value, a switch ($true). */
  addParameter(name: string, value: Serializable = true): this {
    this.last('addParameter').args.push({ name, value } as CommandParameter);
    return this;
  }

  /** PowerShell: AddArgument(value), a positional argument. */
  addArgument(value: Serializable): this {
    this.last('addArgument').args.push({ name: null, value } as CommandParameter);
    return this;
  }

  /**
   * PowerShell: BeginInvoke(). Returns the streams; `input` is piped in. `receive: false` starts
   * it without receiving its output (Invoke-Command -InDisconnectedSession; WS-Man only).
   */
  async beginInvoke(input?: Iterable<Serializable>, opts: { receive?: boolean } = {}): Promise<PowerShellStreams> {
    if (!this.commands.length) throw new WsmanError('ERR_PSRP_USAGE', 'nothing to invoke: addScript or addCommand first');
    this.pipeline = this.runspacePool.core.createPipeline(this.instanceId);
    const streams = await this.runspacePool.start(this.pipeline, this.commands, input ? [...input] : undefined, opts);
    this.hadErrors = false;
    const errors = streams.error;
    let sawError = false;
    const markErrors = (): void => { this.hadErrors = true; };
    const tracked: PowerShellStreams = {
      ...streams,
      error: {
        async *[Symbol.asyncIterator]() {
          for await (const e of errors) {
            sawError = true;
            markErrors();
            yield e;
          }
        },
      },
      completion: streams.completion.then((c) => {
        if (c.state === 'Failed' || sawError) markErrors();
        return c;
      }),
    };
    return tracked;
  }

  /**
   * PowerShell: Invoke(). Collects the output; error records are in `errors` of the result
   * (PowerShell: Streams.Error). Throws PipelineFailedError when the pipeline fails.
   */
  async invoke(input?: Iterable<Serializable>): Promise<PSValue[]> {
    const r = await this.invokeAll(input);
    return r.output;
  }

  /** Invoke and collect every stream. */
  async invokeAll(input?: Iterable<Serializable>): Promise<{ output: PSValue[]; errors: ErrorRecordMessage[]; warnings: InformationalRecordMessage[]; information: InformationRecordMessage[] }> {
    const s = await this.beginInvoke(input);
    const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = [];
      for await (const x of it) out.push(x);
      return out;
    };
    const [output, errors, warnings, information] = await Promise.all([
      collect(s.output), collect(s.error), collect(s.warning), collect(s.information),
      collect(s.verbose), collect(s.debug), collect(s.progress),
    ]);
    const end = await s.completion;
    if (end.state === 'Failed') throw new PipelineFailedError(errorRecordMessage(end.error), end.error, end.state);
    return { output, errors, warnings, information };
  }

  /** PowerShell: Stop(). Asks the server to stop the running pipeline. */
  async stop(): Promise<void> {
    const p = this.pipeline;
    if (!p || p.state !== 'Running') return;
    p.stop();
    await this.runspacePool.transport.flush();
  }
}
