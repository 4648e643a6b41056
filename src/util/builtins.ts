/**
 * Node's own modules that only some paths need, loaded on first use. Each one a module imports
 * at its top is compiled at every start of the command line, whether the command uses it or not:
 * tls for an HTTP endpoint, child_process for a WinRM shell, fs/promises (which brings readline
 * and the file watchers) when no certificate file is read (bench/cli.bench.ts).
 */
import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';
import type * as ChildProcess from 'node:child_process';
import type * as FsPromises from 'node:fs/promises';

const load = createRequire(import.meta.url);
let tls: typeof Tls | undefined;
let childProcess: typeof ChildProcess | undefined;
let fsPromises: typeof FsPromises | undefined;

/** node:tls. */
export function nodeTls(): typeof Tls {
  return (tls ??= load('node:tls') as typeof Tls);
}

/** node:child_process. */
export function nodeChildProcess(): typeof ChildProcess {
  return (childProcess ??= load('node:child_process') as typeof ChildProcess);
}

/** node:fs/promises. */
export function nodeFsPromises(): typeof FsPromises {
  return (fsPromises ??= load('node:fs/promises') as typeof FsPromises);
}
