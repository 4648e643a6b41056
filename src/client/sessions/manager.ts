/**
 * SessionManager: the session repository of one client and its cmdlets (New-PSSession,
 * Get-PSSession, Disconnect-PSSession, Connect-PSSession, Receive-PSSession, Remove-PSSession,
 * Invoke-Command -Session / -InDisconnectedSession). One WsmanClient (one SessionId: "this
 * client" for Reconnect) per endpoint and user. Receiving is in receive.ts.
 */
import { WsmanClient } from '../client.js';
import { ResourceURI } from '../../core/namespaces.js';
import { Shell, configurationUri, newGuid } from '../shell.js';
import type { Command } from '../command.js';
import { ROBUST_RETRY, type RetryPolicy } from '../receive.js';
import type { ClientOptions } from '../options.js';
import { WsmanUsageError, WsmanFaultError, WsmanCode } from '../../core/errors.js';
import { WsmanStateError } from '../../core/state/index.js';
import { PSSession } from './session.js';
import { isPowerShellUri, matchesFilter, type SessionFilter } from './model.js';
import { enumerateShells, commandsOfShells } from './enumerate.js';
import { pipelinesOf, receiveSession, type ReceiveOptions, type HostReceiveResult } from './receive.js';
import type { Job } from './job.js';
import { connectPool, invokeScript, openSession, runspaceOf, type PsrpRetry, type ReceivedPipeline } from './powershell.js';
import type { Serializable } from '../../psrp/clixml/serialize.js';
import { DEFAULT_CONFIGURATION } from '../psrp/wsman.js';

export interface SessionManagerOptions {
  /** Retry policy of a lost connection while receiving (default: every second for 4 minutes). */
  retry?: RetryPolicy;
  /** Picks the Id of a new session (default 1, 2, 3… in this manager). */
  allocateId?: (instanceId: string) => number;
  /** Observer: a lost connection is being retried. */
  onRetry?: (session: PSSession, attempt: number, err: unknown) => void;
  now?: () => number;
}

/** ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH: Reconnect from a client that is not the shell's last one. */
const CLIENT_SESSION_ID_MISMATCH = 2150859206;

export type { NewSessionOptions, GetSessionsOptions, DisconnectOptions } from './options.js';
import { idleTimeoutRange, type NewSessionOptions, type GetSessionsOptions, type DisconnectOptions } from './options.js';

/** The repository of sessions of one client. PowerShell: a PowerShell process's PSSessions. */
export class SessionManager {
  private readonly clients = new Map<string, WsmanClient>();
  private readonly repository: PSSession[] = [];
  private nextId = 1;
  private nextJobId = 1;
  readonly retry: RetryPolicy;
  readonly now: () => number;

  constructor(readonly opts: SessionManagerOptions = {}) {
    this.retry = opts.retry ?? ROBUST_RETRY;
    this.now = opts.now ?? Date.now;
  }

  /** The client (one SessionId) this manager uses for an endpoint and user. */
  clientFor(options: ClientOptions): WsmanClient {
    const probe = new WsmanClient(options);
    const key = `${probe.url}\n${options.credential?.username ?? ''}\n${options.authentication ?? ''}`;
    const known = this.clients.get(key);
    if (known) {
      void probe.close();
      return known;
    }
    this.clients.set(key, probe);
    return probe;
  }

  private allocate(instanceId: string): number {
    if (this.opts.allocateId) return this.opts.allocateId(instanceId);
    return this.nextId++;
  }

  /** @internal A Job Id. */
  jobId(): number {
    return this.nextJobId++;
  }

