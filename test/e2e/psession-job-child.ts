/**
 * "Another computer" for the Receive-PSSession -OutTarget Job example (psession-job.test.ts): a
 * separate process that finds the disconnected session by name on the server (Get-PSSession
 * -ComputerName), receives it as a job (Receive-PSSession -OutTarget Job -JobName), then waits
 * for the job and takes its records (Wait-Job, Receive-Job), printing one JSON line: the job as
 * returned and as ended, and each record with its PowerShell type names and properties.
 * Usage: node --import tsx psession-job-child.ts URL USER SESSIONNAME JOBNAME (password in $WSMAN_PASSWORD)
 */
import { SessionManager, PowerShellJob } from '../../src/client/sessions/index.js';
import { jsonValue } from '../../src/cli/psformat.js';

const [url, user, sessionName, jobName] = process.argv.slice(2) as [string, string, string, string];
const options = { endpoint: { connectionUri: url }, credential: { username: user, password: process.env.WSMAN_PASSWORD ?? '' }, authentication: 'basic' as const, allowUnencrypted: true };
const m = new SessionManager();
try {
  const [s] = await m.getSessions(options, { name: sessionName, state: 'Disconnected' });
  if (!s) throw new Error(`no disconnected session ${sessionName}`);
  const job = await m.receiveJob(s, { jobName });
  if (!(job instanceof PowerShellJob)) throw new Error('the job of a PowerShell session is not a PowerShellJob');
  const returned = job.toJSON();
  const state = await job.wait();
  const ended = job.toJSON();
  const held = { output: job.output.length, errors: job.errorRecords.length, hasMoreData: job.hasMoreData };
  const records = job.receiveRecords().map((r) => ({
    stream: r.stream, commandId: r.commandId,
    ...(r.stream === 'Output' ? { value: jsonValue(r.value) } : {}),
    ...(r.stream === 'Error' ? { message: r.record.message, fullyQualifiedErrorId: r.record.fullyQualifiedErrorId, record: jsonValue(r.record.record), terminating: r.terminating ?? false } : {}),
    ...(r.stream === 'Warning' || r.stream === 'Verbose' || r.stream === 'Debug' ? { message: r.record.message } : {}),
  }));
  process.stdout.write(`${JSON.stringify({
    returned, state, ended, held, hadErrors: job.hadErrors, records, sessionState: s.state, sessionAvailability: s.availability,
  })}\n`);
} finally {
  await m.close();
}
