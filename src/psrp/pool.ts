/**
 * The runspace pool (RunspacePoolState, MS-PSRP 2.2.3.4 and 3.1.1.2.2) as a table, a role-free
 * pool that fragments what it sends and reassembles what it receives, and the client role.
 * Sans-IO, queue and drain: calls queue messages; `dataToSend()` drains them as transport-neutral
 * items; `receiveData(bytes)` feeds fragments in; `nextEvent()` returns typed events.
 *
 *   BeforeOpen ─open─▶ NegotiationSent ─capability─▶ NegotiationSucceeded ─opened─▶ Opened
 *   Opened ─close─▶ Closing ─closed─▶ Closed;   any ─broken─▶ Broken
 */
import { StateMachine, type Table } from '../core/state/table.js';
import type { PSValue } from './clixml/model.js';
import { Defragmenter, fragmentBytes, type DefragmenterLimits } from './fragment.js';
import { EMPTY_GUID, type MessageTypeName } from './message.js';
import { RunspacePoolState } from './messages/common.js';
import { decodeTyped, encodeTyped, noHostInfo, type TypedMessage, type UnknownMessage } from './messages/index.js';
import { ClientPipeline, Pipeline, pipelineStateEvent, type PipelineHost, type PipelineState } from './pipeline.js';
import { PsrpProtocolError, psrpUsage } from './errors.js';
import type { Serializable } from './clixml/serialize.js';
import type { HostCall, HostResponse } from './messages/host.js';

export type PoolState = (typeof RunspacePoolState)[number];
export type PoolEvent = 'open' | 'capability' | 'opened' | 'close' | 'closing' | 'closed' | 'broken' | 'connect' | 'disconnect' | 'reconnect';

export const POOL_TABLE: Table<PoolState, PoolEvent> = {
  BeforeOpen: { open: 'NegotiationSent', connect: 'Connecting', broken: 'Broken', closed: 'Closed' },
  NegotiationSent: { capability: 'NegotiationSucceeded', opened: 'Opened', broken: 'Broken', closed: 'Closed' },
  NegotiationSucceeded: { opened: 'Opened', closing: 'Closing', broken: 'Broken', closed: 'Closed' },
  Opening: { opened: 'Opened', broken: 'Broken', closed: 'Closed' },
  Connecting: { capability: 'Connecting', opened: 'Opened', broken: 'Broken', closed: 'Closed' },
  Opened: { opened: 'Opened', close: 'Closing', closing: 'Closing', closed: 'Closed', broken: 'Broken', disconnect: 'Disconnected' },
  Closing: { close: 'Closing', closing: 'Closing', closed: 'Closed', broken: 'Broken' },
  Disconnected: { reconnect: 'Opened', connect: 'Connecting', close: 'Closing', closed: 'Closed', broken: 'Broken' },
  Closed: { closed: 'Closed', close: 'Closed' },
  Broken: { broken: 'Broken', closed: 'Broken', close: 'Broken' },
};

export const poolMachine = new StateMachine<PoolState, PoolEvent>('runspace pool', POOL_TABLE);

/** The event a RUNSPACEPOOL_STATE value stands for. */
export function poolStateEvent(state: number): PoolEvent | undefined {
  return ({ 2: 'opened', 3: 'closed', 4: 'closing', 5: 'broken', 9: 'disconnect' } as Record<number, PoolEvent>)[state];
}

/** What the transport must do next. `pid` is EMPTY_GUID for the pool. */
export type Outgoing =
  | {
      kind: 'data';
      pid: string;
      stream: 'Default' | 'PromptResponse';
      /** One or more whole fragments. */
      data: Uint8Array;
      messageTypes: MessageTypeName[];
      /** CREATE_PIPELINE: WS-Man sends it as a Command (Arguments), out-of-process after `<Command>`. */
      startsPipeline?: boolean;
    }
  | { kind: 'signal' | 'close'; pid: string };

