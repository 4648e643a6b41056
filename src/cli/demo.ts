/**
 * `wsman demo`: disconnected sessions end to end in a few seconds, against an embedded listener
 * (in process, 127.0.0.1, a free port, a generated user, HTTP). Two client identities play
 * PowerShell's about_Remote_Disconnected_Sessions example: client A starts a long job in
 * session ITTask and disconnects; client B lists the server's sessions, receives the output
 * produced meanwhile, and removes the session. The tables are printed at each step.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Command as Cli } from 'commander';
import { WsmanListener } from '../server/listener.js';
import { UserStore, hashPassword } from '../server/users.js';
import { createLogger } from '../server/log.js';
import { defaultConfig } from '../server/config.js';
import type { ClientOptions } from '../client/options.js';
import { SessionManager, type PSSession } from '../client/sessions/index.js';
import { sessionTable } from '../client/sessions/format.js';
import { describeError } from './errors.js';

const LONG = 'sleep 0.5; for i in 1 2 3 4 5 6; do echo "[$(date +%H:%M:%S)] step $i of 6"; sleep 0.5; done';

function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function table(sessions: PSSession[]): void {
  if (sessions.length === 0) {
    say('    (no sessions)');
    return;
  }
  for (const line of sessionTable(sessions.map((s) => s.toJSON())).split('\n')) say(`    ${line}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run the demo; resolves with the exit status. */
export async function runDemo(): Promise<number> {
  const user = `demo-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const users = new UserStore();
  // The demo user is whoever runs the demo: its commands run as this process's own account.
  users.add({ name: user, hash: await hashPassword(password, 1024), runAs: userInfo().username });
  const listener = new WsmanListener({
    users, config: defaultConfig(), httpPort: 0, httpsPort: null, allowUnencrypted: true, logger: createLogger('silent'), sweepIntervalMs: 200,
  });
  const [ep] = await listener.start();
  const options: ClientOptions = { endpoint: { connectionUri: ep!.url }, credential: { username: user, password }, authentication: 'basic', allowUnencrypted: true }; // loopback only
  const a = new SessionManager();
  const b = new SessionManager();
  try {
    say('wsman demo: PowerShell\'s disconnected sessions, end to end, against an embedded listener');
    say();
    say(`1. A listener runs at ${ep!.url} (user ${user}, a generated password; HTTP on loopback only).`);
    say();
    say('2. Client A creates a session named ITTask          (New-PSSession -Name ITTask)');
    const s = await a.newSession(options, { configurationName: 'cmd', name: 'ITTask' });
    table([s]);
    say();
    say('3. Client A starts a long command in it (6 lines, one every half second) ...');
    say(`       ${LONG}`);
    const cmd = await a.invoke(s, LONG);
    table([s]);
    say('   ... and disconnects before any output comes back (Disconnect-PSSession).');
    say('   The command keeps running on the server; its output waits there.');
    await a.disconnect(s);
    cmd.stdout.resume();
    table([s]);
    say();
    await sleep(1500);
    say('4. Client B, another client identity, lists the server\'s sessions   (Get-PSSession -ComputerName)');
    const [seen] = await b.getSessions(options, { name: 'ITTask' });
    if (!seen) throw new Error('client B does not see ITTask');
    table([seen]);
    say('   Disconnected and free to connect: Availability None.');
    say();
    say('5. Client B receives the output, connecting first     (Receive-PSSession -OutTarget Job)');
    const job = await b.receiveJob(seen, { jobName: 'ITTask' });
    say('   Meanwhile client A lists the server\'s sessions: connected to another client, Busy.');
    table(await a.getSessions(options, { name: 'ITTask' }));
    say(`   The job's output (B connected at ${new Date().toTimeString().slice(0, 8)}; lines stamped earlier were written while nobody was connected):`);
    for await (const c of job) {
      for (const line of c.data.toString('utf8').split('\n').filter(Boolean)) say(`     | ${line}`);
    }
    const state = await job.wait();
    say(`   Job ${job.name}: ${state}, exit code ${job.exitCode ?? '?'}.`);
    say();
    say('6. Client B\'s session after the receive: Opened, Available.');
    table([seen]);
    say();
    say('7. Client B removes the session (Remove-PSSession); the server has none left.');
    await b.remove(seen);
    table(await b.getSessions(options));
    say();
    say('Done: the listener stops. Try the same with two terminals: `wsman listen`, then `wsman session …` (README).');
    return state === 'Completed' ? 0 : 1;
  } finally {
    await a.closeConnections();
    await b.closeConnections();
    await listener.stop();
  }
}

export function register(program: Cli): void {
  program.command('demo')
    .description('show disconnected sessions end to end against an embedded listener (takes a few seconds)')
    .action(async () => {
      try {
        process.exitCode = await runDemo();
      } catch (err) {
        process.stderr.write(`wsman demo: ${describeError(err)}\n`);
        process.exitCode = 1;
      }
    });
}
