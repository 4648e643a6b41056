/**
 * A RunspacePool / PowerShell API modelled on PowerShell's own
 * ([runspacefactory]::CreateRunspacePool, [powershell]::Create()), over WS-Man or a local
 * `pwsh -s`. Streams are async iterables; `invoke()` collects the output and throws a
 * PipelineFailedError when the pipeline fails.
 */
import { randomUUID } from 'node:crypto';
import { WsmanError } from '../../core/errors.js';
import type { PSValue } from '../../psrp/clixml/model.js';
import type { TypedMessage, UnknownMessage } from '../../psrp/messages/index.js';
import type { EncryptedSessionKey } from '../../psrp/messages/keys.js';
import type { Serializable } from '../../psrp/clixml/serialize.js';
import { command, type Command, type CommandParameter } from '../../psrp/messages/pipeline.js';
import type { ErrorRecordMessage, InformationalRecordMessage, InformationRecordMessage } from '../../psrp/messages/records.js';
import type { ClientPipeline, PipelineState } from '../../psrp/pipeline.js';
import { ClientRunspacePool as PoolCore, type PsrpEvent } from '../../psrp/pool.js';
import { WsmanClient } from '../client.js';
import type { PsrpTransport } from './transport.js';
import { Channel } from './channel.js';
import { answerHostCall, HostError, hostErrorRecord, type PSHost } from './host.js';
import { uiHostInfo } from '../../psrp/messages/pool.js';
import { PipelineFailedError, errorRecordMessage } from './failure.js';
import { exchangeSessionKey } from './sessionkey.js';
import { PoolKeys, SecureString } from './securestring.js';
import type { HostCall } from '../../psrp/messages/host.js';
import { transportFor } from './target.js';
import { PipelineDisconnectedError } from './failure.js';
import type { Channels, PowerShellStreams, RunspacePoolOptions, RunspaceTarget } from './pool-options.js';

export { PipelineFailedError, PipelineDisconnectedError, errorRecordMessage } from './failure.js';
export type { PowerShellStreams, RunspacePoolOptions, RunspaceTarget } from './pool-options.js';

interface Running {
  channels: Channels;
  host: PSHost | undefined;
  finish(state: { state: PipelineState; error?: PSValue }): void;
  /** Output waiting for the session key (a SecureString came before any exchange); what follows waits behind it. */
  tail?: Promise<void>;
}

/** An open runspace pool. PowerShell: System.Management.Automation.Runspaces.RunspacePool. */
export class RunspacePool {
  private readonly running = new Map<string, Running>();
  private pumping: Promise<void> | undefined;
  private failure: Error | undefined;
  /** The session key for SecureStrings, exchanged when first needed. */
  private readonly keys = new PoolKeys(() => {
    const answer = this.poolAnswer((m): m is EncryptedSessionKey => m.type === 'ENCRYPTED_SESSION_KEY');
    return exchangeSessionKey(this.core, () => this.transport.flush(), () => answer);
  });
  private readonly poolWaiters = new Map<(m: TypedMessage | UnknownMessage) => boolean, (err: Error) => void>();

  private constructor(
    readonly transport: PsrpTransport,
    private readonly ownsClient: WsmanClient | undefined,
    /** The pool's host (RunspacePoolOptions.host). */
    readonly host: PSHost | undefined,
    private readonly streamCapacity: number,
  ) {}

  /** @internal A pool over a transport that is already Opened or Connecting (Connect-PSSession); routing starts now. */
  static adopt(transport: PsrpTransport, opts: { host?: PSHost; streamCapacity?: number } = {}): RunspacePool {
    const rp = new RunspacePool(transport, undefined, opts.host, opts.streamCapacity ?? 10_000);
    rp.pumping = rp.pump();
    return rp;
  }

  /** The sans-IO pool underneath (state, server's protocol version, application private data). */
  get core(): PoolCore {
    return this.transport.pool;
  }

