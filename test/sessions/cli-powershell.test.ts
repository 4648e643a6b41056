/**
 * `wsman session` and `wsman invoke` on PowerShell sessions, each wsman a separate process,
 * against our listener hosting real pwsh. Skips, saying why, without pwsh.
 *
 * A second process is another client: it takes a session with a WS-Man Connect carrying
 * connectXml (CONNECT_RUNSPACEPOOL). Until the listener answers that (issue 17, Connect from a
 * second client), the receive-by-another-process steps are tested against replays of Windows
 * (test/psrp/wsman-replay.test.ts), and here only the steps one process does alone.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';
import { startListener, wsman, stateDir, parseTable, type SessionListener } from './helpers.js';

let L: SessionListener;
beforeAll(async () => {
  if (PWSH) L = await startListener(undefined, { pwsh: PWSH });
});
afterAll(async () => { await L?.stop(); });

const conn = (): string[] => ['--connection-uri', L.url, '--credential', 'alice', '--authentication', 'basic', '--allow-unencrypted'];
const env = (): Record<string, string> => ({ WSMAN_STATE_DIR: stateDir(), WSMAN_PASSWORD: 'secret' });

describe.skipIf(!PWSH)(`wsman session / invoke on PowerShell sessions${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('session new defaults to Microsoft.PowerShell (cmd when asked); list shows ConfigurationName, State, Availability, IdleTimeout and OutputBufferingMode; remove deletes it', async () => {
    const e = env();
    const made = await wsman(['session', 'new', ...conn(), '--name', 'ps', '--idle-timeout', '600', '--output-buffering-mode', 'drop', '--json'], e);
    expect(made.stderr).toBe('');
    const [ps] = JSON.parse(made.stdout) as Record<string, unknown>[];
    expect(ps).toMatchObject({ Name: 'ps', State: 'Disconnected', ConfigurationName: 'Microsoft.PowerShell', Availability: 'None', IdleTimeout: 600, OutputBufferingMode: 'Drop' });
    const cmd = await wsman(['session', 'new', ...conn(), '--configuration-name', 'cmd', '--name', 'sh'], e);
    expect(parseTable(cmd.stdout)[0]).toMatchObject({ Name: 'sh', ConfigurationName: 'cmd', State: 'Disconnected' });

    const listed = await wsman(['session', 'list', ...conn(), '--json'], env());
    const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => [r.ConfigurationName, r.State, r.Availability]).sort()).toEqual([['Microsoft.PowerShell', 'Disconnected', 'None'], ['cmd', 'Disconnected', 'None']]);
    expect(rows.find((r) => r.ConfigurationName === 'Microsoft.PowerShell')).toMatchObject({ InstanceId: ps!.InstanceId, IdleTimeout: 600, OutputBufferingMode: 'Drop' });
    const only = await wsman(['session', 'list', ...conn(), '--configuration-name', 'Microsoft.PowerShell'], env());
    expect(parseTable(only.stdout).map((r) => r.ConfigurationName)).toEqual(['Microsoft.PowerShell']);

    expect((await wsman(['session', 'remove', '--name', 'ps'], e)).code).toBe(0);
    expect((await wsman(['session', 'remove', '--name', 'sh'], e)).code).toBe(0);
    expect((await wsman(['session', 'list', ...conn(), '--json'], env())).stdout.trim()).toBe('[]');
  }, 90_000);

  it('invoke --in-disconnected-session --session-name: prints the session Disconnected/None; the pipeline runs on the server with nobody receiving', async () => {
    const e = env();
    const started = await wsman(['invoke', ...conn(), '--in-disconnected-session', '--session-name', 'ITTask', '--idle-timeout', '300',
      '--output-buffering-mode', 'block', '--script-block', '1..3 | ForEach-Object { "step $_" }'], e);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(parseTable(started.stdout)[0]).toMatchObject({ Name: 'ITTask', State: 'Disconnected', ConfigurationName: 'Microsoft.PowerShell', Availability: 'None' });
    const listed = JSON.parse((await wsman(['session', 'list', ...conn(), '--name', 'IT*', '--json'], env())).stdout) as Record<string, unknown>[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ Name: 'ITTask', IdleTimeout: 300, OutputBufferingMode: 'Block' });
    expect((await wsman(['session', 'remove', '--name', 'ITTask'], e)).code).toBe(0);
  }, 90_000);

  it('usage: --session with --in-disconnected-session, and --session-name without it, are refused; --session on a cmd session says to use wsman run', async () => {
    const e = env();
    const both = await wsman(['invoke', ...conn(), '--session', 'x', '--in-disconnected-session', '--script-block', '1'], e);
    expect([both.code, both.stderr]).toEqual([255, expect.stringContaining('exclude each other')]);
    const lone = await wsman(['invoke', ...conn(), '--session-name', 'x', '--script-block', '1'], e);
    expect([lone.code, lone.stderr]).toEqual([255, expect.stringContaining('go with --in-disconnected-session')]);
    await wsman(['session', 'new', ...conn(), '--configuration-name', 'cmd', '--name', 'plain'], e);
    const wrong = await wsman(['invoke', ...conn(), '--session', 'plain', '--script-block', '1'], e);
    expect([wrong.code, wrong.stderr]).toEqual([255, expect.stringContaining('use wsman run --session')]);
    expect((await wsman(['session', 'remove', '--name', 'plain'], e)).code).toBe(0);
  }, 90_000);
});
