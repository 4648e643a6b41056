/** `wsman listen`: run the WinRM-compatible listener (what `winrm quickconfig` + the WinRM service do). */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { WsmanListener, defaultStateDir, defaultAuthenticators } from '../server/listener.js';
import { kerberosAuthenticator } from '../server/auth.js';
import { loadKerberos } from '../auth/kerberos.js';
import { UserStore, hashPassword, loadUsersFile } from '../server/users.js';
import { defaultConfig, loadConfigFile } from '../server/config.js';
import { findPwsh, withPowerShell, powerShellConfigurations } from '../server/pwsh-find.js';
import { createLogger, parseLogLevel } from '../server/log.js';
import { fileCertificate, pfxCertificate, type TlsMaterial } from '../server/tls.js';
import { ntHash } from '../auth/ntlm/compute.js';
import { parseCertMapping, type CertMapping } from '../server/certauth.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${v}`);
  return n;
}

/** Negotiate, Kerberos, Basic (Windows' order); fails now, clearly, without the native package. */
async function withKerberos(users: UserStore) {
  await loadKerberos();
  const list = defaultAuthenticators(users);
  const at = list.findIndex((a) => a.scheme === 'Negotiate') + 1;
  list.splice(at, 0, kerberosAuthenticator(users));
  return list;
}

/** The environment variable that holds the password of a `--user NAME` given without one. */
export const PASSWORD_ENV = 'WSMAN_LISTEN_PASSWORD';

/** The first line of stdin (without its line end), or everything up to its end. */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const c of process.stdin) {
    text += (c as Buffer).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) {
      process.stdin.pause();
      return text.slice(0, nl).replace(/\r$/, '');
    }
  }
  return text.replace(/\r$/, '');
}

/**
 * The users of `--user` with their passwords: NAME:PASSWORD (with a warning on stderr: the
 * password is in the process list), or NAME alone with the password from $WSMAN_LISTEN_PASSWORD
 * (then removed from the listener's environment, so that no command inherits it) or stdin.
 */
async function userPasswords(specs: string[], fromStdin: boolean): Promise<{ name: string; password: string }[]> {
  const out: { name: string; password: string }[] = [];
  const bare = specs.filter((s) => !s.includes(':'));
  if (bare.length > 1) throw new Error(`only one --user may be given without a password (${PASSWORD_ENV} or stdin holds one); use --users-file for more`);
  for (const spec of specs) {
    const i = spec.indexOf(':');
    if (i === 0 || spec === '') throw new Error('--user expects NAME or NAME:PASSWORD');
    if (i > 0) {
      process.stderr.write(`warning: --user ${spec.slice(0, i)}:PASSWORD puts the password in the command line, which every local account can read (ps); use --users-file, or --user NAME with the password in ${PASSWORD_ENV} or --password-stdin\n`);
      out.push({ name: spec.slice(0, i), password: spec.slice(i + 1) });
      continue;
    }
    let password = process.env[PASSWORD_ENV];
    delete process.env[PASSWORD_ENV];
    if (!password && fromStdin) password = await firstLineOfStdin();
    if (!password) throw new Error(`--user ${spec} has no password: set ${PASSWORD_ENV} or give --password-stdin (or use --users-file)`);
    out.push({ name: spec, password });
  }
  delete process.env[PASSWORD_ENV];
  return out;
}

/** The parent of `pid`, from /proc (Linux); undefined where it cannot be read. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Under `npx wsman listen &`, `$!` is npm's process, with a shell (and maybe a wrapper) between it
 * and us: killing it leaves this one running. When npm started us (npm_command is set), stop once
 * npm, or anything between it and us, is gone. Not otherwise: a listener started with nohup or
 * setsid must outlive the shell that started it.
 */
function stopWithNpm(stop: () => void): void {
  if (process.env.npm_command === undefined) return;
  const chain: number[] = [process.ppid];
  for (let pid = parentOf(process.ppid); pid !== undefined && chain.length < 6; pid = parentOf(pid)) {
    chain.push(pid);
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      break;
    }
    if (/\bnpm|npx/.test(cmdline)) break;
  }
  const timer = setInterval(() => {
    if (process.ppid !== chain[0] || !chain.every(alive)) {
      clearInterval(timer);
      stop();
    }
  }, 500);
  timer.unref();
}

