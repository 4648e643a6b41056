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
import { decodeFragments, encodeFragment } from '../../psrp/fragment.js';
import type { ClientRunspacePool, Outgoing, PsrpEvent } from '../../psrp/pool.js';
import { WsmanClient, unexpected } from '../client.js';
import { receiveUntilDone, isTimedOutFault } from '../receive.js';
import { configurationUri, Shell } from '../shell.js';
import { EventQueue, type PsrpTransport } from './transport.js';

/** PowerShell's default configuration (New-PSSession without -ConfigurationName). */
export const DEFAULT_CONFIGURATION = 'Microsoft.PowerShell';

export interface WsmanRunspaceOptions {
  /** A configuration name (`Microsoft.PowerShell`, a JEA endpoint…) or a full resource URI. */
  configurationName?: string;
  /** The ShellId to ask for; default the pool's id (PowerShell uses the RunspacePool id). */
  shellId?: string;
  /** The Create's `protocolversion` option (default 2.3, as PowerShell 5.1 and 7 send). */
  protocolVersion?: string;
  /** IdleTimeOut of the shell in ms (New-PSSessionOption -IdleTimeout). */
  idleTimeout?: number;
  /**
   * Closing an ended pipeline sends Signal terminate even after its command was Done (as pypsrp
   * does for each invocation in test_psrp_multiple_invocations); default false: a Done command
   * needs nothing more, and the shell's Delete releases everything.
   */
  terminateWhenDone?: boolean;
  signal?: AbortSignal;
}

/**
 * The largest PSRP fragment that fits a WS-Man envelope of `maxEnvelopeSize` bytes once base64
 * encoded, leaving room for the SOAP envelope around it (headers, Send/Command body).
 */
export function fragmentSizeFor(maxEnvelopeSize: number): number {
  const ENVELOPE_ROOM = 2048;
  return Math.max(256, Math.floor((maxEnvelopeSize - ENVELOPE_ROOM) / 4) * 3);
}

const isPool = (pid: string): boolean => pid === EMPTY_GUID;

