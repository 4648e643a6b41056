/** Sessions and jobs as PowerShell's default tables show them (Format-Table). */
import { formatTable } from '../../util/table.js';
import type { PSSessionJson } from './model.js';
import type { Job } from './job.js';

/** PowerShell's PSSession columns. */
export const SESSION_COLUMNS = ['Id', 'Name', 'ComputerName', 'State', 'ConfigurationName', 'Availability'] as const;

/** The Get-PSSession table. */
export function sessionTable(sessions: readonly PSSessionJson[]): string {
  return formatTable(SESSION_COLUMNS, sessions.map((s) => [s.Id, s.Name, s.ComputerName, s.State, s.ConfigurationName, s.Availability]));
}

/** PowerShell's job columns (Get-Job). */
export const JOB_COLUMNS = ['Id', 'Name', 'PSJobTypeName', 'State', 'HasMoreData', 'Location', 'Command'] as const;

/** The Get-Job table. */
export function jobTable(jobs: readonly Job[]): string {
  return formatTable(JOB_COLUMNS, jobs.map((j) => [j.id, j.name, j.jobTypeName, j.state, j.hasMoreData ? 'True' : 'False', j.location, j.command]));
}
