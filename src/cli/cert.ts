/**
 * `wsman cert new --client --upn USER@HOST --out DIR` and `wsman cert thumbprint FILE`
 * (New-SelfSignedCertificate for WinRM client certificates, and a certificate's Thumbprint).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { generateClientCertificate, certificateThumbprint, loadPfxCertificate } from '../auth/index.js';

export function register(program: Command): void {
  const cert = program.command('cert').description('client certificates for certificate authentication');
  cert
    .command('new')
    .description('create a client certificate and key (PEM) and print its SHA-1 thumbprint')
    .requiredOption('--upn <user@host>', 'the user principal name the certificate maps to')
    .option('--client', 'a client-authentication certificate (the only kind for now)', true)
    .option('--days <n>', 'validity in days', '365')
    .option('--out <dir>', 'directory to write <thumbprint>.pem (certificate and key) into', '.')
    .action(async (opts: { upn: string; days: string; out: string }) => {
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days <= 0) throw new Error('--days must be a positive whole number');
      const g = generateClientCertificate({ upn: opts.upn, days });
      await mkdir(opts.out, { recursive: true });
      const file = path.join(opts.out, `${g.thumbprint}.pem`);
      // Certificate and key in one owner-only file, which is what the store lookup by thumbprint reads.
      await writeFile(file, `${g.certPem}${g.keyPem}`, { mode: 0o600 });
      process.stdout.write(`${g.thumbprint}\n`);
      process.stderr.write(`wrote ${file}; map it on the listener with --map-cert ${g.thumbprint}=USER\n`);
    });
  cert
    .command('thumbprint')
    .description('print the SHA-1 thumbprint of a certificate file (PEM, DER or PFX; PFX password from WSMAN_CERT_PASSWORD, as the client commands)')
    .argument('<file>')
    .action(async (file: string) => {
      const bytes = await readFile(file);
      const text = bytes.toString('latin1');
      const thumbprint = text.includes('-----BEGIN') || bytes[0] === 0x30 && !/\.(pfx|p12)$/i.test(file)
        ? certificateThumbprint(text.includes('-----BEGIN') ? text : bytes)
        : loadPfxCertificate(bytes, process.env.WSMAN_CERT_PASSWORD ?? '', file).thumbprint;
      process.stdout.write(`${thumbprint}\n`);
    });
}
