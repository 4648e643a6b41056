/**
 * Runs a sans-IO ClientRunspacePool over WS-Management, as PowerShell's WSManClientSessionTransportManager
 * does (MS-PSRP 3.1.5.3; protocol.md): the pool is a Shell of a PowerShell configuration
 * (`…/powershell/Microsoft.PowerShell`) created with `creationXml` (SESSION_CAPABILITY +
 * INIT_RUNSPACEPOOL) and the `protocolversion` option; pool messages come from Receives without a
 * CommandId until the pool is Opened; a pipeline is a Command whose CommandId is the pipeline id
 * and whose Arguments carry CREATE_PIPELINE; input goes by Send on `stdin` (host responses on `pr`);
 * output comes from Receives of `stdout`, several fragments per chunk; Stop is Signal
 * `powershell/signal/crtl_c`; Close is Delete. PowerShell: New-PSSession, Invoke-Command -Session.
 */
import { Action, ResourceURI, SignalURI } from '../../core/namespaces.js';
import type { WsmanOption } from '../../core/envelope.js';
import { WsmanUsageError } from '../../core/errors.js';
import { EMPTY_GUID } from '../../psrp/message.js';
import type { ClientRunspacePool, Outgoing, PsrpEvent } from '../../psrp/pool.js';
import type { WsmanRunspaceOptions } from './wsman-options.js';
import { WsmanClient, unexpected } from '../client.js';
import { receiveUntilDone, isConnectionLost } from '../receive.js';
import { WsmanCode, WsmanFaultError } from '../../core/errors.js';
import { receivePoolMessages } from './poolreceive.js';
import { configurationUri, Shell } from '../shell.js';
import { EventQueue, type PsrpTransport } from './transport.js';
import { fragmentSizeFor, splitFragments } from './fragments.js';

export { fragmentSizeFor } from './fragments.js';
import { winrmCompress, winrmDecompress } from '../../core/xpress/index.js';

/** PowerShell's default configuration (New-PSSession without -ConfigurationName). */
export const DEFAULT_CONFIGURATION = 'Microsoft.PowerShell';

export type { WsmanRunspaceOptions } from './wsman-options.js';

const isPool = (pid: string): boolean => pid === EMPTY_GUID;

/** A pool served by one WS-Man shell. */
export class WsmanRunspace implements PsrpTransport {
  shell: Shell | undefined;
  readonly resourceUri: string;
  private readonly queue = new EventQueue();
  /** Stream data of this shell travels in xpress chunks (the server accepted CompressionType). */
  private xpress = false;
  private sending: Promise<void> = Promise.resolve();
  private readonly receives = new Set<Promise<void>>();
  /** Pipeline id -> the CommandId the server answered (Windows' protocol 2.1 servers choose their own). */
  private readonly commandIds = new Map<string, string>();
  private readonly toReceive: string[] = [];
  private readonly done = new Set<string>();
  /** Aborted by disconnect(): the pipelines' Receive loops stop after the answer in flight. */
  private stopper = new AbortController();
  /** SequenceId counters per CommandId, kept across Disconnect/Reconnect. */
  private readonly sequences = new Map<string, { next: number }>();
  /** Receive loops by CommandId (one at a time per pipeline). */
  private readonly pipelineLoops = new Map<string, Promise<void>>();
  /** Set by halt(): the pool's Receive loop sends no more. */
  private halted = false;
  /** The persistent pool Receive loop (poolReceive), while it runs, and its entry in `receives`. */
  private poolLoop: Promise<void> | undefined;
  private poolTracked: Promise<void> | undefined;
  /** Aborted after Delete and by dispose(): the pool Receive in flight is abandoned. */
  private readonly poolAbort = new AbortController();
  /** The error that ended pipelines' Receives when the connection was lost (the pool is then Disconnected for us). */
  lost: Error | undefined;