/** What the pool reports. */
export type PsrpEvent =
  | { type: 'PoolState'; state: PoolState; error?: PSValue }
  | { type: 'PipelineState'; pid: string; state: PipelineState; error?: PSValue }
  | { type: 'Message'; pid: string; message: TypedMessage | UnknownMessage };

export interface PoolOptions {
  rpid: string;
  /** Largest fragment, header included (WS-Man: from MaxEnvelopeSize; out-of-process: 32768). */
  maxFragmentSize?: number;
  limits?: Partial<DefragmenterLimits>;
}

/** Role-free: ids, fragmenting, the send queue, the receive path, the event queue, the state. */
export class RunspacePool implements PipelineHost {
  readonly rpid: string;
  state: PoolState = 'BeforeOpen';
  protected readonly pipelines = new Map<string, Pipeline>();
  private readonly outgoing: Outgoing[] = [];
  private readonly events: PsrpEvent[] = [];
  private readonly defragmenter: Defragmenter;
  private nextObjectId = 1n;
  private readonly maxFragmentSize: number;

  constructor(
    protected readonly destination: 1 | 2,
    options: PoolOptions,
  ) {
    this.rpid = options.rpid.toLowerCase();
    this.maxFragmentSize = options.maxFragmentSize ?? 32768;
    this.defragmenter = new Defragmenter(options.limits);
  }

  protected transition(event: PoolEvent, error?: PSValue): void {
    const before = this.state;
    this.state = poolMachine.next(this.state, event);
    if (this.state !== before) this.emit(error === undefined ? { type: 'PoolState', state: this.state } : { type: 'PoolState', state: this.state, error });
  }

  protected emit(e: PsrpEvent): void {
    this.events.push(e);
  }

  queueMessage(pid: string, message: TypedMessage, extra: { startsPipeline?: boolean; stream?: 'Default' | 'PromptResponse' } = {}): void {
    const bytes = encodeTyped(message, { destination: this.destination, rpid: this.rpid, pid });
    const data = fragmentBytes(this.nextObjectId++, bytes, this.maxFragmentSize);
    const last = this.outgoing[this.outgoing.length - 1];
    // Messages for the same target and stream travel together (SESSION_CAPABILITY + INIT_RUNSPACEPOOL in creationXml).
    if (last && last.kind === 'data' && last.pid === pid && !extra.startsPipeline && !last.startsPipeline && last.stream === (extra.stream ?? 'Default')) {
      last.data = Buffer.concat([last.data, data]);
      last.messageTypes.push(message.type);
      return;
    }
    this.outgoing.push({ kind: 'data', pid, stream: extra.stream ?? 'Default', data, messageTypes: [message.type], ...(extra.startsPipeline ? { startsPipeline: true } : {}) });
  }

  queueControl(kind: 'signal' | 'close', pid: string): void {
    this.outgoing.push({ kind, pid });
  }

  /** Everything queued for the transport, in order; the queue is emptied. */
  dataToSend(): Outgoing[] {
    return this.outgoing.splice(0);
  }

  /**
   * Fragments from the peer (any chunking); decoded messages are dispatched to the role. Data that
   * does not decode, or a message the current state does not allow, is a PsrpProtocolError and
   * leaves the pool Broken (its PoolState event is queued first).
   */
  receiveData(bytes: Uint8Array): void {
    if (this.state === 'Broken') throw new PsrpProtocolError('ERR_PSRP_MESSAGE', 'the runspace pool is Broken');
    try {
      for (const m of this.defragmenter.push(bytes)) {
        const d = decodeTyped(m.data);
        this.handle(d.pid, d.message);
      }
    } catch (err) {
      const e = err instanceof PsrpProtocolError ? err : new PsrpProtocolError('ERR_PSRP_MESSAGE', `the server's message is not valid now: ${(err as Error).message}`, { cause: err });
      this.state = 'Broken';
      this.emit({ type: 'PoolState', state: 'Broken' });
      throw e;
    }
  }

  /** The next event, or undefined when none is waiting. */
  nextEvent(): PsrpEvent | undefined {
    return this.events.shift();
  }

