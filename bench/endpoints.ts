/**
 * Endpoints for the benches, in a helper process so that their CPU stays off the bench's event
 * loop (as on a real network): our listeners (bench/client-listeners.ts) or simulated remote
 * computers (bench/remote-computers.ts). Not a bench itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** CPU time of a process in ms (Linux /proc), or undefined. */
export function cpuOfPid(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) * (1000 / 100);
  } catch {
    return undefined;
  }
}

export interface Listeners { urls: string[]; pid: number | undefined; stop: () => Promise<void> }

/**
 * Start `n` endpoints in a helper process, undefined when it cannot start: our listeners
 * (bench/client-listeners.ts, `delayMs` each way through a relay when given), or stand-ins for
 * remote computers that answer `delayMs` after each request (bench/remote-computers.ts);
 * `extra` is passed on to the helper after those two, `nodeFlags` to Node before the helper.
 */
export async function startListeners(n: number, delayMs = 0, helperFile = 'client-listeners.ts', extra: readonly string[] = [], nodeFlags: readonly string[] = []): Promise<Listeners | undefined> {
  const helper = path.join(path.dirname(fileURLToPath(import.meta.url)), helperFile);
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', helper, String(n), String(delayMs), ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const line = await new Promise<string | undefined>((resolve) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('exit', () => resolve(undefined));
  });
  if (line === undefined) {
    process.stderr.write(`bench: skipped, the listener is not usable (${err.trim().split('\n').slice(-3).join(' / ')})\n`);
    return undefined;
  }
  const urls = JSON.parse(line) as string[];
  return {
    urls,
    pid: child.pid,
    stop: () => new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}

/** Basic credentials of the bench listeners' user. */
export const BENCH_AUTH = 'Basic ' + Buffer.from('bench:bench').toString('base64');

/** One raw SOAP POST with the bench user's Basic credentials; the body comes back as latin1 text. */
export function postSoap(agent: Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': data.length, Authorization: BENCH_AUTH } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('latin1') }));
    });
    req.on('error', reject);
    req.end(data);
  });
}