  constructor(readonly client: WsmanClient, readonly pool: ClientRunspacePool, private readonly options: WsmanRunspaceOptions = {}) {
    this.resourceUri = configurationUri(options.configurationName ?? DEFAULT_CONFIGURATION);
    if (this.resourceUri === ResourceURI.Cmd) throw new WsmanUsageError('PSRP needs a PowerShell configuration, not the cmd shell', 'ERR_PSRP_RESOURCE');
  }

  private get selectors(): Record<string, string> {
    return { ShellId: this.shell!.shellId };
  }

  private sig(): { signal?: AbortSignal } {
    return this.options.signal ? { signal: this.options.signal } : {};
  }

  /**
   * Send everything the pool has queued, in order. `receive: false` starts pipelines without
   * receiving their output (Invoke-Command -InDisconnectedSession: start, then disconnect).
   */
  flush(opts: { receive?: boolean } = {}): Promise<void> {
    const items = this.pool.dataToSend();
    const run = this.sending.then(async () => {
      for (const o of items) await this.sendOne(o);
      // A pipeline's Receives start once what was queued with it (the rest of CREATE_PIPELINE,
      // input given before the invoke) has been sent, as PowerShell's client orders them.
      const started = this.toReceive.splice(0);
      if (opts.receive !== false) for (const commandId of started) this.background(this.receivePipeline(commandId));
    });
    this.sending = run.catch(() => undefined);
    return run.catch((err: Error) => {
      this.queue.fail(err);
      throw err;
    });
  }

  private commandIdOf(pid: string): string {
    return this.commandIds.get(pid) ?? pid.toUpperCase();
  }

  private get fragmentRoom(): number {
    return fragmentSizeFor(this.client.maxEnvelopeSize);
  }

  private async sendOne(o: Outgoing): Promise<void> {
    if (o.kind === 'data' && !this.shell) return this.create(o.data);
    if (o.kind === 'data') {
      const pieces = splitFragments(o.data, this.fragmentRoom);
      if (o.startsPipeline) await this.command(o.pid, pieces.shift()!);
      for (const piece of pieces) {
        const data = this.xpress ? Buffer.from(winrmCompress(piece)) : piece;
        await this.client.send(Action.Send, {
          kind: 'Send',
          streams: [{ name: o.stream === 'PromptResponse' ? 'pr' : 'stdin', ...(isPool(o.pid) ? {} : { commandId: this.commandIdOf(o.pid) }), data }],
        }, { resourceUri: this.resourceUri, selectors: this.selectors, ...this.sig() });
      }
      // A pool message after the open (PUBLIC_KEY…): its answer comes from a pool Receive.
      if (isPool(o.pid) && !o.startsPipeline) this.receivePool(1);
      return;
    }
    if (o.kind === 'signal') {
      await this.shell!.signal(this.commandIdOf(o.pid), SignalURI.PowerShellStop, this.options.signal);
      return;
    }
    if (isPool(o.pid)) {
      await this.shell?.close(this.options.signal);
      this.poolAbort.abort();
      this.pool.closedByTransport();
      this.queue.drain(this.pool);
      return;
    }
    // A command the server reported Done is released already (Windows; pypsrp sends nothing more).
    if (this.done.has(this.commandIdOf(o.pid)) && !this.options.terminateWhenDone) return;
    await this.shell!.signal(this.commandIdOf(o.pid), SignalURI.Terminate, this.options.signal);
  }

  private async create(creation: Uint8Array): Promise<void> {
    this.shell = await Shell.open(this.client, {
      resourceUri: this.resourceUri,
      shellId: this.options.shellId ?? this.pool.rpid,
      inputStreams: ['stdin', 'pr'],
      outputStreams: ['stdout'],
      creationXml: Buffer.from(creation).toString('base64'),
      wsmanOptions: this.versionOption,
      ...(this.options.idleTimeout !== undefined ? { idleTimeout: this.options.idleTimeout } : {}),
      ...(this.options.compression ? { compression: 'xpress' as const } : {}),
      ...(this.options.outputBufferingMode ? { outputBufferingMode: this.options.outputBufferingMode } : {}),
      ...(this.options.name !== undefined ? { name: this.options.name } : {}),
      ...this.sig(),
    });
    // A server that answers CompressionMode NoCompression declined; one that names none accepted.
    this.xpress = this.options.compression === true && this.shell.info.compressionMode !== 'NoCompression';
    this.receivePool();
  }

