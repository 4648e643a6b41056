/**
 * node-forge, loaded on first use. Only certificate work needs it (PFX files, generated
 * certificates), and loading it costs every start-up of the command line about 30 ms.
 */
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

let loaded: typeof Forge | undefined;

/** The node-forge module (loaded now if it was not yet). */
export function nodeForge(): typeof Forge {
  loaded ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return loaded;
}