  pipeline(pid: string): Pipeline | undefined {
    return this.pipelines.get(pid.toLowerCase());
  }

  protected handle(pid: string, message: TypedMessage | UnknownMessage): void {
    this.emit({ type: 'Message', pid, message });
  }
}

export interface ClientPoolOptions extends PoolOptions {
  minRunspaces?: number;
  maxRunspaces?: number;
  /** $PSSenderInfo.ApplicationArguments on the server (a PSPrimitiveDictionary) or null. */
  applicationArguments?: PSValue;
  /** Sent in SESSION_CAPABILITY; PowerShell 5.1 sends 2.3. */
  protocolVersion?: string;
  /** The pool's HostInfo (2.2.3.14): noHostInfo() (the default) or uiHostInfo() to receive RUNSPACEPOOL_HOST_CALLs. */
  hostInfo?: PSValue;
}

/** The client role. PowerShell: [runspacefactory]::CreateRunspacePool(). */
export class ClientRunspacePool extends RunspacePool {
  /** The server's SESSION_CAPABILITY protocol version, once received. */
  serverProtocolVersion: string | undefined;
  /** APPLICATION_PRIVATE_DATA ($PSVersionTable of the server…), once received. */
  applicationPrivateData: PSValue | undefined;
  private readonly options: ClientPoolOptions;

  constructor(options: ClientPoolOptions) {
    super(2, options);
    this.options = options;
  }

  /** PowerShell: RunspacePool.Open(). Queues SESSION_CAPABILITY and INIT_RUNSPACEPOOL. */
  open(): void {
    this.transition('open');
    this.queueMessage(EMPTY_GUID, { type: 'SESSION_CAPABILITY', protocolVersion: this.options.protocolVersion ?? '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' });
    this.queueMessage(EMPTY_GUID, {
      type: 'INIT_RUNSPACEPOOL',
      minRunspaces: this.options.minRunspaces ?? 1,
      maxRunspaces: this.options.maxRunspaces ?? 1,
      threadOptions: { value: 0, name: 'Default' },
      apartmentState: { value: 2, name: 'Unknown' },
      hostInfo: this.options.hostInfo ?? noHostInfo(),
      applicationArguments: this.options.applicationArguments ?? null,
    });
  }

  /**
   * Connect to a pool another client left disconnected (MS-PSRP 3.1.4.? Connect): queues
   * SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL (the WS-Man connectXml); the server answers
   * SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA, which open the pool. PowerShell: Connect-PSSession.
   */
  connect(): void {
    this.transition('connect');
    this.queueMessage(EMPTY_GUID, { type: 'SESSION_CAPABILITY', protocolVersion: this.options.protocolVersion ?? '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' });
    this.queueMessage(EMPTY_GUID, {
      type: 'CONNECT_RUNSPACEPOOL',
      ...(this.options.minRunspaces !== undefined ? { minRunspaces: this.options.minRunspaces } : {}),
      ...(this.options.maxRunspaces !== undefined ? { maxRunspaces: this.options.maxRunspaces } : {}),
    });
  }

  /** The transport disconnected the pool (WS-Man Disconnect). PowerShell: Disconnect-PSSession. */
  disconnected(): void {
    this.transition('disconnect');
    for (const p of this.pipelines.values()) {
      if (p.state === 'Running') {
        p.transition('disconnect');
        this.emit({ type: 'PipelineState', pid: p.pid, state: p.state });
      }
    }
  }

  /** The same client reconnected it (WS-Man Reconnect). */
  reconnected(): void {
    this.transition('reconnect');
    for (const p of this.pipelines.values()) {
      if (p.state === 'Disconnected') {
        p.transition('reconnect');
        this.emit({ type: 'PipelineState', pid: p.pid, state: p.state });
      }
    }
  }

  /** The transport closed the pool (WS-Man Delete answered): Closed, with its PoolState event. */
  closedByTransport(): void {
    this.transition('closed');
  }