export function register(program: Command): void {
  program.command('listen')
    .description('run a WinRM-compatible listener whose shells run local processes')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'HTTP port (0 picks a free one)', port, 5985)
    .option('--https-port <n>', 'HTTPS port (0 picks a free one)', port, 5986)
    .option('--no-http', 'do not serve HTTP')
    .option('--no-https', 'do not serve HTTPS')
    .option('--user <name[:password]>', `a user allowed to log on with Basic or Negotiate/NTLM (repeatable); NAME alone takes the password from $${PASSWORD_ENV} or --password-stdin (NAME:PASSWORD is visible to local accounts in ps: quick tries only)`, collect, [])
    .option('--password-stdin', 'read the password of the one `--user NAME` given without a password from the first line of stdin')
    .option('--users-file <file>', 'users file with scrypt hashes (see `wsman user add`)')
    .option('--run-as <name=account>', 'run this user\'s processes as a local account (repeatable; needs root)', collect, [])
    .option('--map-cert <thumbprint=user>', 'certificate authentication on HTTPS: map the client certificate with this SHA-1 thumbprint to a user (repeatable)', collect, [])
    .option('--map-cert-issuer <issuer[:subject]=user>', 'map client certificates issued by the CA with this thumbprint whose UPN matches SUBJECT (default USER@*) to a user (repeatable)', collect, [])
    .option('--kerberos', 'also offer the Kerberos scheme (optional `kerberos` package; service key HTTP/<host> from the keytab in KRB5_KTNAME); principals map to users by name')
    .option('--allow-unencrypted', 'accept unsealed traffic over plain HTTP (AllowUnencrypted=true)')
    .option('--tls-cert <file>', 'PEM certificate for HTTPS')
    .option('--tls-key <file>', 'PEM private key for HTTPS')
    .option('--tls-pfx <file>', 'PKCS#12 file for HTTPS')
    .option('--tls-pfx-password-env <var>', 'environment variable holding the PFX password')
    .option('--redirect <url>', 'answer shell Create with HTTP 302 to this URL')
    .option('--config <file>', 'JSON configuration (limits and session configurations)')
    .option('--pwsh <path>', 'PowerShell 7 executable serving Microsoft.PowerShell (default: pwsh on PATH, then /opt/powershell/pwsh, then ~/.dotnet/tools/pwsh)')
    .option('--state-dir <dir>', 'where the self-signed certificate is kept', defaultStateDir())
    .option('--application-name <name>', 'URL path of the endpoint, as the client\'s --application-name (default wsman)')
    .addOption(new Option('--app-name <name>', 'old name of --application-name').hideHelp())
    .option('--client-keepalive <sec>', 'seconds of client silence after which a connected shell becomes Disconnected (default 120; 0 never)')
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info')
    .action(async (o: Record<string, unknown>) => {
      const log = createLogger(parseLogLevel(String(o.logLevel)));
      if (o.http === false && o.https === false) throw new Error('--no-http and --no-https leave nothing to listen on');
      const users = new UserStore();
      if (o.usersFile) loadUsersFile(String(o.usersFile), users);
      const hiddenEnv: string[] = [PASSWORD_ENV];
      for (const { name, password } of await userPasswords(o.user as string[], o.passwordStdin === true)) {
        users.add({ name, hash: await hashPassword(password, 1024), ntHash: ntHash(password) });
      }
      const certMappings: CertMapping[] = [
        ...(o.mapCert as string[]).map((m) => parseCertMapping(m, 'thumbprint')),
        ...(o.mapCertIssuer as string[]).map((m) => parseCertMapping(m, 'issuer')),
      ];
      // A user known only through a certificate mapping has no password (no Basic or Negotiate logon).
      for (const m of certMappings) if (!users.get(m.user)) users.add({ name: m.user, hash: '!certificate-only' });
      if (certMappings.length && o.https === false) throw new Error('--map-cert needs the HTTPS endpoint (certificate authentication is HTTPS only)');
      for (const spec of o.runAs as string[]) {
        const i = spec.indexOf('=');
        if (i <= 0) throw new Error('--run-as expects NAME=ACCOUNT');
        users.setRunAs(spec.slice(0, i), spec.slice(i + 1));
      }
      if (users.size === 0) log.log('warn', 'no users: only unauthenticated Identify will be answered (add --user or --users-file)');
      const config = o.config ? loadConfigFile(String(o.config)) : defaultConfig();
      if (o.clientKeepalive !== undefined) {
        const keepAlive = Number(o.clientKeepalive);
        if (!Number.isFinite(keepAlive) || keepAlive < 0) throw new Error('--client-keepalive expects seconds');
        config.clientKeepAliveMs = keepAlive * 1000;
      }
      const pwsh = findPwsh(o.pwsh === undefined ? undefined : String(o.pwsh));
      if (o.pwsh !== undefined && !pwsh) throw new Error(`--pwsh ${String(o.pwsh)}: not an executable file`);
      if (pwsh) withPowerShell(config, pwsh);
      let tls: TlsMaterial | undefined;
      if (o.tlsPfx) {
        const v = o.tlsPfxPasswordEnv ? String(o.tlsPfxPasswordEnv) : undefined;
        if (v) hiddenEnv.push(v);
        tls = pfxCertificate(String(o.tlsPfx), v ? process.env[v] : undefined);
      } else if (o.tlsCert || o.tlsKey) {
        if (!o.tlsCert || !o.tlsKey) throw new Error('--tls-cert and --tls-key go together');
        tls = fileCertificate(String(o.tlsCert), String(o.tlsKey));
      }
      const listener = new WsmanListener({
        users, config, logger: log, host: String(o.host), appName: String(o.applicationName ?? o.appName ?? 'wsman'),
        httpPort: o.http === false ? null : (o.port as number),
        httpsPort: o.https === false ? null : (o.httpsPort as number),
        allowUnencrypted: o.allowUnencrypted === true,
        ...(o.redirect ? { redirect: String(o.redirect) } : {}),
        ...(tls ? { tls } : {}),
        ...(certMappings.length ? { certMappings } : {}),
        ...(o.kerberos ? { authenticators: await withKerberos(users) } : {}),
        stateDir: String(o.stateDir),
        hiddenEnv,
      });
      const endpoints = await listener.start();
      for (const e of endpoints) process.stdout.write(`listening on ${e.url}${e.thumbprint ? ` thumbprint ${e.thumbprint}` : ''}\n`);
      const ps = powerShellConfigurations(config);
      process.stdout.write(ps.length
        ? ps.map((c) => `PowerShell configuration ${c.name} (${c.resourceUri}) served by ${c.pwsh!.path}\n`).join('')
        : 'no pwsh found; install PowerShell 7 or pass --pwsh\n');
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        log.log('info', `${sig}: stopping, killing shell processes`);
        void listener.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      stopWithNpm(() => stop('npm exited'));
    });
}
