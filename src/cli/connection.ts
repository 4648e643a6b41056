/**
 * Connection options shared by the client commands (`run`, and later `session …`), named as
 * New-PSSession's parameters. The password comes from WSMAN_PASSWORD or a no-echo prompt on a
 * terminal, never from a flag.
 */
import { Option, type Command } from 'commander';
import { WsmanUsageError } from '../core/errors.js';
import type { ClientOptions, Endpoint } from '../client/options.js';
import { configurationUri } from '../client/shell.js';
import type { Credential } from '../transport/auth.js';
import { AUTHENTICATION_MECHANISMS, type AuthenticationMechanism } from '../auth/policy.js';
import { nodeFsPromises } from '../util/builtins.js';
import { homedir } from 'node:os';
import { findCertificateByThumbprint, defaultCertStoreDir, loadCertificateFile } from '../auth/certstore.js';

export interface ConnectionFlags {
  connectionUri?: string;
  computerName?: string;
  port?: string;
  useSsl?: boolean;
  applicationName?: string;
  credential?: string;
  authentication?: AuthenticationMechanism;
  certificateThumbprint?: string;
  certificate?: string;
  configurationName?: string;
  allowRedirection?: boolean;
  maximumRedirection?: string;
  skipCaCheck?: boolean;
  skipCnCheck?: boolean;
  caFile?: string;
  serverThumbprint?: string;
  operationTimeout?: string;
  throttleLimit?: string;
  noEncryption?: boolean;
  allowUnencrypted?: boolean;
  json?: boolean;
}


/** Add the connection options to a command. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--connection-uri <uri>', 'endpoint URI, e.g. https://host:5986/wsman (no port: 80/443)')
    .option('--computer-name <hosts>', 'computer name(s), comma-separated (HTTP 5985 / HTTPS 5986, /wsman)')
    .option('--port <n>', 'port (default 5985, or 5986 with --use-ssl)')
    .option('--use-ssl', 'use HTTPS')
    .option('--application-name <name>', 'application name (URL path), default wsman')
    .option('--credential <user>', 'user name (DOMAIN\\user, user@domain); password from WSMAN_PASSWORD or a prompt')
    .addOption(new Option('--authentication <mechanism>', 'authentication mechanism').choices([...AUTHENTICATION_MECHANISMS]).default('default'))
    .option('--certificate-thumbprint <hex>', 'client certificate by SHA-1 thumbprint, from WSMAN_CERT_STORE (PFX password: WSMAN_CERT_PASSWORD)')
    .option('--certificate <file>', 'client certificate file: PEM with its private key, or PFX (password: WSMAN_CERT_PASSWORD)')
    .option('--configuration-name <name>', 'session configuration (default: the cmd shell)')
    .option('--allow-redirection', 'follow a redirect of shell creation (with --connection-uri)')
    .option('--maximum-redirection <n>', 'most redirects to follow (default 5; negative: no limit)')
    .option('--skip-ca-check', 'do not check that the server certificate is issued by a trusted CA')
    .option('--skip-cn-check', 'do not check that the server certificate names the host')
    .option('--ca-file <file>', 'trust the CA certificate(s) in this PEM file')
    .option('--server-thumbprint <hex>', 'trust exactly the server certificate with this SHA-1 thumbprint')
    .option('--operation-timeout <sec>', 'operation timeout in seconds (default 180)')
    .option('--no-encryption', 'do not seal messages over HTTP (NoEncryption; over HTTP needs --allow-unencrypted)')
    .option('--allow-unencrypted', 'allow Basic (with --authentication basic) and unsealed traffic over plain HTTP (the client\'s AllowUnencrypted)')
    .option('--throttle-limit <n>', 'most computers at once (default 32)')
    .option('--json', 'print results as JSON');
}

function int(text: string | undefined, what: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new WsmanUsageError(`${what} must be an integer, not '${text}'`, 'ERR_BAD_OPTION');
  const n = Number(text);
  if (n < min) throw new WsmanUsageError(`${what} must be at least ${min}`, 'ERR_BAD_OPTION');
  return n;
}

/** Read a line from the terminal without echo. */
export async function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new WsmanUsageError('no password: set WSMAN_PASSWORD (no terminal to prompt on)', 'ERR_NO_PASSWORD');
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let text = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (buf: Buffer): void => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') { stdin.off('data', onData); resolve(text); return; }
          if (ch === '\u0003') { stdin.off('data', onData); reject(new WsmanUsageError('cancelled', 'ERR_CANCELLED')); return; }
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else text += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function credentialOf(user: string | undefined): Promise<Credential | undefined> {
  if (user === undefined) return undefined;
  const env = process.env.WSMAN_PASSWORD;
  const password = env ?? await promptPassword(`Password for ${user}: `);
  return { username: user, password };
}

