/**
 * One `pwsh -s` process serving one PowerShell shell: writes out-of-process packets to its stdin
 * (one Data in flight per PSGuid, each waiting for its DataAck; Command waits for CommandAck) and
 * routes the Data packets it writes to stdout into the output buffers of the shell (pool-level,
 * Receive without CommandId) and of its pipelines (Receive with CommandId), as `stdout` chunks, or
 * `pr` for pipeline host calls answered on PromptResponse. A pipeline is Done once its terminal
 * PIPELINE_STATE has passed. Block mode pauses reading pwsh's stdout, so PowerShell itself waits.
 */
import { encodePacket, OutOfProcParser, POOL_GUID, type OutOfProcKind, type OutOfProcPacket } from '../../psrp/outofproc.js';
import { MessageType } from '../../psrp/message.js';
import { decodeTyped } from '../../psrp/messages/index.js';
import type { LaunchedProcess } from '../launcher.js';
import { PwshCommand } from './pwsh-command.js';
import { FragmentScanner } from './psrp-scan.js';
import { translateRpid } from './pwsh-connect.js';

/** The pool messages kept for a later Connect. */
const POOL_CAPTURED: ReadonlySet<number> = new Set([MessageType.SESSION_CAPABILITY, MessageType.APPLICATION_PRIVATE_DATA, MessageType.RUNSPACE_AVAILABILITY]);
/** The client's pool messages that change what a later Connect is told (RUNSPACEPOOL_INIT_DATA). */
const LIMITS_ASKED: ReadonlySet<number> = new Set([MessageType.SET_MAX_RUNSPACES, MessageType.SET_MIN_RUNSPACES]);

interface AckWaiter {
  kind: OutOfProcKind;
  guid: string;
  resolve: (ok: boolean) => void;
}

export class PwshSession {
  /** pwsh's packets carry fragments of at most 32 KB (base64: ~44 KB a line); more is not PSRP. */
  private readonly parser = new OutOfProcParser(1024 * 1024);
  private readonly scanners = new Map<string, FragmentScanner>();
  private readonly acks: AckWaiter[] = [];
  /** Per PSGuid: the end of the chain of packets waiting to be written (one in flight). */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly paused = new Set<object>();
  exited = false;
  exitCode: number | undefined;
  /** Who gets a PSGuid's output: the pool's (POOL_GUID) or a pipeline's. */
  readonly routes = new Map<string, PwshCommand>();
  /**
   * What pwsh said when the pool opened, kept for a Connect from another client (pwsh -s has no
   * Connect of its own; the listener answers it): its SESSION_CAPABILITY and latest
   * APPLICATION_PRIVATE_DATA messages, as written.
   */
  readonly opened: { capability?: Buffer; privateData?: Buffer } = {};
  /** The pool's runspace limits, from the creationXml's INIT_RUNSPACEPOOL. */
  runspaces = { min: 1, max: 1 };
  /** SET_MAX/MIN_RUNSPACES sent to pwsh, by CallId, until it answers (RUNSPACE_AVAILABILITY). */
  private readonly limitCalls = new Map<bigint, { max: boolean; runspaces: number }>();
  private readonly clientPoolScanner = new FragmentScanner(LIMITS_ASKED);
  /** The pool's id as pwsh knows it (the creationXml's), lowercase. */
  poolRpid: string | undefined;
  /** The id the client holding the shell uses for the pool, when it differs (a Connect). */
  clientRpid: string | undefined;

