/**
 * One set of connection options, defined once (cli/connection.ts), taken by every command that
 * connects: a command that lacks one (as `conformance` lacked --authentication and the TLS options,
 * and `identify` --certificate-thumbprint) fails here.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addConnectionOptions } from '../../src/cli/connection.js';
import { register as conformance } from '../../src/cli/conformance.js';
import { register as identify } from '../../src/cli/identify.js';
import { register as run } from '../../src/cli/run.js';
import { register as session } from '../../src/cli/session.js';

function find(root: Command, words: string[]): Command {
  let c = root;
  for (const w of words) {
    const next = c.commands.find((x) => x.name() === w);
    if (!next) throw new Error(`no command ${words.join(' ')}`);
    c = next;
  }
  return c;
}

describe('connection options', () => {
  const shared = addConnectionOptions(new Command('x')).options.map((o) => o.long);
  const p = new Command('wsman');
  for (const r of [conformance, identify, run, session]) r(p);

  it('the shared set has what PowerShell users expect', () => {
    for (const o of ['--connection-uri', '--credential', '--authentication', '--certificate-thumbprint', '--skip-ca-check', '--skip-cn-check', '--ca-file', '--server-thumbprint']) {
      expect(shared).toContain(o);
    }
  });

  for (const words of [['identify'], ['run'], ['conformance'], ['session', 'new'], ['session', 'list'], ['session', 'connect'], ['session', 'disconnect'], ['session', 'receive'], ['session', 'remove']]) {
    it(`wsman ${words.join(' ')} takes every one of them`, () => {
      const own = find(p, words).options.map((o) => o.long);
      expect(shared.filter((o) => !own.includes(o))).toEqual([]);
    });
  }
});
