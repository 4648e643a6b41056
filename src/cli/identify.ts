/**
 * `wsman identify URI [--unauthenticated]`: Test-WSMan. Prints the vendor, product version,
 * protocol version and (when authenticated) the security profiles.
 */
import type { Command } from 'commander';
import { WsmanClient } from '../client/client.js';
import { WsmanUsageError } from '../core/errors.js';
import { addConnectionOptions, clientOptionsFrom, type ConnectionFlags } from './connection.js';
import { describeError, EXIT_ERROR } from './errors.js';

interface IdentifyFlags extends ConnectionFlags {
  unauthenticated?: boolean;
}

export function register(program: Command): void {
  addConnectionOptions(program
    .command('identify')
    .description('identify a WS-Management endpoint (Test-WSMan)')
    .argument('[target]', 'endpoint URI (http://host:5985/wsman) or host name (or --connection-uri / --computer-name)'))
    .option('--unauthenticated', 'send an unauthenticated Identify (the default without --credential or a certificate)')
    .action(async (target: string | undefined, flags: IdentifyFlags) => {
      let client: WsmanClient | undefined;
      try {
        if (target !== undefined && (flags.connectionUri !== undefined || flags.computerName !== undefined)) {
          throw new WsmanUsageError('give the endpoint once: as TARGET, --connection-uri or --computer-name', 'ERR_BAD_OPTION');
        }
        // A bare host name is Test-WSMan -ComputerName: HTTP 5985.
        const where = target === undefined ? {} : /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? { connectionUri: target } : { computerName: target };
        const unauthenticated = flags.unauthenticated === true || (flags.credential === undefined && flags.certificateThumbprint === undefined && flags.certificate === undefined);
        const { targets } = await clientOptionsFrom({ ...flags, ...where, ...(unauthenticated ? { credential: undefined } : {}) });
        if (targets.length !== 1) throw new WsmanUsageError('identify one endpoint at a time', 'ERR_BAD_OPTION');
        client = new WsmanClient({ operationTimeout: 30_000, ...targets[0]! });
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
