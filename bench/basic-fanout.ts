/**
 * Issue 20's goal as a bench (part of bench/client.bench.ts, not a bench file itself): "200 ×
 * Basic within 1.2× of 200 × Negotiate", in listener CPU. 200 of our listeners on loopback in one
 * helper process (bench/client-listeners.ts, sharing one UserStore), one `true` on each through
 * invokeOnComputers (ThrottleLimit 32: a new connection, a logon and Create..Delete each), with
 * alice's password stored at the real scrypt cost (hashPassword's default, what `wsman user add`
 * writes, about 40 ms of CPU per check), not the cheap one the other fan-out rows use. Value: the
 * listener process's CPU during the Basic fan-out; baseline: the same with Negotiate (NTLM,
 * sealed). Two stores: the hash made in memory, and a users file written by addUserToFile and read
 * by loadUsersFile (one user). Each helper first runs a Negotiate fan-out on 64 of its listeners
 * (warming the listener code without touching Basic's verification cache), then Basic, then
 * Negotiate: Negotiate runs warmer, so the ratio errs against Basic. About 10-15 s in all.
 */
import { invokeOnComputers } from '../src/client/invoke.js';
import type { ClientOptions } from '../src/client/options.js';
import type { BenchResult } from './types.js';
import { startListeners, cpuOfPid } from './endpoints.js';

const ENDPOINTS = 200;
const THROTTLE = 32;
const WARM_ENDPOINTS = 64;
const CREDENTIAL = { username: 'alice', password: 'secret' };

function target(url: string, scheme: 'basic' | 'negotiate'): ClientOptions {
  return scheme === 'basic'
    ? { endpoint: { connectionUri: url }, credential: CREDENTIAL, authentication: 'basic', allowUnencrypted: true }
    : { endpoint: { connectionUri: url }, credential: CREDENTIAL, authentication: 'negotiate' };
}

/** One fan-out over `urls`: the listener process's CPU (ms) and the wall time; throws when any endpoint failed. */
async function fanOut(urls: readonly string[], scheme: 'basic' | 'negotiate', pid: number | undefined): Promise<{ cpuMs: number; wallMs: number }> {
  const l0 = cpuOfPid(pid);
  const t0 = performance.now();
  const results = await invokeOnComputers(urls.map((u) => target(u, scheme)), { command: 'true' }, { throttleLimit: THROTTLE });
  const wallMs = performance.now() - t0;
  const l1 = cpuOfPid(pid);
  const failed = results.filter((r) => r.error || r.exitCode !== 0);
  if (failed.length) throw new Error(`${scheme} fan-out: ${failed.length} endpoints failed: ${failed[0]?.error?.message ?? `exit ${failed[0]?.exitCode}`}`);
  if (l0 === undefined || l1 === undefined) throw new Error('no /proc: cannot read the listener process CPU');
  return { cpuMs: l1 - l0, wallMs };
}

/** The rows for one way of storing alice's hash (`default` or `users-file`, see client-listeners.ts). */
async function oneStore(hashKind: 'default' | 'users-file', label: string): Promise<BenchResult[]> {
  const listeners = await startListeners(ENDPOINTS, 0, 'client-listeners.ts', [hashKind]);
  if (!listeners) return [];
  try {
    await fanOut(listeners.urls.slice(0, WARM_ENDPOINTS), 'negotiate', listeners.pid);
    const basic = await fanOut(listeners.urls, 'basic', listeners.pid);
    const negotiate = await fanOut(listeners.urls, 'negotiate', listeners.pid);
    const name = `client: listener-process CPU, fan-out ${ENDPOINTS} endpoints (ThrottleLimit ${THROTTLE}, our listeners on loopback sharing one user store), Basic vs Negotiate, ${label}`;
    return [
      { name, unit: 'ms', value: basic.cpuMs, baseline: negotiate.cpuMs, ratio: basic.cpuMs / negotiate.cpuMs },
      { name: `${name}: wall time`, unit: 'ms', value: basic.wallMs, baseline: negotiate.wallMs, ratio: basic.wallMs / negotiate.wallMs },
    ];
  } finally {
    await listeners.stop();
  }
}

/** Issue 20's "200 × Basic within 1.2× of 200 × Negotiate" rows (listener CPU, and the wall times beside them). */
export async function basicVsNegotiate(): Promise<BenchResult[]> {
  return [
    ...await oneStore('default', 'scrypt at the default cost (wsman user add), target ≤ 1.2'),
    ...await oneStore('users-file', 'one user from a users file (wsman user add, --users-file), target ≤ 1.2'),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  for (const r of await basicVsNegotiate()) console.log(JSON.stringify(r));
  console.log(`took ${Math.round(performance.now() - t0)} ms`);
}
