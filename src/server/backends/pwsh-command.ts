/**
 * A PowerShell pipeline (CommandId = its PSRP pipeline id), or with id '' the runspace pool's own
 * messages: the output buffer the shared Receive reads, fed by the pwsh session.
 */
import { commandMachine } from '../../core/state/index.js';
import type { BufferMode } from '../../core/index.js';
import { OutputBuffer } from '../output.js';
import type { MemoryBudget } from '../budget.js';
import { BackendCommand, type CommandSignal, type StdinResult } from '../command-base.js';
import type { PwshSession } from './pwsh-session.js';

export class PwshCommand extends BackendCommand {
  readonly output: OutputBuffer;
  private released = false;

  constructor(id: string, private readonly session: PwshSession, bufferMode: BufferMode, bufferBytes: number, now: number, budget?: MemoryBudget) {
    super(id, id === '' ? '' : 'Invoke-Expression', now);
    this.output = new OutputBuffer(bufferMode, bufferBytes, () => session.pause(this, true), () => session.pause(this, false), budget);
    this.output.wholeMessages = true;
  }

  /** The PSGuid of its packets. */
  get psGuid(): string {
    return this.id === '' ? '00000000-0000-0000-0000-000000000000' : this.id.toLowerCase();
  }

  get pid(): number | undefined {
    return this.session.pid;
  }

  /** Whole fragments from pwsh; `end`: the last fragment of a message. */
  deliver(stream: string, data: Buffer, end = true): void {
    if (this.released) return;
    this.output.push(stream, data, end);
    this.wake();
  }

  /** The terminal PIPELINE_STATE passed, or pwsh went away. */
  finish(code: number): void {
    this.exitCode ??= code;
    if (this.state === 'Running') this.state = commandMachine.next(this.state, 'Exit');
    this.wake();
  }

  writeStdin(data: Buffer, _end: boolean, _timeoutMs?: number, signal?: AbortSignal, stream = 'stdin'): Promise<StdinResult> {
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.released || this.session.exited) return Promise.resolve('closed');
    if (data.length === 0) return Promise.resolve('written');
    const s = stream.toLowerCase() === 'pr' ? 'PromptResponse' : 'Default';
    if (this.id === '' && s === 'Default') this.session.notePoolInput(data);
    return this.session.send({ kind: 'Data', stream: s, psGuid: this.psGuid, data: this.session.toPwsh(new Uint8Array(data)) }, 'DataAck')
      .then((ok) => (ok ? 'written' : 'closed'));
  }

  signal(_kind: CommandSignal): void {
    if (this.released || this.isDone) return;
    void this.session.send({ kind: 'Signal', psGuid: this.psGuid }, 'SignalAck');
  }

  /** Signal terminate / Delete: PowerShell forgets the pipeline (`<Close>`); its output is released. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    if (this.id !== '' && !this.session.exited) void this.session.send({ kind: 'Close', psGuid: this.psGuid }, 'CloseAck');
    this.session.routes.delete(this.psGuid);
    this.session.pause(this, false);
    this.output.clear();
    if (this.state !== 'Terminated') this.state = 'Terminated';
    this.wake();
    this.clearWaiters();
  }
}