  /** PowerShell: [runspacefactory]::CreateRunspacePool(...).Open() / New-PSSession. */
  static async open(target: RunspaceTarget, opts: RunspacePoolOptions = {}): Promise<RunspacePool> {
    const { transport, owned } = await transportFor(target, opts);
    const rp = new RunspacePool(transport, owned, opts.host, opts.streamCapacity ?? 10_000);
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
        // Backpressure: a full stream stops the pump, and with it the transport's receiving.
        await this.route(e)?.room();
      }
    } catch (err) {
      this.failure = err as Error;
      this.endAll(err as Error);
    }
  }

  private endAll(err?: Error): void {
    for (const reject of this.poolWaiters.values()) reject(err ?? new WsmanError('ERR_PSRP_POOL_CLOSED', 'the runspace pool closed'));
    this.poolWaiters.clear();
    for (const [pid, r] of this.running) {
      for (const c of Object.values(r.channels)) c.end(err);
      r.finish({ state: 'Failed', ...(err ? { error: err.message } : {}) });
      this.running.delete(pid);
    }
  }

  /** Hand an event to its pipeline; returns the stream it went to. */
  private route(e: PsrpEvent): Channel<unknown> | undefined {
    if (e.type === 'PoolState') return undefined;
    if (e.type === 'Message' && (e.message.type === 'ENCRYPTED_SESSION_KEY' || e.message.type === 'RUNSPACE_AVAILABILITY')) {
      for (const w of this.poolWaiters.keys()) if (w(e.message)) this.poolWaiters.delete(w);
      return undefined;
    }
    if (e.type === 'Message' && e.message.type === 'PUBLIC_KEY_REQUEST') {
      // The server needs the key for a SecureString (Read-Host -AsSecureString, one in output): answer by ourselves.
      this.keys.requested().catch(() => undefined); // a failed exchange fails the transport, which ends the streams
      return undefined;
    }
    if (e.type === 'Message' && e.message.type === 'RUNSPACEPOOL_HOST_CALL') {
      this.answer(this.host, e.message, undefined);
      return undefined;
    }
    const r = this.running.get(e.pid);
    if (!r) return undefined;
    if (e.type === 'PipelineState' && e.state === 'Disconnected') {
      // Its streams end here; receiving it again (watch) gives new ones.
      this.running.delete(e.pid);
      const err = new PipelineDisconnectedError(e.pid, (this.transport as { lost?: Error }).lost);
      for (const c of Object.values(r.channels)) c.end(err);
      r.finish({ state: 'Disconnected' });
      return undefined;
    }
    if (e.type === 'PipelineState') {
      if (e.state === 'Completed' || e.state === 'Failed' || e.state === 'Stopped') {
        this.running.delete(e.pid);
        // Release it on the server (out-of-process `<Close>`; over WS-Man a Done command needs nothing).
        (this.core.pipeline(e.pid) as ClientPipeline | undefined)?.close();
        this.transport.flush().catch(() => undefined);
        const end = { state: e.state, ...(e.error !== undefined ? { error: e.error } : {}) };
        const done = (): void => { for (const c of Object.values(r.channels)) c.end(); r.finish(end); };
        if (r.tail) void r.tail.then(done);
        else done();
      }
      return undefined;
    }
    const m = e.message;
    const c = r.channels;
    switch (m.type) {
      case 'PIPELINE_OUTPUT':
        // A SecureString before any exchange: the server used its session key; exchange (it sends that key) and read it, in order.
        if (r.tail || this.keys.needsKey(m.value)) {
          r.tail = (r.tail ?? Promise.resolve()).then(() => this.keys.readable(m.value)).then((v) => c.output.push(v));
          return undefined;
        }
        c.output.push(this.keys.decryptAll(m.value)); return c.output;
      case 'ERROR_RECORD': c.error.push(m); return c.error;
      case 'WARNING_RECORD': c.warning.push(m); return c.warning;
      case 'VERBOSE_RECORD': c.verbose.push(m); return c.verbose;
      case 'DEBUG_RECORD': c.debug.push(m); return c.debug;
      case 'INFORMATION_RECORD': c.information.push(m); return c.information;
      case 'PROGRESS_RECORD': c.progress.push(m); return c.progress;
      case 'PIPELINE_HOST_CALL': this.answer(r.host, m, e.pid); return undefined;
      default: return undefined;
    }
  }

  /** Answer a host call with the host (without one: PowerShell's answer for a missing host method), without holding up other events. */
  private answer(host: PSHost | undefined, call: HostCall, pid: string | undefined): void {
    void answerHostCall(host ?? {}, { call, pid }).then(async (answer) => {
      if (!answer) return;
      // A SecureString answer (ReadLineAsSecureString, a credential's password) is encrypted with the session key.
      // Without a key (the exchange failed), the server gets an error record rather than waiting for ever.
      if ('returnValue' in answer) {
        answer = await this.keys.encryptAll(answer.returnValue).then((returnValue) => ({ returnValue }),
          (err: Error) => ({ error: hostErrorRecord(new HostError(`the SecureString answer could not be encrypted: ${err.message}`)) }));
      }
      if (pid === undefined) this.core.respondToHostCall(call, answer);
      else {
        const p = this.core.pipeline(pid) as ClientPipeline | undefined;
        if (!p || p.ended) return;
        p.respondToHostCall(call, answer);
      }
      await this.transport.flush();
    }).catch(() => undefined); // a failed send fails the transport, which ends the streams
  }

  /** @internal Streams for a pipeline id: what the pool routes to it from now on (its host calls go to `host`). */
  watch(pid: string, host: PSHost | undefined = this.host): PowerShellStreams {
    if (this.failure) throw this.failure;
    let finish!: Running['finish'];
    const completion = new Promise<{ state: PipelineState; error?: PSValue }>((resolve) => (finish = resolve));
    const n = this.streamCapacity;
    const channels: Channels = {
      output: new Channel(n), error: new Channel(n), warning: new Channel(n), verbose: new Channel(n),
      debug: new Channel(n), information: new Channel(n), progress: new Channel(n, true),
    };
    this.running.set(pid.toLowerCase(), { channels, host, finish });
    return { ...channels, completion };
  }

  /** @internal Start a pipeline and return its streams; `receive: false` leaves its output on the server (started disconnected). */
  async start(pipeline: ClientPipeline, commands: Command[], input: Serializable[] | undefined, opts: { receive?: boolean; host?: PSHost; isNested?: boolean } = {}): Promise<PowerShellStreams> {
    const host = 'host' in opts ? opts.host : this.host;
    // SecureStrings among the arguments or input: the keys are exchanged first, as PowerShell does.
    const cmds = await this.keys.encryptCommands(commands);
    const values = input === undefined ? undefined : await this.keys.encryptAll(input);
    const streams = this.watch(pipeline.pid, host);
    pipeline.invoke({ commands: cmds, input: values !== undefined, ...(host ? { hostInfo: uiHostInfo() } : {}), ...(opts.isNested ? { isNested: true } : {}) });
    if (values !== undefined) {
      for (const v of values) pipeline.sendInput(v);
      pipeline.endInput();
    }
    await this.transport.flush(opts);
    return streams;
  }

  /** @internal A pool-level answer (ENCRYPTED_SESSION_KEY, RUNSPACE_AVAILABILITY); wait for it before sending what asks for it. */
  poolAnswer<T extends TypedMessage>(match: (m: TypedMessage | UnknownMessage) => m is T, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = (m: TypedMessage | UnknownMessage): boolean => match(m) && (resolve(m), true);
      this.poolWaiters.set(w, reject);
      signal?.addEventListener('abort', () => (this.poolWaiters.delete(w), reject(signal.reason as Error)), { once: true });
    });
  }

  /**
   * The session key exchange a SecureString needs (PUBLIC_KEY / ENCRYPTED_SESSION_KEY), once per
   * pool; calling it again is harmless. Optional: the pool exchanges keys by itself before the first
   * SecureString it sends or reads and when the server asks. `signal` stops this wait only (the
   * exchange goes on). PowerShell does it before its first SecureString.
   */
  async exchangeKey(signal?: AbortSignal): Promise<void> {
    await this.keys.exchange(signal);
  }

  /** A SecureString to send (argument, parameter or input); encrypted with the session key when sent. PowerShell: ConvertTo-SecureString -AsPlainText -Force. */
  secureString(text: string): SecureString {
    return new SecureString(text);
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
    /** The host answering this pipeline's host calls; default the pool's. */
    readonly host: PSHost | undefined,
    /** Runs while another pipeline of the pool runs (CREATE_PIPELINE IsNested). PowerShell: PowerShell.IsNested. */
    readonly isNested = false,
  ) {}

  /** PowerShell: [powershell]::Create() with .RunspacePool set (and, for `host`, PSInvocationSettings.Host); `isNested`: CreateNestedPowerShell(). */
  static create(pool: RunspacePool, opts: { instanceId?: string; host?: PSHost; isNested?: boolean } = {}): PowerShell {
    return new PowerShell(pool, opts.instanceId ?? randomUUID(), opts.host ?? pool.host, opts.isNested ?? false);
  }

  /** A pipeline that runs in the same pool while this one is running (e.g. to read a variable). PowerShell: CreateNestedPowerShell(). */
  createNestedPowerShell(opts: { instanceId?: string } = {}): PowerShell {
    return PowerShell.create(this.runspacePool, { ...opts, isNested: true, ...(this.host ? { host: this.host } : {}) });
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
    const streams = await this.runspacePool.start(this.pipeline, this.commands, input ? [...input] : undefined, { ...opts, host: this.host, isNested: this.isNested });
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