  /**
   * The transport failed under the pool (a fault or a lost connection on the pool's own Receive):
   * Broken, with its PoolState event carrying `reason`. PowerShell: a ReceiveShellOutputEx
   * transport error, which breaks the RunspacePool.
   */
  brokenByTransport(reason?: PSValue): void {
    this.transition('broken', reason);
  }

  /** A pipeline this client did not start, running in a pool it connected to (Receive-PSSession). */
  adoptPipeline(pid: string): ClientPipeline {
    const p = this.createPipeline(pid);
    p.transition('invoke');
    return p;
  }

  /** A new pipeline in this pool (the caller supplies the id). PowerShell: [powershell]::Create() with .RunspacePool set. */
  createPipeline(pid: string): ClientPipeline {
    if (this.state !== 'Opened') throw psrpUsage(`a pipeline needs an Opened pool, not ${this.state}`, 'ERR_PSRP_STATE');
    const key = pid.toLowerCase();
    // PowerShell invokes the same PowerShell object again under the same id once the last run ended.
    if (this.pipelines.get(key)?.ended === false) throw psrpUsage(`pipeline ${pid} exists already`, 'ERR_PSRP_STATE');
    const p = new ClientPipeline(key, this);
    this.pipelines.set(key, p);
    return p;
  }

  /** Start the session key exchange (2.2.2.3 PUBLIC_KEY, a CAPI PUBLICKEYBLOB in base64); the server answers ENCRYPTED_SESSION_KEY. */
  sendPublicKey(publicKey: string): void {
    this.queueMessage(EMPTY_GUID, { type: 'PUBLIC_KEY', publicKey });
  }

  /** Answer a RUNSPACEPOOL_HOST_CALL (2.2.2.28 RUNSPACEPOOL_HOST_RESPONSE): its return value or an error record. */
  respondToHostCall(call: HostCall, answer: { returnValue: Serializable } | { error: Serializable }): void {
    const m: HostResponse = { type: 'RUNSPACEPOOL_HOST_RESPONSE', callId: call.callId, methodId: call.methodId };
    if ('returnValue' in answer) m.returnValue = answer.returnValue as PSValue;
    else m.error = answer.error as PSValue;
    this.queueMessage(EMPTY_GUID, m);
  }

  /** PowerShell: RunspacePool.Close(). The transport closes the pool (WS-Man Delete, out-of-process `<Close>`). */
  close(): void {
    this.transition('close');
    this.queueControl('close', EMPTY_GUID);
  }

  protected override handle(pid: string, message: TypedMessage | UnknownMessage): void {
    switch (message.type) {
      case 'SESSION_CAPABILITY':
        this.serverProtocolVersion = message.protocolVersion;
        this.transition('capability');
        break;
      case 'APPLICATION_PRIVATE_DATA':
        this.applicationPrivateData = message.applicationPrivateData;
        break;
      case 'RUNSPACEPOOL_STATE': {
        const event = poolStateEvent(message.runspaceState);
        if (!event) throw new PsrpProtocolError('ERR_PSRP_MESSAGE', `RUNSPACEPOOL_STATE ${message.runspaceState} is not a state a server sends`);
        this.transition(event, message.exceptionAsErrorRecord);
        return;
      }
      case 'RUNSPACEPOOL_INIT_DATA':
        this.transition('opened');
        break;
      case 'PIPELINE_STATE': {
        const p = this.pipelines.get(pid);
        const event = pipelineStateEvent(message.pipelineState);
        if (!p || !event) throw new PsrpProtocolError('ERR_PSRP_MESSAGE', `PIPELINE_STATE ${message.pipelineState} for ${p ? 'a pipeline' : `unknown pipeline ${pid}`}`);
        const before = p.state;
        p.transition(event);
        if (message.exceptionAsErrorRecord !== undefined) p.error = message.exceptionAsErrorRecord;
        if (p.state !== before) this.emit({ type: 'PipelineState', pid, state: p.state, ...(p.error !== undefined ? { error: p.error } : {}) });
        return;
      }
      default:
        break;
    }
    this.emit({ type: 'Message', pid, message });
  }
}