  constructor(readonly child: LaunchedProcess, private readonly onExit: () => void) {
    child.stdin?.on('error', () => undefined);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (t: string) => this.onText(t));
    child.stderr?.resume(); // pwsh's own complaints; not the client's business
    child.once('exit', (code) => {
      this.exited = true;
      this.exitCode = code ?? 1;
      for (const w of this.acks.splice(0)) w.resolve(false);
      this.onExit();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onText(text: string): void {
    let packets: OutOfProcPacket[];
    try {
      packets = this.parser.push(text);
    } catch {
      // pwsh wrote something that is no packet: the session cannot be trusted any more.
      this.kill();
      return;
    }
    for (const p of packets) {
      if (p.kind !== 'Data') {
        const i = this.acks.findIndex((w) => w.kind === p.kind && w.guid === p.psGuid);
        if (i !== -1) this.acks.splice(i, 1)[0]!.resolve(true);
        continue;
      }
      const target = this.routes.get(p.psGuid) ?? this.routes.get(POOL_GUID);
      if (!target) continue;
      let scanner = this.scanners.get(p.psGuid);
      if (!scanner) this.scanners.set(p.psGuid, (scanner = new FragmentScanner(p.psGuid === POOL_GUID ? POOL_CAPTURED : undefined)));
      const { terminal, pieces, captured } = scanner.push(p.data!);
      for (const c of captured) {
        if (c.messageType === MessageType.SESSION_CAPABILITY) this.opened.capability = c.message;
        else if (c.messageType === MessageType.APPLICATION_PRIVATE_DATA) this.opened.privateData = c.message;
        else this.limitAnswered(c.message);
      }
      const stream = p.stream === 'PromptResponse' ? 'pr' : 'stdout';
      for (const piece of pieces) target.deliver(stream, this.toClient(piece.data), piece.end);
      if (terminal && target.id !== '') {
        target.finish(0);
        this.scanners.delete(p.psGuid);
      }
    }
  }

  /** The client's pool-level data (a Send without CommandId): note the runspace limits it asks for. */
  notePoolInput(data: Uint8Array): void {
    for (const c of this.clientPoolScanner.push(data).captured) {
      try {
        const m = decodeTyped(new Uint8Array(c.message)).message;
        if (m.type !== 'SET_MAX_RUNSPACES' && m.type !== 'SET_MIN_RUNSPACES') continue;
        if (this.limitCalls.size >= 64) this.limitCalls.clear(); // a client that never reads the answers
        this.limitCalls.set(m.callId, { max: m.type === 'SET_MAX_RUNSPACES', runspaces: m.runspaces });
      } catch {
        // pwsh judges it.
      }
    }
  }

  /** pwsh's RUNSPACE_AVAILABILITY: a limit it accepted is what a later Connect is told. */
  private limitAnswered(message: Buffer): void {
    try {
      const m = decodeTyped(new Uint8Array(message)).message;
      if (m.type !== 'RUNSPACE_AVAILABILITY') return;
      const call = this.limitCalls.get(m.callId);
      this.limitCalls.delete(m.callId);
      if (!call || m.response !== true) return;
      if (call.max) this.runspaces = { ...this.runspaces, max: call.runspaces };
      else this.runspaces = { ...this.runspaces, min: call.runspaces };
    } catch {
      // Not ours to judge.
    }
  }

  /** pwsh's fragments with the pool id the client uses. */
  private toClient(data: Buffer): Buffer {
    return this.clientRpid && this.poolRpid ? translateRpid(data, this.poolRpid, this.clientRpid) : data;
  }

  /** The client's fragments with the pool id pwsh uses. */
  toPwsh(data: Uint8Array): Uint8Array {
    return this.clientRpid && this.poolRpid ? translateRpid(Buffer.from(data), this.clientRpid, this.poolRpid) : data;
  }

  /**
   * Write one packet and wait for its acknowledgement (DataAck, CommandAck…), after the packets
   * queued before it for the same PSGuid. Resolves false when pwsh went away first.
   */
  send(packet: OutOfProcPacket, ack: OutOfProcKind | undefined): Promise<boolean> {
    const guid = packet.psGuid.toLowerCase();
    const prev = this.chains.get(guid) ?? Promise.resolve();
    const next = prev.then(() => this.write(packet, ack));
    this.chains.set(guid, next);
    void next.finally(() => {
      if (this.chains.get(guid) === next) this.chains.delete(guid);
    });
    return next;
  }

  private write(packet: OutOfProcPacket, ack: OutOfProcKind | undefined): Promise<boolean> {
    const stdin = this.child.stdin;
    if (this.exited || !stdin || stdin.destroyed || stdin.writableEnded) return Promise.resolve(false);
    const acked = ack
      ? new Promise<boolean>((resolve) => this.acks.push({ kind: ack, guid: packet.psGuid.toLowerCase(), resolve }))
      : Promise.resolve(true);
    stdin.write(encodePacket(packet));
    return acked;
  }

  /** An output buffer is full (Block) or has room again: stop or resume reading pwsh's stdout. */
  pause(who: object, on: boolean): void {
    if (on) this.paused.add(who);
    else this.paused.delete(who);
    if (this.paused.size > 0) this.child.stdout?.pause();
    else this.child.stdout?.resume();
  }

  /** Close the pool, then end the process (its whole group) once pwsh acknowledged or after 2 s. */
  close(): void {
    if (this.exited) return;
    const timer = setTimeout(() => this.kill(), 2000);
    timer.unref();
    void this.write({ kind: 'Close', psGuid: POOL_GUID }, 'CloseAck').then(() => {
      clearTimeout(timer);
      this.kill();
    });
  }

  kill(): void {
    const pid = this.child.pid;
    this.child.stdin?.destroy();
    if (pid === undefined || this.exited) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        this.child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}
