/**
 * The pwsh backend's streams (issue 17, phase 1): pipeline input through Send, Stop through
 * PowerShell's ctrl_c Signal, and Block mode with an output buffer far smaller than the output.
 * Skips, saying why, when PowerShell is not installed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, SignalURI } from '../../src/core/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { withPowerShell } from '../../src/server/pwsh-find.js';
import { startListener, call, type TestListener } from './helpers.js';
import { PS, PsShell } from './pwsh-helpers.js';
import { NO_PWSH_REASON, PWSH } from '../psrp/pwsh.js';

let t: TestListener;
beforeAll(async () => {
  if (!PWSH) return;
  const config = withPowerShell(defaultConfig(), PWSH);
  const ps = config.configurations.find((c) => c.resourceUri === PS)!;
  ps.outputBufferBytes = 4096;
  ps.outputBufferingMode = 'Block';
  t = await startListener({ config });
});
afterAll(async () => {
  await t?.stop();
});

describe.skipIf(!PWSH)(`pwsh backend streams${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('Send on stdin carries PIPELINE_INPUT and END_OF_PIPELINE_INPUT to the pipeline, one packet at a time', async () => {
    const s = new PsShell(t.url);
    await s.open();
    const pid = await s.start('$input | ForEach-Object { $_ * 2 }', true);
    for (const v of [1, 2, 3]) s.pipeline!.sendInput(v);
    s.pipeline!.endInput();
    for (const o of s.pool.dataToSend()) {
      if (o.kind !== 'data') continue;
      const r = await call(t.url, Action.Send, { kind: 'Send', streams: [{ name: 'stdin', commandId: pid, data: Buffer.from(o.data) }] }, s.ex(), PS, s.auth);
      expect(r.msg.body.kind).toBe('SendResponse');
    }
    const r = await s.collect(pid);
    expect(r.output).toEqual([2, 4, 6]);
    expect(r.state).toBe('Completed');
    await s.delete();
  }, 60_000);

  it('PowerShell\'s ctrl_c Signal stops a running pipeline (Stopped), and the pool goes on', async () => {
    const s = new PsShell(t.url);
    await s.open();
    const pid = await s.start("'started'; Start-Sleep -Seconds 60; 'never'");
    for (let i = 0; i < 20 && !s.events.some((e) => e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT'); i++) await s.receive(pid);
    const r = await call(t.url, Action.Signal, { kind: 'Signal', commandId: pid, code: SignalURI.PowerShellStop }, s.ex(), PS, s.auth);
    expect(r.msg.body.kind).toBe('SignalResponse');
    const done = await s.collect(pid);
    expect(done.output).toEqual(['started']);
    expect(done.state).toBe('Stopped');
    expect((await s.run('1+2')).output).toEqual([3]);
    await s.delete();
  }, 60_000);

  it('Block mode with a 4 KB buffer: PowerShell waits while nobody receives, and every object arrives once, in order', async () => {
    const s = new PsShell(t.url);
    await s.open();
    const pid = await s.start("1..2000 | ForEach-Object { 'line ' + $_ }");
    await new Promise((r) => setTimeout(r, 1500));
    // Nobody received: the listener holds at most about the buffer, and the pipeline cannot finish.
    const cmd = t.listener.core.store.get(s.id)!.command(pid)!;
    expect(cmd.output.size).toBeLessThanOrEqual(96 * 1024);
    expect(cmd.isDone).toBe(false);
    // About 250 KB of PSRP messages through a 4 KB buffer: how many Receives depends on how pwsh's writes fall.
    const r = await s.collect(pid, 5000);
    expect(r.output).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`));
    expect(r.state).toBe('Completed');
    await s.delete();
  }, 120_000);
});
