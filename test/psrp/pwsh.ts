/**
 * Finding and running real PowerShell for the PSRP tests: $PWSH, then ~/.dotnet/tools/pwsh (where
 * `.ci/run` installs PowerShell 7.6.10 as a .NET global tool), then `pwsh` on PATH. Tests that need
 * it skip, saying why, when none is found.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function find(): string | undefined {
  const candidates = [process.env.PWSH, path.join(os.homedir(), '.dotnet', 'tools', 'pwsh')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    const found = execFileSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

export const PWSH = find();
export const NO_PWSH_REASON = 'PowerShell (pwsh) not found: set $PWSH or run `dotnet tool install --global PowerShell --version 7.6.10`';

/** Run a script file with stdin, in UTC (DateTimes of kind Local come back with +00:00), and collect stdout. */
export function runPwsh(scriptFile: string, stdin: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PWSH!, ['-NoProfile', '-NonInteractive', '-File', scriptFile], {
      env: { ...process.env, TZ: 'UTC', POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code }));
    child.stdin.end(stdin, 'utf8');
  });
}