/** Whole fragments grouped into pieces of at most `max` bytes (a larger fragment goes alone). */
export function splitFragments(data: Uint8Array, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  for (const f of decodeFragments(data)) {
    const bytes = encodeFragment(f);
    if (size && size + bytes.length > max) {
      pieces.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(bytes);
    size += bytes.length;
  }
  if (current.length) pieces.push(Buffer.concat(current));
  return pieces;
}

/** A pool served by one WS-Man shell. */
export class WsmanRunspace implements PsrpTransport {
  shell: Shell | undefined;
  readonly resourceUri: string;
  private readonly queue = new EventQueue();
  private sending: Promise<void> = Promise.resolve();
  private readonly receives = new Set<Promise<void>>();
  /** Pipeline id -> the CommandId the server answered (Windows' protocol 2.1 servers choose their own). */
  private readonly commandIds = new Map<string, string>();
  private readonly toReceive: string[] = [];
  private readonly done = new Set<string>();

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
      for (const data of pieces) {
        await this.client.send(Action.Send, {
          kind: 'Send',
          streams: [{ name: o.stream === 'PromptResponse' ? 'pr' : 'stdin', ...(isPool(o.pid) ? {} : { commandId: this.commandIdOf(o.pid) }), data }],
        }, { resourceUri: this.resourceUri, selectors: this.selectors, ...this.sig() });
      }
      // A pool message after the open (PUBLIC_KEY…): its answer comes from a pool Receive.
      if (isPool(o.pid) && !o.startsPipeline) this.background(this.receivePool(1));
      return;
    }
    if (o.kind === 'signal') {
      await this.shell!.signal(this.commandIdOf(o.pid), SignalURI.PowerShellStop, this.options.signal);
      return;
    }
    if (isPool(o.pid)) {
      await this.shell?.close(this.options.signal);
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
      ...this.sig(),
    });
    this.background(this.receivePool());
  }

  private async command(pid: string, createPipeline: Uint8Array): Promise<void> {
    const msg = await this.client.send(Action.Command, { kind: 'CommandLine', commandId: pid.toUpperCase(), command: '', arguments: [Buffer.from(createPipeline).toString('base64')] }, {
      resourceUri: this.resourceUri, selectors: this.selectors, options: [{ name: 'WINRS_SKIP_CMD_SHELL', value: 'False' }], ...this.sig(),
    });
    if (msg.body.kind !== 'CommandResponse') throw unexpected('CommandResponse', msg);
    this.commandIds.set(pid, msg.body.commandId);
    this.toReceive.push(msg.body.commandId);
  }

  private background(p: Promise<void>): void {
    const tracked = p.catch((err: Error) => this.queue.fail(err)).finally(() => this.receives.delete(tracked));
    this.receives.add(tracked);
  }

  private feed(data: Uint8Array): void {
    try {
      this.pool.receiveData(data);
    } finally {
      this.queue.drain(this.pool);
    }
  }

  /** Pool messages (Receive without a CommandId) until the pool is Opened (or ends). */
  private async receivePool(atLeast = 0): Promise<void> {
    const state = (): string => this.pool.state;
    let n = 0;
    while (n++ < atLeast || state() === 'NegotiationSent' || state() === 'NegotiationSucceeded' || state() === 'Connecting' || state() === 'Opening') {
      let msg;
      try {
        msg = await this.client.send(Action.Receive, { kind: 'Receive', streams: ['stdout'] }, {
          resourceUri: this.resourceUri, selectors: this.selectors, options: [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'True' }], ...this.sig(),
        });
      } catch (err) {
        if (isTimedOutFault(err)) continue;
        throw err;
      }
      if (msg.body.kind !== 'ReceiveResponse') throw unexpected('ReceiveResponse', msg);
      for (const s of msg.body.streams) if (s.data.length && s.commandId === undefined) this.feed(s.data);
    }
  }

  /** A pipeline's output (Receive of `stdout` with its CommandId) until its command is Done. */
  private async receivePipeline(commandId: string): Promise<void> {
    await receiveUntilDone({
      client: this.client, resourceUri: this.resourceUri, shellId: this.shell!.shellId, commandId, streams: ['stdout'],
      onData: (_stream, data) => this.feed(data),
      // Backpressure: no next Receive while the consumer leaves too many events unread.
      ready: () => this.queue.whenRoom(),
      ...this.sig(),
    });
    this.done.add(commandId);
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
    await this.shell!.disconnect({ ...opts, ...this.sig() });
    this.pool.disconnected();
    this.queue.drain(this.pool);
  }

  /** Connect-PSSession by the client that disconnected (WS-Man Reconnect, same SessionId). */
  async reconnect(): Promise<void> {
    await this.shell!.reconnect(this.sig());
    this.pool.reconnected();
    this.queue.drain(this.pool);
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
    // As PowerShell's client, keep one pool Receive going after a Connect (it brings what the pool
    // queued meanwhile), and more until the pool is Opened.
    t.background(t.receivePool(1));
    return t;
  }

  /**
   * Receive-PSSession of a pipeline running in a pool this client connected to: adopt it, Connect
   * its command (WS-Man Connect with its CommandId), and receive its output until it is Done.
   */
  async connectPipeline(pid: string): Promise<void> {
    this.pool.adoptPipeline(pid);
    const commandId = this.commandIdOf(pid);
    await this.shell!.connect({ commandId, ...this.sig() });
    this.background(this.receivePipeline(commandId));
  }

  nextEvent(): Promise<PsrpEvent> {
    return this.queue.next();
  }

  /** Wait for the background Receives to end (after the pool closed or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.receives]);
  }

  async dispose(): Promise<void> {
    if (this.shell && this.shell.state !== 'Closed') await this.shell.close(this.options.signal).catch(() => undefined);
  }
}
