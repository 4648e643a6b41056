/**
 * The command line the tests run: the bundle the package installs as its bin (dist/cli/wsman.cjs),
 * built once per test run from the sources by test/global-setup.ts. Started as `node CLI ARGS`:
 * about a third of a second on this machine where `node --import tsx src/cli/main.ts` took a second
 * (tsx compiling some 150 files in every process).
 */
import path from 'node:path';

/** The package's root directory. */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The bundled CLI; run it as `spawn(process.execPath, [CLI, ...args])`. */
export const CLI = path.join(ROOT, 'dist', 'cli', 'wsman.cjs');
