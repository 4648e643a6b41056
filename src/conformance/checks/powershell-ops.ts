/**
 * A PowerShell (PSRP) client over the conformance context's raw, recorded WS-Man requests, for the
 * PowerShell checks: the sans-IO client pool of src/psrp, its fragments carried in creationXml,
 * Command Arguments, connectXml and Receive streams (MS-PSRP §3.1.5, MS-WSMV §3.1.4.1.32).
 */
import { randomUUID } from 'node:crypto';
import { Action, WsmanCode, type Body, type WsmanOption } from '../../core/index.js';
import { ClientRunspacePool, scriptSpec, type PsrpEvent } from '../../psrp/index.js';
import type { ConformanceContext, Reply, RequestSpec } from '../context.js';
import { SkipCheck } from '../types.js';
import { describeReply } from './expect.js';

/** Microsoft.PowerShell, Enter-PSSession's default configuration. */
export const POWERSHELL_URI = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell';
const VERSION: WsmanOption[] = [{ name: 'protocolversion', value: '2.3', mustComply: true }];
const RESOURCE_MISSING = new Set(['w:DestinationUnreachable', 'w:InvalidResourceURI']);

/** Pipeline results: output values and the final state. */
export interface PipelineResult { output: unknown[]; state: string | undefined }

export class PsClient {
  readonly pool: ClientRunspacePool;
  readonly events: PsrpEvent[] = [];
  shellId = '';
  /** Another client's SessionId (Connect from a second client), or the context's own. */
  private readonly sessionId: string | undefined;

  constructor(private readonly ctx: ConformanceContext, opts: { rpid?: string; secondClient?: boolean } = {}) {
    this.pool = new ClientRunspacePool({ rpid: opts.rpid ?? randomUUID(), maxFragmentSize: 32768 });
    this.sessionId = opts.secondClient ? `uuid:${randomUUID().toUpperCase()}` : undefined;
  }

  private send(spec: RequestSpec): Promise<Reply> {
    const s: RequestSpec = { resourceUri: POWERSHELL_URI, ...spec, headers: { ...spec.headers, ...(this.sessionId ? { sessionId: this.sessionId } : {}) } };
    return this.ctx.post(this.ctx.build(s), { label: spec.label });
  }

  op(label: string, action: string, body: Body, extra: RequestSpec['headers'] = {}): Promise<Reply> {
    return this.send({ label, action, selectors: { ShellId: this.shellId }, body, headers: extra });
  }

  private pending(): Buffer {
    return Buffer.concat(this.pool.dataToSend().flatMap((o) => (o.kind === 'data' ? [Buffer.from(o.data)] : [])));
  }

  private take(): void {
    let e: PsrpEvent | undefined;
    while ((e = this.pool.nextEvent())) this.events.push(e);
  }

  /** Create the shell with the pool's opening messages; SkipCheck when no PowerShell configuration is offered. */
  async create(): Promise<void> {
    this.pool.open();
    const shellId = randomUUID().toUpperCase();
    const r = await this.send({
      label: 'Create (PowerShell)', action: Action.Create, headers: { options: VERSION },
      body: { kind: 'Shell', shell: { requestedShellId: shellId, inputStreams: ['stdin', 'pr'], outputStreams: ['stdout'], creationXml: this.pending().toString('base64') } },
    });
    const b = r.message?.body;
    if (b?.kind === 'Fault' && (RESOURCE_MISSING.has(b.fault.subcode ?? '') || b.fault.wsmanCode === WsmanCode.InvalidResourceURI)) {
      throw new SkipCheck(`the endpoint offers no PowerShell configuration (${POWERSHELL_URI}: ${describeReply(r)})`);
    }
    const id = b?.kind === 'ResourceCreated' ? (b.shell?.shellId ?? b.selectors?.ShellId) : undefined;
    if (r.status !== 200 || !id) throw new Error(`PowerShell shell Create answered ${describeReply(r)}`);
    this.shellId = id;
    this.ctx.trackShell(id, POWERSHELL_URI);
  }

  /** One Receive (the pool's, or a pipeline's); feeds the pool; the CommandState, if any. */
  async receive(commandId?: string): Promise<string | undefined> {
    const r = await this.op('Receive', Action.Receive, { kind: 'Receive', streams: ['stdout'], ...(commandId ? { commandId } : {}) }, { operationTimeout: 5000 });
    const b = r.message?.body;
    if (b?.kind === 'Fault' && (b.fault.subcode === 'w:TimedOut' || b.fault.wsmanCode === WsmanCode.TimedOut)) return undefined;
    if (b?.kind !== 'ReceiveResponse') throw new Error(`Receive answered ${describeReply(r)}`);
    for (const s of b.streams) if (s.data.length) this.pool.receiveData(new Uint8Array(s.data));
    this.take();
    return b.commandState?.state?.replace(/^.*\//, '');
  }

  /** Receive the pool's messages until it is Opened (after Create or Connect). */
  async opened(): Promise<boolean> {
    for (let i = 0; i < 30 && this.pool.state !== 'Opened' && this.pool.state !== 'Broken'; i++) await this.receive();
    return this.pool.state === 'Opened';
  }

  /** Start a script as a pipeline; its CommandId. */
  async start(script: string): Promise<string> {
    const pid = randomUUID().toUpperCase();
    this.pool.createPipeline(pid).invoke({ ...scriptSpec(script), input: false });
    const [item] = this.pool.dataToSend();
    if (!item || item.kind !== 'data') throw new Error('the pool queued no CREATE_PIPELINE');
    const r = await this.op('Command (pipeline)', Action.Command, { kind: 'CommandLine', commandId: pid, command: 'Invoke-Expression', arguments: [Buffer.from(item.data).toString('base64')] });
    const b = r.message?.body;
    if (b?.kind !== 'CommandResponse') throw new Error(`Command answered ${describeReply(r)}`);
    return b.commandId;
  }

  /** Receive a pipeline's output until its command is Done. */
  async collect(commandId: string): Promise<PipelineResult> {
    const from = this.events.length;
    let state: string | undefined;
    for (let i = 0; i < 200 && state !== 'Done'; i++) state = await this.receive(commandId);
    const mine = this.events.slice(from);
    const output = mine.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT' ? [e.message.value] : []));
    const states = mine.flatMap((e) => (e.type === 'PipelineState' ? [e.state] : []));
    return { output, state: state === 'Done' ? states[states.length - 1] ?? 'Done' : undefined };
  }

  async run(script: string): Promise<PipelineResult> {
    return this.collect(await this.start(script));
  }

  /** Connect from this (second) client to the Disconnected shell `shellId` of pool `rpid`. */
  async connect(shellId: string): Promise<Reply> {
    this.shellId = shellId;
    this.pool.connect();
    const r = await this.op('Connect (second client)', Action.Connect, { kind: 'Connect', connectXml: this.pending().toString('base64') }, { options: VERSION });
    const b = r.message?.body;
    if (b?.kind === 'ConnectResponse' && b.connectResponseXml) {
      this.pool.receiveData(new Uint8Array(Buffer.from(b.connectResponseXml, 'base64')));
      this.take();
    }
    return r;
  }

  /** Delete the shell (closes the pool). */
  async delete(): Promise<Reply> {
    const r = await this.op('Delete (PowerShell)', Action.Delete, { kind: 'Empty' });
    if (r.status === 200) this.ctx.forgetShell(this.shellId);
    return r;
  }
}
