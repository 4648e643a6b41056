/**
 * Listener configuration: the service-wide limits and the session configurations (named
 * endpoints, like `Get-PSSessionConfiguration` / `winrm get winrm/config/winrs`), with Windows'
 * defaults. A config file is JSON:
 *
 *   { "MaxEnvelopeSizekb": 500, "MaxTimeoutms": 60000, "MaxMemoryPerUserMB": 64,
 *     "SessionConfigurations": [ { "Name": "Ops", "ResourceUri": "http://example/ops",
 *        "IdleTimeoutMs": 600000, "MaxShellsPerUser": 5, "OutputBufferingMode": "Drop",
 *        "MaxProcessesPerShell": 25, "MaxMemoryPerShellMB": 1024 },
 *      { "Name": "Ops.PS", "Backend": "pwsh", "PwshArguments": ["-s", "-NoLogo"] } ] }
 *
 * The cmd shell (`…/windows/shell/cmd`) is always present; an entry with its name or URI
 * overrides its limits. `Backend: "pwsh"` makes a PowerShell configuration (a `pwsh -s` per shell;
 * `Pwsh` names the executable, default the one found at start-up, see pwsh-find.ts).
 *
 * Memory quotas count the command output the listener holds for clients (OutputBufferBytes per
 * command, MaxMemoryPerShellMB per shell, MaxMemoryPerUserMB per user over all their shells):
 * Block mode stops reading a command's output while a budget is full, Drop mode discards its
 * oldest output. Windows' MaxMemoryPerShellMB also counts the processes' own memory; here the
 * operating system's limits (ulimit, cgroups) do that.
 */
import { readFileSync } from 'node:fs';
import { ResourceURI, type BufferMode, WsmanUsageError } from '../core/index.js';
import type { BackendKind } from './backends/backend.js';

/** One session configuration (Register-PSSessionConfiguration's view of a plugin). */
export interface SessionConfiguration {
  name: string;
  resourceUri: string;
  idleTimeoutMs: number;
  maxIdleTimeoutMs: number;
  outputBufferingMode: BufferMode;
  /** Bytes of command output kept per command before Block pauses the process or Drop discards. */
  outputBufferBytes: number;
  maxShellsPerUser: number;
  maxConcurrentOperationsPerUser: number;
  /** Commands running at once in one shell (winrm/config/winrs MaxProcessesPerShell); 0: no limit. */
  maxProcessesPerShell: number;
  /** Output held for one shell's commands, in MB (MaxMemoryPerShellMB); 0: no limit. */
  maxMemoryPerShellMB: number;
  /** Answer shell Create with 302 to this URL. */
  redirect?: string;
  /** What runs its shells: `cmd` (/bin/sh, the default) or `pwsh` (a `pwsh -s` per shell). */
  backend?: BackendKind;
  /** The pwsh backend: the executable and its arguments (default `-s -NoLogo -NoProfile`). */
  pwsh?: { path: string; args?: string[] };
}

/** The whole service configuration. */
export interface ListenerConfig {
  maxEnvelopeSizeKb: number;
  maxTimeoutMs: number;
  /** Unused enumeration contexts are dropped after this long. */
  enumerationTimeoutMs: number;
  /** A connected shell whose client sent nothing for this long becomes Disconnected. */
  clientKeepAliveMs: number;
  /** Output held for all the shells of one user, in MB; 0: no limit. */
  maxMemoryPerUserMB: number;
  configurations: SessionConfiguration[];
}

export const CMD_CONFIGURATION: SessionConfiguration = {
  name: 'cmd',
  resourceUri: ResourceURI.Cmd,
  idleTimeoutMs: 7_200_000,
  maxIdleTimeoutMs: 2_147_483_647,
  outputBufferingMode: 'Block',
  outputBufferBytes: 8 * 1024 * 1024,
  maxShellsPerUser: 30,
  maxConcurrentOperationsPerUser: 1500,
  maxProcessesPerShell: 25,
  maxMemoryPerShellMB: 1024,
};

export function defaultConfig(): ListenerConfig {
  return {
    maxEnvelopeSizeKb: 500,
    maxTimeoutMs: 60_000,
    enumerationTimeoutMs: 60_000,
    clientKeepAliveMs: 120_000,
    maxMemoryPerUserMB: 64,
    configurations: [{ ...CMD_CONFIGURATION }],
  };
}

type Json = Record<string, unknown>;

