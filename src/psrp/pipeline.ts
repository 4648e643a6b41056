/**
 * The life of a pipeline (PSInvocationState, MS-PSRP 2.2.3.4 and 3.1.1.2.3) as a table, and the
 * role-free pipeline with its client role. The pipeline does no I/O: it queues messages on its
 * pool (see pool.ts), which fragments them for the transport.
 *
 *   NotStarted ─invoke─▶ Running ─completed─▶ Completed
 *                          │ ├──failed──▶ Failed
 *                          │ └─stop─▶ Stopping ─stopped─▶ Stopped
 *                          └─disconnect─▶ Disconnected ─reconnect─▶ Running
 */
import { StateMachine, type Table } from '../core/state/table.js';
import type { PSValue } from './clixml/model.js';
import type { Serializable } from './clixml/serialize.js';
import { PSInvocationState } from './messages/common.js';
import { command, type Command, type CreatePipeline, type GetCommandMetadata } from './messages/pipeline.js';
import { noHostInfo } from './messages/pool.js';
import type { HostCall, HostResponse } from './messages/host.js';

/** PSInvocationState names (2.2.3.5). */
export type PipelineState = (typeof PSInvocationState)[number];
export type PipelineEvent = 'invoke' | 'running' | 'stop' | 'stopped' | 'completed' | 'failed' | 'disconnect' | 'reconnect';

const ENDED = { stopped: 'Stopped', completed: 'Completed', failed: 'Failed' } as const;

export const PIPELINE_TABLE: Table<PipelineState, PipelineEvent> = {
  NotStarted: { invoke: 'Running', failed: 'Failed' },
  Running: { running: 'Running', stop: 'Stopping', disconnect: 'Disconnected', ...ENDED },
  Stopping: { stop: 'Stopping', running: 'Stopping', ...ENDED },
  Disconnected: { reconnect: 'Running', disconnect: 'Disconnected', ...ENDED },
  Stopped: {},
  Completed: {},
  Failed: {},
};

export const pipelineMachine = new StateMachine<PipelineState, PipelineEvent>('pipeline', PIPELINE_TABLE);

/** The event a PIPELINE_STATE value stands for. */
export function pipelineStateEvent(state: number): PipelineEvent | undefined {
  return ({ 1: 'running', 2: 'stop', 3: 'stopped', 4: 'completed', 5: 'failed', 6: 'disconnect' } as Record<number, PipelineEvent>)[state];
}

/** What a pipeline needs from its pool: a way to queue a message. */
export interface PipelineHost {
  queueMessage(pid: string, message: import('./messages/index.js').TypedMessage, extra?: { startsPipeline?: boolean; stream?: 'Default' | 'PromptResponse' }): void;
  queueControl(kind: 'signal' | 'close', pid: string): void;
}

/** A pipeline of a pool, identified by its pid; its state follows the table. */
export class Pipeline {
  state: PipelineState = 'NotStarted';
  /** The error record of a Failed pipeline (ExceptionAsErrorRecord), when the server sent one. */
  error: PSValue | undefined;

  constructor(
    readonly pid: string,
    protected readonly host: PipelineHost,
  ) {}

  /** Apply an event; returns the new state (throws WsmanStateError when the table refuses it). */
  transition(event: PipelineEvent): PipelineState {
    this.state = pipelineMachine.next(this.state, event);
    return this.state;
  }

  get ended(): boolean {
    return this.state === 'Completed' || this.state === 'Failed' || this.state === 'Stopped';
  }
}

/** How to build a client pipeline: a script, or commands; whether input follows. */
export interface PipelineSpec {
  /** A script (AddScript) or commands (AddCommand/AddParameter/AddArgument). */
  commands: Command[];
  /** True when the caller will send input (PIPELINE_INPUT … END_OF_PIPELINE_INPUT). */
  input?: boolean;
  addToHistory?: boolean;
  /** The HostInfo sent (2.2.3.14): noHostInfo() (the default) or uiHostInfo() to receive host calls. */
  hostInfo?: PSValue;
  /** A nested pipeline (IsNested): it runs while another pipeline of the pool is running. PowerShell: PowerShell.CreateNestedPowerShell(). */
  isNested?: boolean;
}

/** A script as a pipeline spec. PowerShell: [powershell]::Create().AddScript(text). */
export function scriptSpec(text: string, args: Array<{ name: string | null; value: Serializable }> = []): PipelineSpec {
  return { commands: [command(text, true, args as Array<{ name: string | null; value: PSValue }>)] };
}

/** The client side of a pipeline: Invoke, input, Stop, Close. */
export class ClientPipeline extends Pipeline {
  /** PowerShell: PowerShell.BeginInvoke(). Queues CREATE_PIPELINE. */
  invoke(spec: PipelineSpec): void {
    this.transition('invoke');
    const m: CreatePipeline = {
      type: 'CREATE_PIPELINE',
      noInput: !spec.input,
      apartmentState: { value: 2, name: 'Unknown' },
      remoteStreamOptions: { value: 0, name: 'None' },
      addToHistory: spec.addToHistory ?? false,
      hostInfo: spec.hostInfo ?? noHostInfo(),
      powerShell: { isNested: spec.isNested ?? false, extraCmds: null, cmds: spec.commands, history: null, redirectShellErrorOutputPipe: false },
      isNested: spec.isNested ?? false,
    };
    this.host.queueMessage(this.pid, m, { startsPipeline: true });
  }

  /**
   * Ask for command metadata instead of running commands (2.2.2.14 GET_COMMAND_METADATA): the
   * server answers on this pipeline with the count (CommandMetadataCount), then one object per
   * command, then its state. PowerShell: the remote Get-Command of implicit remoting (Import-PSSession).
   */
  getCommandMetadata(request: Omit<GetCommandMetadata, 'type'>): void {
    this.transition('invoke');
    this.host.queueMessage(this.pid, { type: 'GET_COMMAND_METADATA', ...request }, { startsPipeline: true });
  }

  /** One input object (PIPELINE_INPUT). */
  sendInput(value: Serializable): void {
    if (this.state !== 'Running') pipelineMachine.next(this.state, 'running');
    this.host.queueMessage(this.pid, { type: 'PIPELINE_INPUT', value: value as PSValue });
  }

  /** No more input (END_OF_PIPELINE_INPUT). */
  endInput(): void {
    if (this.state !== 'Running') pipelineMachine.next(this.state, 'running');
    this.host.queueMessage(this.pid, { type: 'END_OF_PIPELINE_INPUT' });
  }

  /**
   * Answer a PIPELINE_HOST_CALL (2.2.2.30 PIPELINE_HOST_RESPONSE, on the PromptResponse stream): its
   * return value (a Prompt answers a dictionary of field name to value) or an error record.
   */
  respondToHostCall(call: HostCall, answer: { returnValue: Serializable } | { error: Serializable }): void {
    const m: HostResponse = { type: 'PIPELINE_HOST_RESPONSE', callId: call.callId, methodId: call.methodId };
    if ('returnValue' in answer) m.returnValue = answer.returnValue as PSValue;
    else m.error = answer.error as PSValue;
    this.host.queueMessage(this.pid, m, { stream: 'PromptResponse' });
  }

  /** PowerShell: PowerShell.Stop(). The transport signals the server (WS-Man `crtl_c`, out-of-process `<Signal>`). */
  stop(): void {
    this.transition('stop');
    this.host.queueControl('signal', this.pid);
  }

  /** Release the pipeline on the server once it ended (WS-Man Signal terminate, out-of-process `<Close>`). */
  close(): void {
    this.host.queueControl('close', this.pid);
  }
}