/** One ClientOptions per computer (a single one for a connection URI). */
export async function clientOptionsFrom(flags: ConnectionFlags): Promise<{ targets: ClientOptions[]; resourceUri: string; throttleLimit: number }> {
  if (flags.connectionUri !== undefined && flags.computerName !== undefined) {
    throw new WsmanUsageError('give --connection-uri or --computer-name, not both', 'ERR_BAD_OPTION');
  }
  let endpoints: Endpoint[];
  if (flags.connectionUri !== undefined) {
    if (flags.port !== undefined || flags.useSsl || flags.applicationName !== undefined) {
      throw new WsmanUsageError('--port, --use-ssl and --application-name go with --computer-name; put them in the URI instead', 'ERR_BAD_OPTION');
    }
    endpoints = [{ connectionUri: flags.connectionUri }];
  } else if (flags.computerName !== undefined) {
    const port = int(flags.port, '--port', 1);
    const names = flags.computerName.split(',').map((s) => s.trim()).filter(Boolean);
    if (names.length === 0) throw new WsmanUsageError('--computer-name names no computer', 'ERR_BAD_OPTION');
    endpoints = names.map((computerName) => ({
      computerName,
      ...(port !== undefined ? { port } : {}),
      ...(flags.useSsl ? { useSsl: true } : {}),
      ...(flags.applicationName !== undefined ? { applicationName: flags.applicationName } : {}),
    }));
  } else {
    throw new WsmanUsageError('say where to connect: --connection-uri URI or --computer-name HOST', 'ERR_BAD_OPTION');
  }
  const credential = await credentialOf(flags.credential);
  let clientCertificate: ClientOptions['clientCertificate'];
  if (flags.certificateThumbprint !== undefined && flags.certificate !== undefined) {
    throw new WsmanUsageError('give --certificate-thumbprint or --certificate, not both', 'ERR_BAD_OPTION');
  }
  if (flags.certificate !== undefined) {
    const pw = process.env.WSMAN_CERT_PASSWORD;
    let data: Uint8Array;
    try {
      data = await nodeFsPromises().readFile(flags.certificate);
    } catch (e) {
      throw new WsmanUsageError(`cannot read --certificate ${flags.certificate}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 'ERR_CERT_NOT_FOUND');
    }
    const found = loadCertificateFile(flags.certificate, data, pw !== undefined ? { password: pw } : {});
    clientCertificate = { certPem: found.certPem + found.chainPem.join(''), keyPem: found.keyPem };
  }
  if (flags.certificateThumbprint !== undefined) {
    const pw = process.env.WSMAN_CERT_PASSWORD;
    const found = await findCertificateByThumbprint(flags.certificateThumbprint, defaultCertStoreDir(process.env, homedir()),
      { readdir: nodeFsPromises().readdir, readFile: nodeFsPromises().readFile }, pw !== undefined ? { password: pw } : {});
    clientCertificate = { certPem: found.certPem + found.chainPem.join(''), keyPem: found.keyPem };
  }
  const opTimeout = int(flags.operationTimeout, '--operation-timeout', 1);
  const maxRedir = int(flags.maximumRedirection, '--maximum-redirection', Number.MIN_SAFE_INTEGER);
  const base: Omit<ClientOptions, 'endpoint'> = {
    ...(credential ? { credential } : {}),
    ...(flags.authentication !== undefined ? { authentication: flags.authentication } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
    ...(flags.allowRedirection ? { allowRedirection: true } : {}),
    ...(maxRedir !== undefined ? { maximumRedirection: maxRedir } : {}),
    ...(flags.skipCaCheck ? { skipCACheck: true } : {}),
    ...(flags.skipCnCheck ? { skipCNCheck: true } : {}),
    ...(flags.caFile !== undefined ? { caFile: flags.caFile } : {}),
    ...(flags.serverThumbprint !== undefined ? { serverThumbprint: flags.serverThumbprint } : {}),
    ...(opTimeout !== undefined ? { operationTimeout: opTimeout * 1000 } : {}),
    // commander turns --no-encryption into encryption=false
    ...((flags as { encryption?: boolean }).encryption === false ? { noEncryption: true } : {}),
    ...(flags.allowUnencrypted ? { allowUnencrypted: true } : {}),
  };
  return {
    targets: endpoints.map((endpoint) => ({ ...base, endpoint })),
    resourceUri: configurationUri(flags.configurationName),
    throttleLimit: int(flags.throttleLimit, '--throttle-limit', 1) ?? 32,
  };
}
