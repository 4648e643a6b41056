/**
 * A WinRS shell (MS-WSMV §3.1.4.5.2 Create, §3.1.4.11 Command, WS-Transfer Delete; protocol.md
 * §3.1–3.6): open with every Create option, run commands, signal, close. Shell creation is the
 * one request that may be redirected (redirect.ts).
 */
import { randomUUID } from 'node:crypto';
import { Action, ResourceURI } from '../core/namespaces.js';
import { WsmanProtocolError, WsmanCode, WsmanUsageError } from '../core/errors.js';
import { isGuid } from '../core/duration.js';
import type { WsmanOption } from '../core/envelope.js';
import { encodeBody, type ShellFields, type ConnectResponseBody } from '../core/messages/index.js';
import { WsmanClient, unexpected } from './client.js';
import { Command, type CommandContext } from './command.js';
import { nextHop } from './redirect.js';
import { DEFAULTS } from './options.js';
import { shellMachine, type ShellState } from '../core/state/index.js';

/** Create options (winrs.exe switches and New-PSSessionOption values that reach the shell). */
export interface ShellOptions {
  /** Resource URI: the cmd shell by default; a PowerShell configuration name gives its URI. */
  resourceUri?: string;
  /** A client-chosen ShellId (a GUID; needed to reconnect later). */
  shellId?: string;
  /** rsp:Name. */
  name?: string;
  /** `winrs -d`: the working directory. */
  workingDirectory?: string;
  /** `winrs -env`: environment variables. */
  environment?: Record<string, string>;
  /** IdleTimeOut in ms (New-PSSessionOption `-IdleTimeout`); default the session option or the server's. */
  idleTimeout?: number;
  /** rsp:Lifetime in ms. */
  lifetime?: number;
  /** Input streams (default `stdin`). */
  inputStreams?: string[];
  /** Output streams (default `stdout stderr`). */
  outputStreams?: string[];
  /** `winrs -noprofile` / `-NoMachineProfile`: WINRS_NOPROFILE. */
  noProfile?: boolean;
  /** `winrs -codepage`: WINRS_CODEPAGE (default 65001). */
  codePage?: number;
  /** BufferMode (New-PSSessionOption `-OutputBufferingMode`). */
  outputBufferingMode?: 'Block' | 'Drop';
  /** PSRP creationXml (base64 fragments), opaque here; PowerShell shells only. */
  creationXml?: string;
  /**
   * The Create's OptionSet, replacing WINRS_NOPROFILE and WINRS_CODEPAGE (a PowerShell shell
   * sends `protocolversion` instead, as New-PSSession does).
   */
  wsmanOptions?: WsmanOption[];
  /**
   * Ask for WinRM xpress compression of Send and Receive stream data (rsp:CompressionType, which
   * Windows clients send unless New-PSSessionOption -NoCompression). The caller then compresses and
   * decompresses (core/xpress winrmCompress/winrmDecompress); the PSRP client does it for you.
   */
  compression?: 'xpress';
  signal?: AbortSignal;
}

/** Options of one command. */
export interface RunOptions {
  /** A client-chosen CommandId. */
  commandId?: string;
  /** `winrs -noecho`-like: WINRS_CONSOLEMODE_STDIN (default TRUE). */
  consoleModeStdin?: boolean;
  /** WINRS_SKIP_CMD_SHELL: run the program directly rather than through cmd.exe (or /bin/sh). */
  skipCmdShell?: boolean;
  signal?: AbortSignal;
  /** Observer: each TimedOut retry of the Receive loop. */
  onTimedOut?: () => void;
  /**
   * Send Signal terminate once the command is Done (default true), so the server releases it
   * at once. After an error or an abort it is always sent. invokeCommand turns it off: it
   * deletes the shell right after, which releases the command too, one round trip sooner.
   */
  terminateWhenDone?: boolean;
  /**
   * PowerShell's robust connections: after a lost connection, keep asking for the output with
   * the same SequenceId under this policy (ROBUST_RETRY: once a second for 4 minutes), so that a
   * network outage shorter than that loses and repeats nothing. Absent: one retry at once.
   */
  retry?: CommandContext['retry'];
  /** Observer: each retry after a lost connection (attempt number from 1, and the error). */
  onRetry?: CommandContext['onRetry'];
}

