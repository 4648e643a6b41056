/**
 * Finding PowerShell 7 for the `pwsh` backend, and the Microsoft.PowerShell session configuration
 * it serves. Looked for in this order: `--pwsh PATH`, `pwsh` on PATH, /opt/powershell/pwsh,
 * ~/.dotnet/tools/pwsh (a .NET global tool). The listener runs pwsh as each user's account, so it must be executable by
 * every mapped account (install it under /opt with a link on PATH, not only under root's home).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CMD_CONFIGURATION, type ListenerConfig, type SessionConfiguration } from './config.js';

/** Microsoft.PowerShell's resource URI (Enter-PSSession's default ConfigurationName). */
export const POWERSHELL_RESOURCE_URI = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell';

function executable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the project's install notes put PowerShell for every account (`dotnet tool install --tool-path /opt/powershell`). */
export const OPT_PWSH = '/opt/powershell/pwsh';

/** Replaces the places looked at after PATH (a `:`-separated list of executables; empty: none). */
export const PWSH_CANDIDATES_ENV = 'WSMAN_PWSH_CANDIDATES';

/** The pwsh to use: `explicit` when given (undefined if it is not executable), else PATH, /opt/powershell, ~/.dotnet/tools. */
export function findPwsh(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit !== undefined) return executable(explicit) ? path.resolve(explicit) : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && path.isAbsolute(dir) && executable(path.join(dir, 'pwsh'))) return path.join(dir, 'pwsh');
  }
  const fixed = env[PWSH_CANDIDATES_ENV] !== undefined
    ? env[PWSH_CANDIDATES_ENV]!.split(path.delimiter).filter((p) => path.isAbsolute(p))
    : [OPT_PWSH, path.join(env.HOME ?? homedir(), '.dotnet', 'tools', 'pwsh')];
  for (const p of fixed) if (executable(p)) return p;
  return undefined;
}

/**
 * Offer Microsoft.PowerShell served by `pwshPath` (kept when the config file already declares it:
 * then only its executable is filled in); configurations declared with Backend "pwsh" and no
 * executable get this one too. PowerShell: Register-PSSessionConfiguration.
 */
export function withPowerShell(config: ListenerConfig, pwshPath: string): ListenerConfig {
  const uri = POWERSHELL_RESOURCE_URI.toLowerCase();
  if (!config.configurations.some((c) => c.resourceUri.toLowerCase() === uri)) {
    const ps: SessionConfiguration = { ...CMD_CONFIGURATION, name: 'Microsoft.PowerShell', resourceUri: POWERSHELL_RESOURCE_URI, backend: 'pwsh', maxShellsPerUser: 25, idleTimeoutMs: 7_200_000 };
    config.configurations.push(ps);
  }
  for (const c of config.configurations) {
    if (c.resourceUri.toLowerCase() === uri) c.backend = 'pwsh';
    if (c.backend === 'pwsh' && !c.pwsh) c.pwsh = { path: pwshPath };
  }
  return config;
}

/** The PowerShell configurations a config offers (backend pwsh with an executable). */
export function powerShellConfigurations(config: ListenerConfig): SessionConfiguration[] {
  return config.configurations.filter((c) => c.backend === 'pwsh' && c.pwsh);
}

/** The pwsh of Microsoft.PowerShell, else of the first PowerShell configuration; undefined without one. */
export function defaultPwsh(config: ListenerConfig): string | undefined {
  const ps = powerShellConfigurations(config);
  const uri = POWERSHELL_RESOURCE_URI.toLowerCase();
  return (ps.find((c) => c.resourceUri.toLowerCase() === uri) ?? ps[0])?.pwsh?.path;
}