function pick(obj: Json, key: string): unknown {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function num(obj: Json, key: string, fallback: number, where: string): number {
  const v = pick(obj, key);
  if (v === undefined) return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new WsmanUsageError(`${where}: ${key} must be a non-negative number`);
  return n;
}

function mode(obj: Json, fallback: BufferMode, where: string): BufferMode {
  const v = pick(obj, 'OutputBufferingMode');
  if (v === undefined) return fallback;
  const t = String(v).toLowerCase();
  if (t === 'block') return 'Block';
  if (t === 'drop') return 'Drop';
  throw new WsmanUsageError(`${where}: OutputBufferingMode must be Block or Drop`);
}

function sessionConfiguration(obj: Json, base: SessionConfiguration, where: string): SessionConfiguration {
  const c: SessionConfiguration = {
    name: String(pick(obj, 'Name') ?? base.name),
    resourceUri: String(pick(obj, 'ResourceUri') ?? base.resourceUri),
    idleTimeoutMs: num(obj, 'IdleTimeoutMs', base.idleTimeoutMs, where),
    maxIdleTimeoutMs: num(obj, 'MaxIdleTimeoutMs', base.maxIdleTimeoutMs, where),
    outputBufferingMode: mode(obj, base.outputBufferingMode, where),
    outputBufferBytes: num(obj, 'OutputBufferBytes', base.outputBufferBytes, where),
    maxShellsPerUser: num(obj, 'MaxShellsPerUser', base.maxShellsPerUser, where),
    maxConcurrentOperationsPerUser: num(obj, 'MaxConcurrentOperationsPerUser', base.maxConcurrentOperationsPerUser, where),
    maxProcessesPerShell: num(obj, 'MaxProcessesPerShell', base.maxProcessesPerShell, where),
    maxMemoryPerShellMB: num(obj, 'MaxMemoryPerShellMB', base.maxMemoryPerShellMB, where),
  };
  const backend = String(pick(obj, 'Backend') ?? base.backend ?? 'cmd').toLowerCase();
  if (backend !== 'cmd' && backend !== 'pwsh') throw new WsmanUsageError(`${where}: Backend must be cmd or pwsh`);
  if (backend === 'pwsh') c.backend = 'pwsh';
  const pwsh = pick(obj, 'Pwsh');
  const pwshArgs = pick(obj, 'PwshArguments');
  if (pwshArgs !== undefined && (!Array.isArray(pwshArgs) || pwshArgs.some((a) => typeof a !== 'string'))) throw new WsmanUsageError(`${where}: PwshArguments must be an array of strings`);
  if (pwsh !== undefined) c.pwsh = { path: String(pwsh), ...(pwshArgs ? { args: pwshArgs as string[] } : {}) };
  else if (base.pwsh) c.pwsh = base.pwsh;
  const redirect = pick(obj, 'Redirect') ?? base.redirect;
  if (redirect !== undefined) c.redirect = String(redirect);
  if (c.idleTimeoutMs > c.maxIdleTimeoutMs) throw new WsmanUsageError(`${where}: IdleTimeoutMs exceeds MaxIdleTimeoutMs`);
  if (c.outputBufferBytes < 1024) throw new WsmanUsageError(`${where}: OutputBufferBytes must be at least 1024`);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(c.resourceUri)) {
    // A bare name maps like PowerShell's -ConfigurationName.
    c.resourceUri = ResourceURI.PowerShellPrefix + c.resourceUri;
  }
  return c;
}

/** Parse a config object (the file's JSON); unknown keys are ignored. */
export function parseConfig(obj: unknown, where = 'config'): ListenerConfig {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new WsmanUsageError(`${where}: must be a JSON object`);
  const o = obj as Json;
  const d = defaultConfig();
  const cfg: ListenerConfig = {
    maxEnvelopeSizeKb: num(o, 'MaxEnvelopeSizekb', d.maxEnvelopeSizeKb, where),
    maxTimeoutMs: num(o, 'MaxTimeoutms', d.maxTimeoutMs, where),
    enumerationTimeoutMs: num(o, 'EnumerationTimeoutms', d.enumerationTimeoutMs, where),
    clientKeepAliveMs: num(o, 'ClientKeepAliveMs', d.clientKeepAliveMs, where),
    maxMemoryPerUserMB: num(o, 'MaxMemoryPerUserMB', d.maxMemoryPerUserMB, where),
    configurations: d.configurations,
  };
  if (cfg.maxEnvelopeSizeKb < 8) throw new WsmanUsageError(`${where}: MaxEnvelopeSizekb must be at least 8`);
  const list = pick(o, 'SessionConfigurations');
  if (list !== undefined) {
    if (!Array.isArray(list)) throw new WsmanUsageError(`${where}: SessionConfigurations must be an array`);
    list.forEach((entry, i) => {
      if (typeof entry !== 'object' || entry === null) throw new WsmanUsageError(`${where}: SessionConfigurations[${i}] must be an object`);
      const e = entry as Json;
      const name = String(pick(e, 'Name') ?? '');
      const uri = pick(e, 'ResourceUri');
      const existing = cfg.configurations.findIndex((c) => c.name.toLowerCase() === name.toLowerCase() ||
        (uri !== undefined && c.resourceUri.toLowerCase() === String(uri).toLowerCase()));
      if (existing >= 0) {
        cfg.configurations[existing] = sessionConfiguration(e, cfg.configurations[existing]!, `${where}: ${name}`);
      } else {
        if (!name) throw new WsmanUsageError(`${where}: SessionConfigurations[${i}] needs a Name`);
        cfg.configurations.push(sessionConfiguration(e, { ...CMD_CONFIGURATION, name, resourceUri: String(uri ?? name) }, `${where}: ${name}`));
      }
    });
  }
  return cfg;
}

export function loadConfigFile(file: string): ListenerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WsmanUsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new WsmanUsageError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(obj, file);
}

/** The configuration serving a shell resource URI (case-insensitive), if any. */
export function configurationFor(cfg: ListenerConfig, resourceUri: string | undefined): SessionConfiguration | undefined {
  if (resourceUri === undefined) return undefined;
  const lower = resourceUri.toLowerCase();
  return cfg.configurations.find((c) => c.resourceUri.toLowerCase() === lower);
}
