#!/usr/bin/env node
/** The `wsman` command line: thin wiring, one file per command, no protocol logic. */
import { Command } from 'commander';
import { register as registerDecode } from './decode.js';
import { register as registerConformance } from './conformance.js';
import { register as registerCert } from './cert.js';
import { register as registerIdentify } from './identify.js';
import { register as registerRun } from './run.js';
import { register as registerListen } from './listen.js';
import { register as registerUser } from './user.js';
import { register as registerSession } from './session.js';
import { register as registerDemo } from './demo.js';

const program = new Command();
program.name('wsman').description('WS-Management (WinRM) client, listener and tools').version('0.1.0');
registerDecode(program);
registerConformance(program);
registerCert(program);
registerIdentify(program);
registerRun(program);
registerListen(program);
registerUser(program);
registerSession(program);
registerDemo(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`wsman: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
