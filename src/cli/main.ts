#!/usr/bin/env node
/**
 * The `wsman` command line: thin wiring, one file per command, no protocol logic.
 *
 * Start-up is part of every `wsman run`, so only the command asked for is loaded (all of them
 * for `wsman --help` and anything unknown), and WebAssembly stays on V8's baseline compiler
 * (`keepWasmBaseline`).
 */
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

/** Each command's module, loaded on demand. */
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  decode: () => import('./decode.js'),
  conformance: () => import('./conformance.js'),
  cert: () => import('./cert.js'),
  identify: () => import('./identify.js'),
  run: () => import('./run.js'),
  listen: () => import('./listen.js'),
  user: () => import('./user.js'),
  session: () => import('./session.js'),
  demo: () => import('./demo.js'),
  // winrm.cmd's resource commands, one module for the six.
  get: () => import('./resource.js'),
  set: () => import('./resource.js'),
  create: () => import('./resource.js'),
  delete: () => import('./resource.js'),
  enumerate: () => import('./resource.js'),
  'invoke-method': () => import('./resource.js'),
  invoke: () => import('./invoke.js'),
};

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. After a few answers V8 starts optimising
 * the parser in the background, and Node waits for that compilation before the process can exit:
 * 0.2 to 0.3 s of every `wsman run` on a small VM (bench/cli.bench.ts), for code a short command
 * never gets to use. The baseline code is fast enough for WS-Man's few messages. Node 20 and 22
 * honour `--liftoff-only` set at run time; Node 24 ignores it there but honours a tiering budget
 * too large to be reached. The conformance runner is left alone: it validates envelopes with
 * xmllint compiled to WebAssembly, where optimised code pays off. The bin (scripts/cli-launcher.cjs)
 * sets the same flags before it compiles the bundle, so that V8 accepts its code cache.
 */
function keepWasmBaseline(command: string | undefined): void {
  if (command === 'conformance') return;
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--wasm-tiering-budget=2000000000');
}

/** The command named on the command line (`wsman NAME ...`); undefined when an option comes first. */
function commandOf(argv: readonly string[]): string | undefined {
  const first = argv[2];
  return first !== undefined && !first.startsWith('-') ? first : undefined;
}

async function main(): Promise<void> {
  const name = commandOf(process.argv);
  keepWasmBaseline(name);
  const program = new Command();
  program.name('wsman').description('WS-Management (WinRM) client, listener and tools').version('0.1.0');
  // Usage errors (an unknown option, a missing argument) are our own errors: exit 255, as the rest
  // of them, so that `wsman run` never exits with a status a remote command could have given.
  program.exitOverride();
  const load = name !== undefined ? COMMANDS[name] : undefined;
  const versionOnly = process.argv[2] === '-V' || process.argv[2] === '--version';
  // A module that registers several commands is loaded once and registered once.
  const modules = versionOnly ? [] : [...new Set(await Promise.all(load ? [load()] : Object.values(COMMANDS).map((l) => l())))];
  for (const m of modules) m.register(program);
  await program.parseAsync(process.argv);
}

/** Help and --version end with commander's own status; other usage errors (already printed) with 255. */
const SHOWN = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

main().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = SHOWN.has(err.code) ? err.exitCode : 255;
    return;
  }
  process.stderr.write(`wsman: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
