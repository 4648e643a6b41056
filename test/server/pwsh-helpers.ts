/** A PSRP client over raw WS-Man calls to our listener (src/psrp's client pool), for the pwsh backend tests. */
import { expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Action, ResourceURI, type Body, type ShellFields } from '../../src/core/index.js';
import { ClientRunspacePool, scriptSpec, type ClientPipeline, type PsrpEvent } from '../../src/psrp/index.js';
import { POWERSHELL_RESOURCE_URI } from '../../src/server/pwsh-find.js';
import { call, faultCode, isRunning, ALICE } from './helpers.js';

export const PS = POWERSHELL_RESOURCE_URI;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PSRP client over raw WS-Man calls to the listener. */
export class PsShell {
  readonly pool = new ClientRunspacePool({ rpid: randomUUID(), maxFragmentSize: 32768 });
  readonly events: PsrpEvent[] = [];
  id = '';
  /** The pipeline `start` last created. */
  pipeline: ClientPipeline | undefined;
  constructor(readonly url: string, readonly auth = ALICE) {}

  private take(): void {
    let e: PsrpEvent | undefined;
    while ((e = this.pool.nextEvent())) this.events.push(e);
  }

  async create(): Promise<ShellFields> {
    this.pool.open();
    const data = Buffer.concat(this.pool.dataToSend().map((o) => (o.kind === 'data' ? Buffer.from(o.data) : Buffer.alloc(0))));
    const r = await call(this.url, Action.Create, {
      kind: 'Shell', shell: { inputStreams: ['stdin', 'pr'], outputStreams: ['stdout'], creationXml: data.toString('base64') },
    }, {}, PS, this.auth);
    if (r.msg.body.kind !== 'ResourceCreated') throw new Error(`create failed: ${r.raw}`);
    this.id = r.msg.body.selectors!.ShellId!;
    return r.msg.body.shell!;
  }

  ex() {
    return { selectors: { ShellId: this.id } };
  }

  /** One Receive; feeds the pool; returns the command state, if any. */
  async receive(commandId?: string): Promise<string | undefined> {
    const r = await call(this.url, Action.Receive, { kind: 'Receive', streams: ['stdout'], ...(commandId ? { commandId } : {}) }, { ...this.ex(), operationTimeout: 5000 }, PS, this.auth);
    if (faultCode(r.msg) === 2150858793) return undefined;
    if (r.msg.body.kind !== 'ReceiveResponse') throw new Error(`receive failed: ${r.raw.slice(0, 600)}`);
    for (const s of r.msg.body.streams) {
      if (commandId) expect(s.commandId?.toUpperCase()).toBe(commandId.toUpperCase());
      else expect(s.commandId).toBeUndefined();
      if (s.data.length) this.pool.receiveData(new Uint8Array(s.data));
    }
    this.take();
    return r.msg.body.commandState?.state;
  }

  async open(): Promise<void> {
    await this.create();
    for (let i = 0; i < 20 && this.pool.state !== 'Opened'; i++) await this.receive();
    expect(this.pool.state).toBe('Opened');
  }

  /** Start a script as a pipeline (Command with the pipeline id); its CommandId. */
  async start(script: string, input = false): Promise<string> {
    const pid = randomUUID().toUpperCase();
    this.pipeline = this.pool.createPipeline(pid);
    this.pipeline.invoke({ ...scriptSpec(script), input });
    const [item] = this.pool.dataToSend();
    if (!item || item.kind !== 'data' || !item.startsPipeline) throw new Error('no CREATE_PIPELINE');
    const r = await call(this.url, Action.Command, { kind: 'CommandLine', commandId: pid, command: 'Invoke-Expression', arguments: [Buffer.from(item.data).toString('base64')] }, this.ex(), PS, this.auth);
    if (r.msg.body.kind !== 'CommandResponse') throw new Error(`command failed: ${r.raw}`);
    expect(r.msg.body.commandId.toUpperCase()).toBe(pid);
    this.events.length = 0;
    return pid;
  }

  /**
   * Receive until Done: the output values and the final pipeline state. `maxReceives` only stops a
   * runaway loop: how many Receives the output takes depends on how pwsh's writes fall.
   */
  async collect(pid: string, maxReceives = 100): Promise<{ output: unknown[]; state: string | undefined; commandId: string }> {
    let state: string | undefined;
    for (let i = 0; i < maxReceives && state !== 'Done'; i++) state = await this.receive(pid);
    expect(state).toBe('Done');
    const output = this.events.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT' ? [e.message.value] : []));
    const ps = this.events.filter((e): e is Extract<PsrpEvent, { type: 'PipelineState' }> => e.type === 'PipelineState');
    return { output, state: ps[ps.length - 1]?.state, commandId: pid };
  }

  /** Run a script as a pipeline; the output values and the final pipeline state. */
  async run(script: string): Promise<{ output: unknown[]; state: string | undefined; commandId: string }> {
    return this.collect(await this.start(script));
  }

  op(action: string, body: Body) {
    return call(this.url, action, body, this.ex(), PS, this.auth);
  }

  delete() {
    return call(this.url, Action.Delete, { kind: 'Empty' }, this.ex(), PS, this.auth);
  }
}

export async function enumerate(url: string, auth: string): Promise<ShellFields[]> {
  const r = await call(url, Action.Enumerate, { kind: 'Enumerate', optimize: true, maxElements: 32000 }, {}, ResourceURI.Shell, auth);
  if (r.msg.body.kind !== 'EnumerateResponse') throw new Error(r.raw);
  return (r.msg.body.items ?? []).flatMap((i) => (i.kind === 'Shell' ? [i.shell] : []));
}

/** The pwsh processes serving a shell: children of the listener whose argv is `pwsh -s`. */
export function pwshPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('pwsh') || a.endsWith('pwsh.dll')) && argv.includes('-s') && isRunning(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

