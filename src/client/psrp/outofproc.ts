/**
 * Runs a sans-IO ClientRunspacePool over PowerShell's out-of-process transport: a `pwsh -s` child
 * process on stdio. Writes what the pool queues as packets (waiting for each Data's DataAck and a
 * Command's CommandAck before going on, as PowerShell's own client does), and feeds stdout back.
 * PowerShell: New-PSSession -UseWindowsPowerShell / the out-of-process remoting host.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { nodeChildProcess } from '../../util/builtins.js';
import { WsmanError } from '../../core/errors.js';
import { encodePacket, OutOfProcParser, type OutOfProcKind } from '../../psrp/outofproc.js';
import type { ClientRunspacePool, Outgoing, PsrpEvent } from '../../psrp/pool.js';
import { EVENT_HIGH_WATER, type PsrpTransport } from './transport.js';

export interface OutOfProcessOptions {
  /** The pwsh executable. */
  executable: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Events held unread before the process's output is no longer read (backpressure); default 1000. */
  highWater?: number;
}

/** A pool served by one `pwsh -s` process. */
export class OutOfProcessRunspace implements PsrpTransport {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly parser = new OutOfProcParser();
  private readonly waiters: Array<{ kind: OutOfProcKind; guid: string; resolve: () => void }> = [];
  private readonly eventWaiters: Array<() => void> = [];
  private readonly events: PsrpEvent[] = [];
  private sending: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private exited = false;
  private readonly highWater: number;

  constructor(readonly pool: ClientRunspacePool, options: OutOfProcessOptions) {
    this.highWater = options.highWater ?? EVENT_HIGH_WATER;
    this.child = nodeChildProcess().spawn(options.executable, options.args ?? ['-NoLogo', '-NoProfile', '-s'], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => this.onText(text));
    this.child.stderr.resume();
    this.child.stdin.on('error', (err) => this.fail(err));
    this.child.on('error', (err) => this.fail(err));
    this.child.on('exit', (code) => {
      this.exited = true;
      this.fail(new WsmanError('ERR_PSRP_PROCESS_EXIT', `pwsh exited with code ${code}`));
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.eventWaiters.splice(0)) w();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private onText(text: string): void {
    try {
      for (const p of this.parser.push(text)) {
        if (p.kind === 'Data') {
          this.pool.receiveData(p.data!);
          let e: PsrpEvent | undefined;
          while ((e = this.pool.nextEvent())) this.events.push(e);
          for (const w of this.eventWaiters.splice(0)) w();
        } else {
          const i = this.waiters.findIndex((w) => w.kind === p.kind && w.guid === p.psGuid);
          if (i !== -1) this.waiters.splice(i, 1)[0]!.resolve();
        }
      }
    } catch (err) {
      this.fail(err as Error);
    }
    this.regulate();
  }

  /**
   * Backpressure: stop reading pwsh's stdout (its writes then block, and so does its pipeline)
   * while too many events wait unread, unless we wait for an ack, which must get through.
   */
  private regulate(): void {
    const stdout = this.child.stdout;
    if (this.events.length >= this.highWater && !this.waiters.length) {
      if (!stdout.isPaused()) stdout.pause();
    } else if (stdout.isPaused()) stdout.resume();
  }

  /** Events received and not yet taken by nextEvent(). */
  get queued(): number {
    return this.events.length;
  }

  /** True while pwsh's output is not read because events wait unread. */
  get paused(): boolean {
    return this.child.stdout.isPaused();
  }

  private ack(kind: OutOfProcKind, guid: string): Promise<void> {
    const acked = new Promise<void>((resolve) => this.waiters.push({ kind, guid, resolve }));
    this.regulate();
    return acked;
  }

  private async write(kind: 'Data' | 'Command' | 'Signal' | 'Close', guid: string, ackKind: OutOfProcKind, o?: Extract<Outgoing, { kind: 'data' }>): Promise<void> {
    if (this.failure) throw this.failure;
    const acked = this.ack(ackKind, guid);
    this.child.stdin.write(encodePacket({ kind, psGuid: guid, ...(o ? { stream: o.stream, data: o.data } : {}) }));
    await acked;
    if (this.failure) throw this.failure;
  }

  /** Send everything the pool has queued, in order. */
  flush(): Promise<void> {
    const items = this.pool.dataToSend();
    this.sending = this.sending.then(async () => {
      for (const o of items) {
        if (o.kind === 'data') {
          if (o.startsPipeline) await this.write('Command', o.pid, 'CommandAck');
          await this.write('Data', o.pid, 'DataAck', o);
        } else if (o.kind === 'signal') await this.write('Signal', o.pid, 'SignalAck');
        else await this.write('Close', o.pid, 'CloseAck');
      }
    });
    return this.sending;
  }

  /** The next event, waiting for one. */
  async nextEvent(): Promise<PsrpEvent> {
    for (;;) {
      const e = this.events.shift();
      if (e) {
        this.regulate();
        return e;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.eventWaiters.push(resolve));
    }
  }

  /** Events until one matches (that one included). */
  async until(match: (e: PsrpEvent) => boolean): Promise<PsrpEvent[]> {
    const seen: PsrpEvent[] = [];
    for (;;) {
      const e = await this.nextEvent();
      seen.push(e);
      if (match(e)) return seen;
    }
  }

  /** End the process (after the pool is closed, or to abandon it). */
  kill(): void {
    if (!this.exited) this.child.kill();
  }

  async dispose(): Promise<void> {
    this.kill();
  }
}
