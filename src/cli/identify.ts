/**
 * `wsman identify URI [--unauthenticated]`: Test-WSMan. Prints the vendor, product version,
 * protocol version and (when authenticated) the security profiles.
 */
import { Option, type Command } from 'commander';
import { WsmanClient } from '../client/client.js';
import type { Endpoint } from '../client/options.js';
import { AUTHENTICATION_MECHANISMS, type AuthenticationMechanism } from '../auth/policy.js';
import { promptPassword } from './connection.js';
import { describeError, EXIT_ERROR } from './run.js';

interface IdentifyFlags {
  unauthenticated?: boolean;
  credential?: string;
  authentication?: AuthenticationMechanism;
  allowUnencrypted?: boolean;
  skipCaCheck?: boolean;
  skipCnCheck?: boolean;
  caFile?: string;
  serverThumbprint?: string;
  json?: boolean;
}

/** A URI, or a bare host name (HTTP 5985, as Test-WSMan -ComputerName). */
function endpointOf(target: string): Endpoint {
  return /^https?:\/\//i.test(target) ? { connectionUri: target } : { computerName: target };
}

export function register(program: Command): void {
  program
    .command('identify')
    .description('identify a WS-Management endpoint (Test-WSMan)')
    .argument('<uri>', 'endpoint URI (http://host:5985/wsman) or host name')
    .option('--unauthenticated', 'send an unauthenticated Identify (the default without --credential)')
    .option('--credential <user>', 'authenticate as this user (password from WSMAN_PASSWORD or a prompt)')
    .addOption(new Option('--authentication <mechanism>', 'authentication mechanism')
      .choices(AUTHENTICATION_MECHANISMS.filter((m) => m !== 'certificate')).default('default'))
    .option('--allow-unencrypted', 'allow Basic (with --authentication basic) over plain HTTP (the client\'s AllowUnencrypted)')
    .option('--skip-ca-check', 'do not check the certificate issuer')
    .option('--skip-cn-check', 'do not check the certificate name')
    .option('--ca-file <file>', 'trust the CA certificate(s) in this PEM file')
    .option('--server-thumbprint <hex>', 'trust exactly the server certificate with this SHA-1 thumbprint')
    .option('--json', 'print JSON')
    .action(async (target: string, flags: IdentifyFlags) => {
      let client: WsmanClient | undefined;
      try {
        const unauthenticated = flags.unauthenticated === true || flags.credential === undefined;
        const password = unauthenticated ? undefined : process.env.WSMAN_PASSWORD ?? await promptPassword(`Password for ${flags.credential}: `);
        client = new WsmanClient({
          endpoint: endpointOf(target),
          ...(!unauthenticated && flags.credential !== undefined && password !== undefined ? { credential: { username: flags.credential, password } } : {}),
          ...(flags.authentication !== undefined ? { authentication: flags.authentication } : {}),
          ...(flags.allowUnencrypted ? { allowUnencrypted: true } : {}),
          ...(flags.skipCaCheck ? { skipCACheck: true } : {}),
          ...(flags.skipCnCheck ? { skipCNCheck: true } : {}),
          ...(flags.caFile !== undefined ? { caFile: flags.caFile } : {}),
          ...(flags.serverThumbprint !== undefined ? { serverThumbprint: flags.serverThumbprint } : {}),
          operationTimeout: 30_000,
        });
        const id = await client.identify({ unauthenticated });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({
            ProtocolVersion: id.protocolVersion, ProductVendor: id.productVendor, ProductVersion: id.productVersion,
            ...(id.securityProfiles ? { SecurityProfiles: id.securityProfiles } : {}),
          })}\n`);
        } else {
          const lines = [
            `ProtocolVersion  : ${id.protocolVersion}`,
            `ProductVendor    : ${id.productVendor}`,
            `ProductVersion   : ${id.productVersion}`,
            ...(id.securityProfiles ? [`SecurityProfiles : ${id.securityProfiles.join(', ')}`] : []),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } catch (err) {
        process.stderr.write(`wsman identify: ${describeError(err)}\n`);
        process.exitCode = EXIT_ERROR;
      } finally {
        await client?.close();
      }
    });
}
