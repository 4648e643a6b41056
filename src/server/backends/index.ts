/** The backend serving a session configuration (config.ts `backend`, default `cmd`). */
import type { SessionConfiguration } from '../config.js';
import type { ShellBackend } from './backend.js';
import { cmdBackend } from './cmd.js';
import { pwshBackend } from './pwsh.js';

export type { ShellBackend, BackendKind } from './backend.js';

export function backendFor(config: SessionConfiguration): ShellBackend {
  return config.backend === 'pwsh' ? pwshBackend : cmdBackend;
}