  /** New-PSSession (client-chosen ShellId): Microsoft.PowerShell (a runspace pool) unless `configurationName` says otherwise (`cmd`: a cmd shell). */
  async newSession(options: ClientOptions, o: NewSessionOptions = {}): Promise<PSSession> {
    const client = this.clientFor(options);
    const shellId = newGuid();
    const name = o.configurationName ?? DEFAULT_CONFIGURATION;
    const resourceUri = name.toLowerCase() === 'cmd' ? ResourceURI.Cmd : configurationUri(name);
    const id = this.allocate(shellId);
    const sessionName = o.name ?? `Session${id}`;
    if (isPowerShellUri(resourceUri)) {
      const s: PSSession = await openSession(client, { ...o, id, name: sessionName, shellId, resourceUri, ...this.psrpRetry(() => s) });
      this.repository.push(s);
      return s;
    }
    const shell = await Shell.open(client, {
      shellId, name: sessionName, resourceUri,
      ...(o.idleTimeout !== undefined ? { idleTimeout: o.idleTimeout } : {}),
      ...(o.outputBufferingMode ? { outputBufferingMode: o.outputBufferingMode } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const s = new PSSession({
      id, name: sessionName, instanceId: shell.shellId, computerName: client.computerName, resourceUri, phase: 'Opened', client, shell,
      ...(shell.info.idleTimeOut ?? o.idleTimeout) !== undefined ? { idleTimeout: (shell.info.idleTimeOut ?? o.idleTimeout)! } : {},
      ...(shell.info.bufferMode ?? o.outputBufferingMode) ? { outputBufferingMode: (shell.info.bufferMode ?? o.outputBufferingMode)! } : {},
    });
    this.repository.push(s);
    return s;
  }

  /** Get-PSSession (no -ComputerName): the sessions of this client, filtered. */
  sessions(filter: SessionFilter = {}): PSSession[] {
    return this.repository.filter((s) => matchesFilter(s, filter));
  }

  /**
   * Get-PSSession -ComputerName: the caller's shells on the server, as sessions of this client
   * (known ones updated, others added with new Ids), filtered client-side, each with its
   * commands (`remoteCommands`; `commands: false` skips that enumeration). A session of ours the
   * server no longer has becomes Broken.
   */
  async getSessions(options: ClientOptions, filter: SessionFilter = {}, o: GetSessionsOptions = {}): Promise<PSSession[]> {
    const client = this.clientFor(options);
    const now = this.now();
    const remote = await enumerateShells(client, { now, ...(o.maxEnvelopeSize !== undefined ? { maxEnvelopeSize: o.maxEnvelopeSize } : {}) });
    // This client's sessions by InstanceId: one pass, not one search per shell listed.
    const known = new Map<string, PSSession>();
    for (const x of this.repository) if (x.client === client) known.set(x.instanceId, x);
    const seen = new Set<string>();
    const found: PSSession[] = [];
    for (const r of remote) {
      seen.add(r.instanceId);
      let s = known.get(r.instanceId);
      if (!s) {
        const shell = Shell.attach(client, r.instanceId, r.resourceUri, r.serverState === 'Disconnected' ? 'Disconnected' : 'Connected');
        s = new PSSession({
          id: this.allocate(r.instanceId), name: r.name, instanceId: r.instanceId, computerName: client.computerName,
          resourceUri: r.resourceUri, phase: r.serverState === 'Disconnected' ? 'Free' : 'HeldElsewhere', client, shell,
        });
        this.repository.push(s);
        known.set(r.instanceId, s);
      }
      s.name = r.name;
      if (r.idleTimeout !== undefined) s.idleTimeout = r.idleTimeout;
      if (r.maxIdleTimeout !== undefined) s.maxIdleTimeout = r.maxIdleTimeout;
      if (r.outputBufferingMode !== undefined) s.outputBufferingMode = r.outputBufferingMode;
      // Held by us and Connected: still ours. Disconnected by the server while we held it
      // (keep-alive): ours to Reconnect. Connected while not ours: another client holds it.
      if (s.can(r.serverState === 'Disconnected' ? 'ListedDisconnected' : 'ListedConnected')) {
        s.apply(r.serverState === 'Disconnected' ? 'ListedDisconnected' : 'ListedConnected', now);
      }
      if (s.state === 'Disconnected') {
        s.disconnectedOn = r.disconnectedOn !== undefined ? new Date(r.disconnectedOn) : undefined;
        s.expiresOn = r.expiresOn !== undefined ? new Date(r.expiresOn) : undefined;
      }
      found.push(s);
    }
    for (const s of this.repository) {
      if (s.client === client && !seen.has(s.instanceId) && (s.state === 'Opened' || s.state === 'Disconnected')) s.apply('Vanished');
    }
    const kept = found.filter((s) => matchesFilter(s, filter));
    // Each shell's commands too: one enumeration for all when the server takes it, else one per shell.
    if (o.commands !== false) {
      const cmds = await commandsOfShells(client, kept.map((s) => s.instanceId));
      for (const s of kept) s.remoteCommands = cmds.get(s.instanceId) ?? [];
    }
    return kept;
  }

  /** Invoke-Command -Session: run a command in an Opened session; its output streams back. */
  async invoke(session: PSSession, command: string, args: readonly string[] = [], opts: { signal?: AbortSignal } = {}): Promise<Command> {
    this.requireOpened(session, 'Invoke-Command');
    if (session.isPowerShell) throw new WsmanUsageError(`Invoke-Command: session ${session.name} is a PowerShell session: use invokeScript`, 'ERR_SESSION_KIND');
    const commandId = await session.shell.start(command, args, opts.signal ? { signal: opts.signal } : {});
    return await this.attach(session, commandId, opts.signal);
  }

  /**
   * Invoke-Command -Session on a PowerShell session: run a script in its runspace pool; the
   * pipeline's streams come back (PowerShell objects). `receive: false` leaves the output on the server.
   */
  async invokeScript(session: PSSession, script: string, args: readonly Serializable[] = [], o: { receive?: boolean } = {}): Promise<ReceivedPipeline> {
    this.requireOpened(session, 'Invoke-Command');
    if (!session.pool) throw new WsmanUsageError(`Invoke-Command: session ${session.name} (Id ${session.id}) is not a PowerShell session (ConfigurationName ${session.configurationName})`, 'ERR_SESSION_KIND');
    session.apply('Invoke');
    return invokeScript(session, script, args, o);
  }

  /** @internal Robust-connection retries for a PowerShell session's Receives. */
  psrpRetry(session: () => PSSession): PsrpRetry {
    return { retry: this.retry, onRetry: (attempt, err) => this.opts.onRetry?.(session(), attempt, err) };
  }

  /** @internal Receive a command of an Opened session (its SequenceIds continue across reconnects). */
  async attach(session: PSSession, commandId: string, signal?: AbortSignal): Promise<Command> {
    const id = commandId.toUpperCase();
    const existing = session.commands.get(id);
    if (existing?.receiving && !existing.detached) return existing;
    // A loop still finishing its last Receive: let it end before numbering goes on.
    if (existing?.receiving) await existing.exitCode.catch(() => undefined);
    const cmd = session.shell.attachCommand(id, {
      sequence: session.sequenceOf(id),
      retry: this.retry,
      onRetry: (attempt, err) => this.opts.onRetry?.(session, attempt, err),
      ...(signal ? { signal } : {}),
    });
    session.commands.set(id, cmd);
    session.pendingCommands.delete(id);
    cmd.exitCode.then(() => { session.sequences.delete(id); }, () => undefined);
    return cmd;
  }

  private requireOpened(session: PSSession, what: string): void {
    if (session.state !== 'Opened') {
      throw new WsmanUsageError(`${what}: session ${session.name} (Id ${session.id}) is ${session.state}, not Opened`, 'ERR_SESSION_STATE');
    }
  }

  /**
   * Disconnect-PSSession: stop receiving (commands keep running, output stays on the server) and
   * disconnect the shell, optionally with a new IdleTimeout and OutputBufferingMode.
   */
  async disconnect(session: PSSession, o: DisconnectOptions = {}): Promise<PSSession> {
    this.requireOpened(session, 'Disconnect-PSSession');
    // The server said its MaxIdleTimeout when the shell was created: a value above it would be
    // refused with a fault that does not name the limit, so name it here, before asking.
    const max = session.maxIdleTimeout;
    if (o.idleTimeout !== undefined && max !== undefined && o.idleTimeout > max) throw idleTimeoutRange(o.idleTimeout, max);
    // Stop asking for output first, then disconnect: the server answers the Receives in flight
    // with what it has (delivered here, not lost on the way), and keeps the rest.
    const stopping: Command[] = [];
    for (const [id, c] of session.commands) {
      if (!c.receiving) continue;
      c.detach();
      session.pendingCommands.add(id);
      stopping.push(c);
    }
    try {
      const settings = {
        ...(o.idleTimeout !== undefined ? { idleTimeout: o.idleTimeout } : {}),
        ...(o.outputBufferingMode ? { bufferMode: o.outputBufferingMode } : {}),
      };
      // A runspace pool stops its pipelines' Receives first and marks them Disconnected.
      if (session.pool) await runspaceOf(session).disconnect(settings);
      else await session.shell.disconnect(settings);
    } catch (err) {
      if (o.idleTimeout === undefined || !(err instanceof WsmanFaultError) || err.wsmanCode !== WsmanCode.IdleTimeoutOutOfBounds) throw err;
      // Windows' fault does not say the limit; the shell's enumeration does.
      const listed = await enumerateShells(session.client, { now: this.now() }).catch(() => []);
      const limit = listed.find((r) => r.instanceId === session.instanceId)?.maxIdleTimeout;
      if (limit === undefined) throw err;
      session.maxIdleTimeout = limit;
      throw idleTimeoutRange(o.idleTimeout, limit, err);
    }
    await Promise.all(stopping.map((c) => c.exitCode.then(
      () => { session.pendingCommands.delete(c.commandId.toUpperCase()); }, () => undefined)));
    if (o.idleTimeout !== undefined) session.idleTimeout = o.idleTimeout;
    if (o.outputBufferingMode) session.outputBufferingMode = o.outputBufferingMode;
    session.apply('Disconnect', this.now());
    return session;
  }

  /**
   * Connect-PSSession: take a Disconnected shell back, by Reconnect when this client
   * disconnected it (same SessionId), else by Connect. A shell another client holds answers the
   * in-use fault (2150859213).
   */
  async connect(session: PSSession): Promise<PSSession> {
    if (session.state === 'Opened') return session;
    if (session.state === 'Closed' || session.state === 'Broken') {
      throw new WsmanUsageError(`Connect-PSSession: session ${session.name} (Id ${session.id}) is ${session.state}`, 'ERR_SESSION_STATE');
    }
    const connect = async (): Promise<void> => {
      // Another client's pool: Connect with connectXml opens a runspace pool of our own on it.
      if (session.isPowerShell) await connectPool(session, this.psrpRetry(() => session));
      else await session.shell.connect(session.outputBufferingMode ? { bufferMode: session.outputBufferingMode } : {});
    };
    try {
      if (session.phase === 'Disconnected') {
        try {
          if (session.pool) await runspaceOf(session).reconnect();
          else await session.shell.reconnect();
        } catch (err) {
          // Another client took the shell and let it go since: it is no longer ours to Reconnect.
          if (!(err instanceof WsmanFaultError && err.wsmanCode === CLIENT_SESSION_ID_MISMATCH)) throw err;
          session.apply('ReconnectRefused');
          await connect();
        }
      } else {
        await connect();
      }
    } catch (err) {
      if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.UnexpectedSelectors) session.apply('Vanished');
      if (err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.ShellConnectedToDifferentClient) session.apply('ConnectRefused');
      throw err;
    }
    session.apply('Connect');
    for (const id of session.pendingCommands) session.commandsToConnect.add(id);
    return session;
  }

  /** Receive-PSSession -OutTarget Host: connect if needed, then stream every command's output until done. */
  receive(session: PSSession, o: ReceiveOptions & { outTarget?: 'Host' } = {}): Promise<HostReceiveResult> {
    return receiveSession(this, session, { ...o, outTarget: 'Host' }) as Promise<HostReceiveResult>;
  }

  /**
   * Receive-PSSession of a PowerShell session, as objects: connect if needed, then the streams of
   * each of its pipelines not yet done for us (those another client started included).
   */
  receivePipelines(session: PSSession): Promise<ReceivedPipeline[]> {
    return pipelinesOf(this, session);
  }

  /** Receive-PSSession -OutTarget Job: connect if needed and return a Job collecting the output (a PowerShell session's: a PowerShellJob of objects). */
  receiveJob(session: PSSession, o: Omit<ReceiveOptions, 'onData'> & { jobName?: string } = {}): Promise<Job> {
    return receiveSession(this, session, { ...o, outTarget: 'Job' }) as Promise<Job>;
  }

  /** Remove-PSSession: delete the shell (its processes end) and drop the session from this client. */
  async remove(session: PSSession): Promise<void> {
    for (const c of session.commands.values()) c.detach();
    if (session.state !== 'Closed') {
      try {
        if (session.pool) await session.pool.close();
        else await session.shell.close();
      } catch (err) {
        // Already gone on the server (idle expiry): removing it is still done.
        if (!(err instanceof WsmanFaultError && err.wsmanCode === WsmanCode.UnexpectedSelectors) && !(err instanceof WsmanStateError)) throw err;
      }
    }
    session.apply('Remove');
    const i = this.repository.indexOf(session);
    if (i >= 0) this.repository.splice(i, 1);
  }

  /**
   * Invoke-Command -InDisconnectedSession of a command line: create the session (a cmd shell by
   * default), start the command and disconnect at once: all output stays on the server.
   */
  async invokeInDisconnectedSession(options: ClientOptions, command: string, args: readonly string[] = [],
    o: NewSessionOptions & DisconnectOptions = {}): Promise<PSSession> {
    const session = await this.newSession(options, { ...o, configurationName: o.configurationName ?? 'cmd' });
    try {
      const commandId = await session.shell.start(command, args);
      session.pendingCommands.add(commandId.toUpperCase());
      await this.disconnect(session, {
        ...(o.idleTimeout !== undefined ? { idleTimeout: o.idleTimeout } : {}),
        ...(o.outputBufferingMode ? { outputBufferingMode: o.outputBufferingMode } : {}),
      });
    } catch (err) {
      await this.remove(session).catch(() => undefined);
      throw err;
    }
    return session;
  }

  /**
   * Invoke-Command -InDisconnectedSession with a script, in a PowerShell session: open the pool,
   * start the pipeline without receiving and disconnect at once. Returns the session.
   */
  async invokeScriptInDisconnectedSession(options: ClientOptions, script: string, args: readonly Serializable[] = [],
    o: NewSessionOptions & DisconnectOptions = {}): Promise<PSSession> {
    const session = await this.newSession(options, { configurationName: 'Microsoft.PowerShell', ...o });
    try {
      await this.invokeScript(session, script, args, { receive: false });
      await this.disconnect(session, {
        ...(o.idleTimeout !== undefined ? { idleTimeout: o.idleTimeout } : {}),
        ...(o.outputBufferingMode ? { outputBufferingMode: o.outputBufferingMode } : {}),
      });
    } catch (err) {
      await this.remove(session).catch(() => undefined);
      throw err;
    }
    return session;
  }

  /** Close the connections without touching any session (they stay as they are on the server). */
  async closeConnections(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => undefined)));
    this.clients.clear();
  }

  /**
   * What a PowerShell process does on exit: a session with commands running is disconnected
   * (they go on, their output waits), a session with nothing running is deleted. Then the
   * connections are closed.
   */
  async close(): Promise<void> {
    for (const s of [...this.repository]) {
      if (s.state !== 'Opened') continue;
      const busy = s.running || s.pendingCommands.size > 0;
      try {
        if (busy) await this.disconnect(s);
        else await this.remove(s);
      } catch {
        // best effort: the server's keep-alive window disconnects what we could not
      }
    }
    await this.closeConnections();
  }
}
