/**
 * The README shows every command with an example, and its examples use only options the commands
 * have: every `wsman …` line of its ```sh blocks is checked against the command line as built
 * (the same `register` functions the CLI loads), so a renamed option or a new command without an
 * example fails here.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { register as decode } from '../../src/cli/decode.js';
import { register as conformance } from '../../src/cli/conformance.js';
import { register as cert } from '../../src/cli/cert.js';
import { register as identify } from '../../src/cli/identify.js';
import { register as run } from '../../src/cli/run.js';
import { register as listen } from '../../src/cli/listen.js';
import { register as user } from '../../src/cli/user.js';
import { register as session } from '../../src/cli/session.js';
import { register as demo } from '../../src/cli/demo.js';
import { register as resource } from '../../src/cli/resource.js';
import { register as invoke } from '../../src/cli/invoke.js';

const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

function program(): Command {
  const p = new Command('wsman');
  for (const r of [decode, conformance, cert, identify, run, listen, user, session, demo, resource, invoke]) r(p);
  return p;
}

/** Every runnable command, by its words after `wsman` (`run`, `session new`…). */
function leaves(cmd: Command, prefix: string[] = []): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const c of cmd.commands) {
    const words = [...prefix, c.name()];
    if (c.commands.length) for (const [k, v] of leaves(c, words)) out.set(k, v);
    else out.set(words.join(' '), c);
  }
  return out;
}

/** The `wsman …` command lines of the README's sh blocks, continuation lines joined. */
function examples(): string[] {
  const blocks = [...README.matchAll(/```sh\n([^]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' '));
  return blocks.flatMap((b) => b.split('\n')).flatMap((line) => {
    if (line.trim().startsWith('#')) return [];
    const code = line.replace(/\s#.*$/, '');
    return [...code.matchAll(/(?<=^|[\s(])wsman\s+(.*?)(?=$|[|;&)]\s|&$|\)$)/g)].map((m) => m[1]!.trim());
  });
}

/** Split an example into the command's words and its option names (up to a `--` separator). */
function parse(example: string, known: Map<string, Command>): { name: string; options: string[] } | undefined {
  const tokens = example.split(/\s+/);
  for (let n = Math.min(2, tokens.length); n > 0; n--) {
    const name = tokens.slice(0, n).join(' ');
    if (!known.has(name)) continue;
    const rest = tokens.slice(n);
    const end = rest.indexOf('--');
    const options = (end < 0 ? rest : rest.slice(0, end)).filter((t) => /^--?[a-zA-Z]/.test(t)).map((t) => t.replace(/=.*$/, ''));
    return { name, options };
  }
  return undefined;
}

describe('README examples', () => {
  const commands = leaves(program());
  const found = examples();

  it('the README has sh examples to check', () => {
    expect(found.length).toBeGreaterThan(20);
  });

  it('show every command', () => {
    const shown = new Set(found.map((e) => parse(e, commands)?.name).filter((n): n is string => n !== undefined));
    const missing = [...commands.keys()].filter((name) => !shown.has(name));
    expect(missing).toEqual([]);
  });

  it('name only commands and options that exist', () => {
    const problems: string[] = [];
    for (const e of found) {
      const p = parse(e, commands);
      if (!p) {
        problems.push(`unknown command: wsman ${e}`);
        continue;
      }
      const cmd = commands.get(p.name)!;
      const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short, o.negate ? o.long : undefined]).filter((f): f is string => !!f));
      flags.add('--help').add('-h');
      for (const o of p.options) if (!flags.has(o)) problems.push(`wsman ${p.name}: no option ${o} (in: wsman ${e})`);
    }
    expect(problems).toEqual([]);
  });
});
