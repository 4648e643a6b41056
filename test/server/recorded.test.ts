/**
 * The requests pypsrp sent to Windows (fixtures/windows-recorded/pypsrp/test_winrs_*.yml and the
 * cmd conversations), replayed against the listener with Windows' ShellIds and CommandIds mapped
 * to ours. Every request must be accepted as Windows accepted it; where Windows faulted, we must
 * fault with the same code. (The commands themselves are Windows commands; only the protocol is
 * checked. A Receive may also end in TimedOut, since our processes finish differently.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { decodeMessage, type Message } from '../../src/core/index.js';
import { pypsrpExchanges } from '../helpers/fixtures.js';
import { startListener, post, type TestListener } from './helpers.js';
import { defaultConfig } from '../../src/server/config.js';

const FILES = /^(test_winrs_.*|test_client_execute_cmd.*)\.yml$/;

let t: TestListener;
const savedPath = process.env.PATH;
beforeAll(async () => {
  // A stand-in for powershell.exe, which the no_cmd_shell conversation runs without cmd.
  const bin = mkdtempSync(join(tmpdir(), 'wsman-bin-'));
  writeFileSync(join(bin, 'powershell.exe'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
  process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
  const config = defaultConfig();
  config.maxTimeoutMs = 300;
  t = await startListener({ config });
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await t.stop();
});

function idsOf(m: Message): string[] {
  const b = m.body;
  if (b.kind === 'ResourceCreated') return [b.selectors?.ShellId ?? b.shell?.shellId ?? ''];
  if (b.kind === 'CommandResponse') return [b.commandId];
  return [];
}

const byFile = new Map<string, ReturnType<typeof pypsrpExchanges>>();
for (const ex of pypsrpExchanges()) {
  if (!FILES.test(ex.file)) continue;
  byFile.set(ex.file, [...(byFile.get(ex.file) ?? []), ex]);
}

describe('recorded pypsrp requests are accepted as Windows accepted them', () => {
  for (const [file, exchanges] of byFile) {
    it(file, async () => {
      const map = new Map<string, string>();
      for (const ex of exchanges) {
        if (!ex.response || ex.transportError) continue;
        let request = ex.request;
        for (const [theirs, ours] of map) request = request.replace(new RegExp(theirs, 'gi'), ours);
        const windows = decodeMessage(ex.response);
        const r = await post(t.url, request);
        const ours = decodeMessage(r.body);
        const action = windows.headers.action ?? '';
        const what = `${file}#${ex.index} ${decodeMessage(ex.request).headers.action}`;
        if (windows.body.kind === 'Fault') {
          expect(ours.body.kind === 'Fault' && ours.body.fault.wsmanCode, what).toBe(windows.body.fault.wsmanCode);
          continue;
        }
        // A Windows path run without the shell does not exist here: the conversation ends there.
        if (ours.body.kind === 'Fault' && ours.body.fault.wsmanCode === 2 && /<rsp:Command>[A-Za-z]:\\/.test(request)) break;
        if (action.endsWith('/ReceiveResponse') && ours.body.kind === 'Fault') {
          expect(ours.body.fault.wsmanCode, what).toBe(2150858793);
          continue;
        }
        expect(r.status, `${what}: ${r.body.slice(0, 600)}`).toBe(200);
        expect(ours.headers.action, what).toBe(action);
        const theirIds = idsOf(windows);
        const ourIds = idsOf(ours);
        theirIds.forEach((id, i) => map.set(id, ourIds[i]!));
      }
    });
  }
});
