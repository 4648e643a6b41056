/** `wsman user add`: write a listener user with an scrypt-hashed password to a users file. */
import type { Command } from 'commander';
import { addUserToFile } from '../server/users.js';
import { ntHash } from '../auth/ntlm/compute.js';

async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  const user = program.command('user').description('manage the listener\'s users file');
  user.command('add')
    .description('add or replace a user in a users file (the password is stored as an scrypt hash, plus its NT hash for Negotiate/NTLM)')
    .argument('<name>', 'user name')
    .requiredOption('--users-file <file>', 'users file to write (created with mode 0600; an existing file is set to 0600)')
    .option('--password-env <var>', 'read the password from this environment variable (default: stdin)')
    .option('--run-as <account>', 'local account this user\'s processes run as')
    .option('--no-ntlm', 'do not store the NT hash (a password equivalent that lets the user log on with Negotiate/NTLM): Basic only')
    .action(async (name: string, o: { usersFile: string; passwordEnv?: string; runAs?: string; ntlm?: boolean }) => {
      const password = o.passwordEnv ? process.env[o.passwordEnv] : await readPasswordFromStdin();
      if (!password) throw new Error(o.passwordEnv ? `environment variable ${o.passwordEnv} is empty` : 'no password on stdin');
      await addUserToFile(o.usersFile, name, password, o.runAs, o.ntlm !== false ? Buffer.from(ntHash(password)).toString('hex') : undefined);
      process.stdout.write(`user ${name} written to ${o.usersFile}\n`);
    });
}