/** PowerShell's resource URI for a configuration name: a bare name is prefixed with …/powershell/. */
export function configurationUri(name: string | undefined): string {
  if (name === undefined || name === '') return ResourceURI.Cmd;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return name;
  return ResourceURI.PowerShellPrefix + name;
}

/** An open shell. PowerShell: the WinRS shell behind a PSSession; winrs.exe's shell. */
export class Shell {
  /** The client talking to this shell (after a redirect, the redirected endpoint's). */
  readonly client: WsmanClient;
  readonly shellId: string;
  readonly resourceUri: string;
  /** The Shell the server described in its CreateResponse (may be empty for OMI). */
  readonly info: ShellFields;
  /** The URLs the Create was redirected through (empty when not redirected). */
  readonly redirects: readonly string[];
  private readonly ownsClient: boolean;
  /** Connected until closed, by the shared shell table (src/core/state). */
  private current: ShellState = 'Connected';

  private constructor(client: WsmanClient, shellId: string, resourceUri: string, info: ShellFields, redirects: string[], ownsClient: boolean) {
    this.client = client;
    this.shellId = shellId;
    this.resourceUri = resourceUri;
    this.info = info;
    this.redirects = redirects;
    this.ownsClient = ownsClient;
  }

  /** Create a shell (New-PSSession / winrs.exe's first request), following redirects if allowed. */
  static async open(client: WsmanClient, opts: ShellOptions = {}): Promise<Shell> {
    if (opts.shellId !== undefined && !isGuid(opts.shellId)) throw new WsmanUsageError(`a ShellId must be a GUID, not '${opts.shellId}'`, 'ERR_BAD_SHELL_ID');
    await client.prepare(opts.signal);
    const resourceUri = opts.resourceUri ?? ResourceURI.Cmd;
    const o = client.options;
    const shell: ShellFields = {
      inputStreams: opts.inputStreams ?? ['stdin'],
      outputStreams: opts.outputStreams ?? ['stdout', 'stderr'],
    };
    if (opts.shellId !== undefined) shell.requestedShellId = opts.shellId.toUpperCase();
    if (opts.name !== undefined) shell.name = opts.name;
    if (opts.environment) shell.environment = opts.environment;
    if (opts.workingDirectory !== undefined) shell.workingDirectory = opts.workingDirectory;
    if (opts.lifetime !== undefined) shell.lifetime = opts.lifetime;
    const idle = opts.idleTimeout ?? o.idleTimeout;
    if (idle !== undefined && idle >= 0) shell.idleTimeOut = idle;
    const mode = opts.outputBufferingMode ?? o.outputBufferingMode;
    if (mode !== undefined) shell.bufferMode = mode;
    if (opts.creationXml !== undefined) shell.creationXml = opts.creationXml;
    const options: WsmanOption[] = [];
    if (opts.wsmanOptions) options.push(...opts.wsmanOptions);
    else {
      if (opts.noProfile ?? o.noMachineProfile) options.push({ name: 'WINRS_NOPROFILE', value: 'TRUE' });
      options.push({ name: 'WINRS_CODEPAGE', value: String(opts.codePage ?? o.codePage ?? DEFAULTS.codePage) });
    }

    const policy = {
      allow: o.allowRedirection === true,
      maximum: o.maximumRedirection ?? DEFAULTS.maximumRedirection,
      byConnectionUri: 'connectionUri' in o.endpoint,
    };
    const visited = new Set<string>([client.url]);
    const hops: string[] = [];
    let current = client;
    try {
      for (;;) {
        const ex = await current.exchange(Action.Create, encodeBody({ kind: 'Shell', shell }), {
          resourceUri, options, operationTimeout: Math.min(o.openTimeout ?? DEFAULTS.openTimeout, current.operationTimeout),
          ...(opts.compression ? { headers: { compressionType: opts.compression } } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        const st = ex.response.status;
        if (st >= 300 && st < 400) {
          const loc = ex.response.headers.location;
          const to = nextHop(policy, current.url, Array.isArray(loc) ? loc[0] : loc, st, hops.length, visited);
          visited.add(to);
          hops.push(to);
          if (current !== client) await current.close();
          current = client.withUrl(to);
          continue;
        }
        let msg;
        try {
          msg = current.decode(ex);
        } catch (err) {
          if (current.shrinkEnvelope(err)) continue;
          throw err;
        }
        let shellId: string | undefined;
        let info: ShellFields = {};
        if (msg.body.kind === 'ResourceCreated') {
          info = msg.body.shell ?? {};
          const sel = msg.body.selectors;
          shellId = info.shellId ?? (sel ? Object.entries(sel).find(([k]) => k.toLowerCase() === 'shellid')?.[1] : undefined);
        } else if (msg.body.kind === 'Shell') {
          info = msg.body.shell;
          shellId = info.shellId;
        } else {
          throw unexpected('ResourceCreated', msg);
        }
        if (!shellId) {
          throw new WsmanProtocolError('ERR_NO_SHELL_ID', 'the CreateResponse names no ShellId', { wsmanCode: WsmanCode.InvalidSoapBody });
        }
        return new Shell(current, shellId, resourceUri, info, hops, current !== client);
      }
    } catch (err) {
      if (current !== client) await current.close();
      throw err;
    }
  }

  /**
   * Attach to a shell that already exists (by ShellId), e.g. one created by another call or
   * another client; `state` is what we know of it (Disconnected before a Connect).
   */
  static attach(client: WsmanClient, shellId: string, resourceUri: string = ResourceURI.Cmd, state: ShellState = 'Connected'): Shell {
    const s = new Shell(client, shellId, resourceUri, {}, [], false);
    s.current = state;
    return s;
  }

  private selectors(): Record<string, string> {
    return { ShellId: this.shellId };
  }

  /** Run a command line (`Command` then the Receive loop). Arguments are sent one element each. */
  /** Connected, or Closed once deleted (Disconnected comes with disconnected sessions). */
  get state(): ShellState {
    return this.current;
  }

  async run(command: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<Command> {
    return this.attachCommand(await this.start(command, args, opts), opts);
  }

  /**
   * Start a command without receiving its output (the Command request alone); returns its
   * CommandId. Invoke-Command -InDisconnectedSession starts a command this way and disconnects
   * before any Receive, so all output stays on the server.
   */
  async start(command: string, args: readonly string[] = [], opts: Omit<RunOptions, 'onTimedOut'> = {}): Promise<string> {
    shellMachine.next(this.current, 'Command'); // WsmanStateError on a closed shell, before any I/O
    const commandId = opts.commandId?.toUpperCase();
    const msg = await this.client.send(Action.Command, {
      kind: 'CommandLine', command, arguments: [...args], ...(commandId !== undefined ? { commandId } : {}),
    }, {
      resourceUri: this.resourceUri,
      selectors: this.selectors(),
      options: [
        { name: 'WINRS_CONSOLEMODE_STDIN', value: opts.consoleModeStdin === false ? 'FALSE' : 'TRUE' },
        { name: 'WINRS_SKIP_CMD_SHELL', value: opts.skipCmdShell ? 'TRUE' : 'FALSE' },
      ],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (msg.body.kind !== 'CommandResponse') throw unexpected('CommandResponse', msg);
    return msg.body.commandId;
  }

  /** Receive the output of a command that already runs in this shell (also after Connect/Reconnect). */
  attachCommand(commandId: string, opts: Pick<RunOptions, 'signal' | 'onTimedOut' | 'terminateWhenDone' | 'retry' | 'onRetry'> & Pick<CommandContext, 'sequence'> = {}): Command {
    return new Command({
      client: this.client, resourceUri: this.resourceUri, shellId: this.shellId, commandId,
      ...(opts.terminateWhenDone === false ? { terminateWhenDone: false } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onTimedOut ? { onTimedOut: opts.onTimedOut } : {}),
      ...(opts.sequence ? { sequence: opts.sequence } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    });
  }

  /**
   * Disconnect-PSSession (MS-WSMV §3.1.4.15; protocol.md §4.1): the shell and its commands stay
   * on the server, their output buffered under `bufferMode`. `idleTimeout` (ms) overrides the
   * IdleTimeOut set at creation; a value above the server's MaxIdleTimeout answers a fault.
   */
  async disconnect(opts: { idleTimeout?: number; bufferMode?: 'Block' | 'Drop'; signal?: AbortSignal } = {}): Promise<void> {
    shellMachine.next(this.current, 'Disconnect');
    await this.client.send(Action.Disconnect, {
      kind: 'Disconnect',
      ...(opts.idleTimeout !== undefined ? { idleTimeOut: opts.idleTimeout } : {}),
      ...(opts.bufferMode !== undefined ? { bufferMode: opts.bufferMode } : {}),
    }, { resourceUri: this.resourceUri, selectors: this.selectors(), ...(opts.signal ? { signal: opts.signal } : {}) });
    this.current = 'Disconnected';
  }

  /**
   * Reconnect (the client that disconnected, same SessionId; protocol.md §4.2). With a CommandId
   * it reconnects that command, after the shell.
   */
  async reconnect(opts: { commandId?: string; bufferMode?: 'Block' | 'Drop'; signal?: AbortSignal } = {}): Promise<void> {
    if (opts.commandId === undefined) shellMachine.next(this.current, 'Reconnect');
    // With nothing to say, the body is empty, as Windows' and pypsrp's clients send it.
    const plain = opts.commandId === undefined && opts.bufferMode === undefined;
    await this.client.send(Action.Reconnect, plain ? { kind: 'Empty' } : {
      kind: 'Reconnect',
      ...(opts.commandId !== undefined ? { commandId: opts.commandId } : {}),
      ...(opts.bufferMode !== undefined ? { bufferMode: opts.bufferMode } : {}),
    }, { resourceUri: this.resourceUri, selectors: this.selectors(), ...(opts.signal ? { signal: opts.signal } : {}) });
    this.current = 'Connected';
  }

  /**
   * Connect (another client takes over a Disconnected shell; protocol.md §4.3). With a CommandId
   * it connects that command, after the shell. Returns the ConnectResponse.
   */
  async connect(opts: { commandId?: string; bufferMode?: 'Block' | 'Drop'; connectXml?: string; wsmanOptions?: WsmanOption[]; signal?: AbortSignal } = {}): Promise<ConnectResponseBody> {
    const msg = await this.client.send(Action.Connect, {
      kind: 'Connect',
      ...(opts.commandId !== undefined ? { commandId: opts.commandId } : {}),
      ...(opts.bufferMode !== undefined ? { bufferMode: opts.bufferMode } : {}),
      ...(opts.connectXml !== undefined ? { connectXml: opts.connectXml } : {}),
    }, {
      resourceUri: this.resourceUri, selectors: this.selectors(),
      ...(opts.wsmanOptions ? { options: opts.wsmanOptions } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (msg.body.kind !== 'ConnectResponse') throw unexpected('ConnectResponse', msg);
    this.current = 'Connected';
    return msg.body;
  }

  /** Signal a command (terminate, ctrl_c, ctrl_break…). */
  async signal(commandId: string, code: string, signal?: AbortSignal): Promise<void> {
    shellMachine.next(this.current, 'Signal');
    await this.client.send(Action.Signal, { kind: 'Signal', commandId, code }, {
      resourceUri: this.resourceUri, selectors: this.selectors(), ...(signal ? { signal } : {}),
    });
  }

  /**
   * WS-Transfer Get of the shell: its current description (State, ShellRunTime…). Sent to the
   * generic `…/windows/shell` resource, which Windows answers for shells of any kind (pypsrp's
   * is_alive). A shell that no longer exists answers the InvalidSelectors fault 2150858843.
   */
  async get(signal?: AbortSignal, opts: { operationTimeout?: number } = {}): Promise<ShellFields> {
    shellMachine.next(this.current, 'Get');
    const msg = await this.client.get(ResourceURI.Shell, {
      selectors: this.selectors(), ...(signal ? { signal } : {}), ...(opts.operationTimeout !== undefined ? { operationTimeout: opts.operationTimeout } : {}),
    });
    if (msg.body.kind !== 'Shell') throw unexpected('Shell', msg);
    return msg.body.shell;
  }

  /** The server no longer has the shell (it answered that it does not know it): Closed, without a Delete. */
  gone(): void {
    this.current = 'Closed';
  }

  /** Delete the shell (Remove-PSSession; winrs.exe's last request). Idempotent. */
  async close(signal?: AbortSignal): Promise<void> {
    if (this.current === 'Closed') return;
    this.current = shellMachine.next(this.current, 'Delete');
    try {
      const cancel = signal ?? AbortSignal.timeout(this.client.options.cancelTimeout ?? DEFAULTS.cancelTimeout);
      await this.client.delete(this.resourceUri, { selectors: this.selectors(), signal: cancel });
    } finally {
      if (this.ownsClient) await this.client.close();
    }
  }
}

/** A fresh uppercase GUID, as Windows writes ShellIds and CommandIds. */
export function newGuid(): string {
  return randomUUID().toUpperCase();
}