  private async command(pid: string, createPipeline: Uint8Array): Promise<void> {
    const msg = await this.client.send(Action.Command, { kind: 'CommandLine', commandId: pid.toUpperCase(), command: '', arguments: [Buffer.from(createPipeline).toString('base64')] }, {
      resourceUri: this.resourceUri, selectors: this.selectors, options: [{ name: 'WINRS_SKIP_CMD_SHELL', value: 'False' }], ...this.sig(),
    });
    if (msg.body.kind !== 'CommandResponse') throw unexpected('CommandResponse', msg);
    this.commandIds.set(pid, msg.body.commandId);
    this.toReceive.push(msg.body.commandId);
  }

  private background(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err: Error) => this.queue.fail(err)).finally(() => this.receives.delete(tracked));
    this.receives.add(tracked);
    return tracked;
  }

  private feed(data: Uint8Array): void {
    try {
      // A Receive envelope's worth of xpress chunks cannot honestly expand more than ~256 times.
      this.pool.receiveData(this.xpress ? winrmDecompress(data, 256 * this.client.maxEnvelopeSize) : data);
    } finally {
      this.queue.drain(this.pool);
    }
  }

  private get persistent(): boolean {
    return this.options.poolReceive !== false;
  }

  /**
   * Pool messages (Receive without a CommandId) until the pool is Opened (or ends), `atLeast` more,
   * and (poolReceive) for as long as the pool stays Opened: then one loop at a time.
   */
  private receivePool(atLeast = 0): void {
    if (this.persistent && this.poolLoop) return;
    const stop = this.stopper.signal;
    const opening = (): boolean => ['NegotiationSent', 'NegotiationSucceeded', 'Connecting', 'Opening'].includes(this.pool.state);
    const loop: Promise<void> = receivePoolMessages({
      client: this.client, resourceUri: this.resourceUri, shellId: this.shell!.shellId, stop, abort: this.poolAbort.signal,
      more: (sent) => !this.halted && (sent < atLeast || opening() || (this.persistent && this.pool.state === 'Opened')),
      feed: (data) => this.feed(data),
      ...(this.persistent ? { ready: () => this.queue.whenRoom() } : {}),
      ...this.sig(),
    }).catch((err: Error) => this.poolFailed(err)).finally(() => {
      if (this.poolLoop === loop) this.poolLoop = undefined;
    });
    const tracked = this.background(loop);
    if (this.persistent) [this.poolLoop, this.poolTracked] = [loop, tracked];
  }

  /**
   * The pool's Receive failed. While opening (or without poolReceive) the events fail with it; an
   * Opened pool becomes Broken, as PowerShell's does on a ReceiveShellOutputEx error (a lost
   * connection under a retry policy leaves it Disconnected for us instead, as for pipelines).
   */
  private poolFailed(err: Error): void {
    if (!this.persistent || this.pool.state !== 'Opened') throw err;
    if (this.options.retry && isConnectionLost(err)) return this.connectionLost(err);
    // The server no longer knows the shell: nothing to Delete.
    if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.UnexpectedSelectors) this.shell?.gone();
    this.pool.brokenByTransport(err.message);
    this.queue.drain(this.pool);
  }

  /**
   * A pipeline's output (Receive of `stdout` with its CommandId) until its command is Done.
   * Stopped by disconnect() (the answer in flight is still fed); a connection lost for longer
   * than the retry policy leaves the pool Disconnected for us (Reconnect takes it back).
   */
  private receivePipeline(commandId: string): Promise<void> {
    const key = commandId.toUpperCase();
    let seq = this.sequences.get(key);
    if (!seq) this.sequences.set(key, (seq = { next: 1 }));
    const stop = this.stopper.signal;
    const loop = receiveUntilDone({
      client: this.client, resourceUri: this.resourceUri, shellId: this.shell!.shellId, commandId, streams: ['stdout'],
      onData: (_stream, data) => this.feed(data),
      sequence: seq, stop,
      ...(this.options.retry ? { retry: this.options.retry } : {}),
      ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
      // Backpressure: no next Receive while the consumer leaves too many events unread.
      ready: () => this.queue.whenRoom(),
      ...this.sig(),
    }).then(() => {
      this.done.add(commandId);
      this.sequences.delete(key);
    }, (err: unknown) => {
      if (stop.aborted) return;
      if (this.options.retry && isConnectionLost(err)) return this.connectionLost(err as Error);
      throw err;
    }).finally(() => {
      if (this.pipelineLoops.get(key) === loop) this.pipelineLoops.delete(key);
    });
    this.pipelineLoops.set(key, loop);
    return loop;
  }

  /** Unintentional disconnection: the pool and its running pipelines are Disconnected for us. */
  private connectionLost(err: Error): void {
    this.lost ??= err;
    this.stopper.abort(err);
    if (this.pool.state === 'Opened') {
      this.pool.disconnected();
      this.queue.drain(this.pool);
    }
  }

  /** Pipeline ids (as the pool knows them) of the pipelines still running or disconnected. */
  get livePipelines(): string[] {
    return [...this.commandIds.keys()].filter((pid) => {
      const st = this.pool.pipeline(pid)?.state;
      return st === 'Running' || st === 'Disconnected' || st === 'Stopping';
    });
  }

  private get versionOption(): WsmanOption[] {
    return [{ name: 'protocolversion', value: this.options.protocolVersion ?? '2.3', mustComply: true }];
  }

  /**
   * Disconnect-PSSession: the shell and its pipelines stay on the server (WS-Man Disconnect); the
   * pool and its running pipelines become Disconnected. `idleTimeout` in ms.
   */
  async disconnect(opts: { idleTimeout?: number; bufferMode?: 'Block' | 'Drop' } = {}): Promise<void> {
    await this.sending;
    // Stop asking for output first; the Disconnect has the server answer the Receives in flight
    // at once (fed here; a quiet pipeline's would otherwise wait out the OperationTimeout), the
    // rest stays on the server.
    this.stopper.abort();
    const loops = Promise.all([...this.pipelineLoops.values(), this.poolLoop].map((l) => l?.catch(() => undefined)));
    await this.shell!.disconnect({ ...opts, ...this.sig() });
    await loops;
    if (this.pool.state === 'Opened') this.pool.disconnected();
    this.queue.drain(this.pool);
  }

  /**
   * Connect-PSSession by the client that disconnected (WS-Man Reconnect, same SessionId), then a
   * Reconnect of each pipeline still running, as PowerShell's client does; receiving them again
   * is resumePipeline()'s.
   */
  async reconnect(): Promise<void> {
    await this.shell!.reconnect(this.sig());
    this.lost = undefined;
    this.stopper = new AbortController();
    if (this.pool.state === 'Disconnected') this.pool.reconnected();
    this.queue.drain(this.pool);
    for (const pid of this.livePipelines) {
      const commandId = this.commandIdOf(pid);
      if (!this.done.has(commandId)) await this.shell!.reconnect({ commandId, ...this.sig() });
    }
    if (this.persistent) this.receivePool();
  }

  /** Whether this transport started or adopted the pipeline. */
  knows(pid: string): boolean {
    return this.commandIds.has(pid.toLowerCase());
  }

  /** Whether a known pipeline still has output to receive (not Done on the server, not ended here). */
  receivable(pid: string): boolean {
    const key = pid.toLowerCase();
    return this.knows(key) && !this.done.has(this.commandIdOf(key)) && this.livePipelines.includes(key);
  }

  /** Receive a pipeline of this pool again after a Reconnect (no-op while its Receives run). */
  resumePipeline(pid: string): void {
    const commandId = this.commandIdOf(pid);
    if (this.pipelineLoops.has(commandId.toUpperCase()) || this.done.has(commandId)) return;
    this.background(this.receivePipeline(commandId));
  }

  /**
   * Connect-PSSession from another client: take over the Disconnected shell `shellId` whose pool id
   * is `pool.rpid` (WS-Man Connect with connectXml = SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL; the
   * connectResponseXml and the pool's Receives open it). Running pipelines: pool.adoptPipeline().
   */
  static async connect(client: WsmanClient, pool: ClientRunspacePool, shellId: string, options: WsmanRunspaceOptions = {}): Promise<WsmanRunspace> {
    const t = new WsmanRunspace(client, pool, { ...options, shellId });
    t.shell = Shell.attach(client, shellId, t.resourceUri, 'Disconnected');
    pool.connect();
    const data = Buffer.concat(pool.dataToSend().flatMap((o) => (o.kind === 'data' ? [o.data] : [])));
    const res = await t.shell.connect({ connectXml: data.toString('base64'), wsmanOptions: t.versionOption, ...t.sig() });
    if (res.connectResponseXml) t.feed(Buffer.from(res.connectResponseXml, 'base64'));
    // connectXml and its answer are not compressed; the stream data that follows is when the shell is.
    t.xpress = options.compression === true;
    // As PowerShell's client, keep one pool Receive going after a Connect (it brings what the pool
    // queued meanwhile), and more until the pool is Opened.
    t.receivePool(1);
    return t;
  }

  /**
   * Receive-PSSession of a pipeline running in a pool this client connected to: adopt it, Connect
   * its command (WS-Man Connect with its CommandId), and receive its output until it is Done.
   */
  async connectPipeline(pid: string): Promise<void> {
    this.pool.adoptPipeline(pid);
    const commandId = this.commandIdOf(pid);
    this.commandIds.set(pid, commandId);
    await this.shell!.connect({ commandId, ...this.sig() });
    this.background(this.receivePipeline(commandId));
  }

  /** Stop receiving for the pool and its pipelines without deleting anything (a Connect that did not open the pool). */
  halt(err: Error): void {
    this.halted = true;
    this.stopper.abort(err);
    this.poolAbort.abort(err);
    this.queue.fail(err);
  }

  /** isAlive found the shell not ours any more: an Opened pool is Closed for us, and nothing is sent to the shell again. */
  notAlive(): void {
    if (this.pool.state !== 'Opened') return;
    this.stopper.abort();
    this.poolAbort.abort();
    this.shell?.gone();
    this.pool.closedByTransport();
    this.queue.drain(this.pool);
  }

  nextEvent(): Promise<PsrpEvent> {
    return this.queue.next();
  }

  /** Wait for the background Receives to end (after the pool closed or failed); the pool's own (poolReceive) while it is Opened aside. */
  async settled(): Promise<void> {
    const skip = this.pool.state === 'Opened' ? this.poolTracked : undefined;
    await Promise.all([...this.receives].filter((r) => r !== skip));
  }

  /** Delete the shell if it is still there (Remove-PSSession of a disconnected pool too); the events end. */
  async dispose(): Promise<void> {
    this.stopper.abort();
    try {
      if (this.shell && this.shell.state !== 'Closed') await this.shell.close(this.options.signal).catch(() => undefined);
    } finally {
      this.poolAbort.abort();
      this.queue.fail(new WsmanUsageError('the runspace pool was closed', 'ERR_PSRP_CLOSED'));
    }
  }
}
