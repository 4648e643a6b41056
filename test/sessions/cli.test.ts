/**
 * The session commands as users run them, each wsman a separate process (a separate client),
 * against an in-process listener: the help-page example (a long job in session ITTask started
 * disconnected by one process, listed Disconnected/None and received by another while the first
 * sees it Busy), the state file, every session verb, --json, --what-if, usage errors.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionManager } from '../../src/client/sessions/index.js';
import { startListener, wsman, spawnWsman, stateDir, parseTable, optionsFor, until, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => {
  L = await startListener((c) => { c.configurations[0]!.maxIdleTimeoutMs = 3_600_000; });
});
afterAll(async () => { await L?.stop(); });

const conn = (): string[] => ['--connection-uri', L.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted'];

describe('wsman session (separate processes)', () => {
  it('the help-page example: ITTask started disconnected, listed and received by a second process while the first sees Busy', async () => {
    const first = { WSMAN_STATE_DIR: stateDir() };
    const second = { WSMAN_STATE_DIR: stateDir() };
    // Output at once, then a pause until the test has looked from another process (a gate file,
    // not a fixed sleep: a loaded machine may take seconds to start a process), then the rest.
    const gate = join(stateDir(), 'gate');
    const job = `for i in 1 2 3 4; do echo "line $i"; done; n=0; while [ ! -e '${gate}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; for i in 5 6 7 8; do echo "line $i"; sleep 0.1; done`;
    const started = await wsman(['run', ...conn(), '--in-disconnected-session', '--session-name', 'ITTask', '--', job], first);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const [row] = parseTable(started.stdout);
    expect(row).toMatchObject({ Name: 'ITTask', ComputerName: '127.0.0.1', State: 'Disconnected', ConfigurationName: 'cmd', Availability: 'None' });

    const listed = await wsman(['session', 'list', ...conn()], second);
    expect(parseTable(listed.stdout).map((r) => [r.Name, r.State, r.Availability])).toEqual([['ITTask', 'Disconnected', 'None']]);

    const receiver = spawnWsman(['session', 'receive', ...conn(), '--name', 'ITTask'], second);
    let out = '';
    receiver.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    const done = new Promise<number | null>((resolve) => receiver.on('close', resolve));
    await until(() => out.includes('line'), 15_000, 'the receiver\'s first line');
    const busy = await wsman(['session', 'list', ...conn(), '--name', 'IT*'], first);
    expect(parseTable(busy.stdout).map((r) => [r.Name, r.State, r.Availability]), busy.stdout + busy.stderr).toEqual([["ITTask", "Disconnected", "Busy"]]);
    writeFileSync(gate, '');
    expect(await done).toBe(0);
    expect(out).toBe('12345678'.split('').map((i) => `line ${i}\n`).join(''));

    // Without connection options: the sessions created from this "machine" (state file).
    const mine = await wsman(['session', 'list'], first);
    expect(parseTable(mine.stdout).map((r) => r.Name)).toEqual(['ITTask']);
    expect((await wsman(['session', 'list'], second)).stdout).toBe('');

    const what = await wsman(['session', 'remove', '--name', 'ITTask', '--what-if'], first);
    expect(what.stdout).toMatch(/^What if: Performing the operation "Remove-PSSession" on target "Name: ITTask, Id: 1"\.$/m);
    expect((await wsman(['session', 'remove', '--name', 'ITTask'], first)).code).toBe(0);
    expect((await wsman(['session', 'list', ...conn(), '--json'], second)).stdout.trim()).toBe('[]');
  }, 60_000);

  it('new → run --session → disconnect (bad and good idle timeout) → connect → receive as a job → remove, with --json', async () => {
    const env = { WSMAN_STATE_DIR: stateDir() };
    const created = await wsman(['session', 'new', ...conn(), '--configuration-name', 'cmd', '--name', 'work', '--idle-timeout', '600', '--output-buffering-mode', 'drop', '--json'], env);
    expect(created.code).toBe(0);
    const [s] = JSON.parse(created.stdout) as Record<string, unknown>[];
    expect(Object.keys(s!)).toEqual(['Id', 'Name', 'InstanceId', 'ComputerName', 'State', 'ConfigurationName', 'Availability', 'IdleTimeout',
      'OutputBufferingMode', 'DisconnectedOn', 'ExpiresOn']);
    expect(s).toMatchObject({ Id: 1, Name: 'work', State: 'Disconnected', Availability: 'None', IdleTimeout: 600, OutputBufferingMode: 'Drop' });
    expect(Date.parse(String(s!.ExpiresOn)) - Date.parse(String(s!.DisconnectedOn))).toBe(600_000);

    const ran = await wsman(['run', '--session', 'work', '--', 'echo in-session; exit 4'], env);
    expect([ran.stdout, ran.code]).toEqual(['in-session\n', 4]);

    const bad = await wsman(['session', 'disconnect', '--id', '1', '--idle-timeout', '7200'], env);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/^wsman session disconnect: .*IdleTimeout 7200 s .*MaxIdleTimeout \(3600 s\)/im);
    const good = await wsman(['session', 'disconnect', '--instance-id', String(s!.InstanceId), '--idle-timeout', '900', '--json'], env);
    expect(JSON.parse(good.stdout)[0]).toMatchObject({ State: 'Disconnected', IdleTimeout: 900 });

    const connected = await wsman(['session', 'connect', '--name', 'work'], env);
    expect(parseTable(connected.stdout)[0]).toMatchObject({ State: 'Opened', Availability: 'Available' });

    await wsman(['run', ...conn(), '--session', 'work', '--', 'true'], env);
    const m = new SessionManager();
    try {
      // A command started by a library client, then left disconnected.
      const [live] = await m.getSessions(optionsFor(L.url), { name: 'work' });
      await m.connect(live!);
      (await m.invoke(live!, 'echo from-job; echo warn >&2')).stdout.resume();
      await m.disconnect(live!);
    } finally {
      await m.closeConnections();
    }
    const received = await wsman(['session', 'receive', '--name', 'work', '--out-target', 'job', '--job-name', 'J1'], env);
    expect(received.code).toBe(0);
    expect(received.stdout).toMatch(/^Id\s+Name\s+PSJobTypeName\s+State\s+HasMoreData\s+Location\s+Command\s*$/m);
    expect(received.stdout).toMatch(/^\d+\s+J1\s+RemoteJob\s+Completed\s+True\s+127\.0\.0\.1\s+/m);
    expect(received.stdout).toContain('from-job\n');
    expect(received.stderr).toBe('warn\n');

    const stateList = await wsman(['session', 'list', '--state', 'disconnected'], env);
    expect(parseTable(stateList.stdout).map((r) => r.Name)).toEqual(['work']);
    expect(parseTable((await wsman(['session', 'list', '--state', 'opened'], env)).stdout)).toEqual([]);
    expect((await wsman(['session', 'remove', '--name', 'work'], env)).code).toBe(0);
    expect((await wsman(['session', 'list'], env)).stdout).toBe('');
  }, 60_000);

  it('run --in-disconnected-session takes the session options (-SessionOption IdleTimeout, OutputBufferingMode)', async () => {
    const env = { WSMAN_STATE_DIR: stateDir() };
    const r = await wsman(['run', ...conn(), '--in-disconnected-session', '--session-name', 'opts', '--idle-timeout', '900',
      '--output-buffering-mode', 'drop', '--json', '--', 'sleep 5'], env);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ Name: 'opts', State: 'Disconnected', IdleTimeout: 900, OutputBufferingMode: 'Drop' });
    const listed = await wsman(['session', 'list', ...conn(), '--name', 'opts', '--json'], { WSMAN_STATE_DIR: stateDir() });
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({ IdleTimeout: 900, OutputBufferingMode: 'Drop' });
    expect((await wsman(['session', 'remove', '--name', 'opts'], env)).code).toBe(0);
    const alone = await wsman(['run', ...conn(), '--idle-timeout', '900', '--', 'true'], env);
    expect([alone.code, alone.stderr]).toEqual([255, 'wsman run: --idle-timeout goes with --in-disconnected-session\n']);
  }, 30_000);

  it('usage errors are one line and exit 255', async () => {
    const env = { WSMAN_STATE_DIR: stateDir() };
    const none = await wsman(['session', 'receive', ...conn()], env);
    expect(none.code).toBe(255);
    expect(none.stderr).toMatch(/--name NAME, --instance-id GUID or --id N/);
    const missing = await wsman(['session', 'connect', '--name', 'nothing-here'], env);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toBe('wsman session connect: no session named nothing-here among the sessions created from this machine (give connection options to look on a server)\n');
    const notThere = await wsman(['session', 'receive', ...conn(), '--id', '42'], env);
    expect(notThere.code).toBe(255);
    expect(notThere.stderr).toMatch(/^wsman session receive: no session with Id 42 on http:\/\/\S+\n$/);
    const noSession = await wsman(['run', '--session', 'nosuch', '--', 'true'], env);
    expect(noSession.code).toBe(255);
    expect(noSession.stderr).toBe('wsman run: no session named nosuch among the sessions created from this machine (give connection options to look on a server)\n');
    const badGuid = await wsman(['session', 'list', ...conn(), '--instance-id', 'nope'], env);
    expect(badGuid.code).toBe(255);
    expect(badGuid.stderr).toBe('wsman session list: --instance-id must be a GUID (the session\'s ShellId), not \'nope\'\n');
    // An option of another verb is refused, not silently ignored.
    const foreign = await wsman(['session', 'receive', ...conn(), '--name', 'x', '--idle-timeout', '5'], env);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/unknown option '--idle-timeout'/);
  }, 30_000);
});
