/**
 * The parts of undici the transport uses, loaded from their own files. undici's main module also
 * loads fetch, WebSocket, EventSource, the cache and the mocks: about 100 ms more of every
 * `wsman run` on a small VM (bench/cli.bench.ts). undici has no `exports` map, so its files can be
 * required directly. Its main module also mixes the request API (`request`, `stream`…) into
 * Dispatcher.prototype; that is done here the same way. Should a release move or reshape any of
 * these files, everything is taken from the main module instead (test/client/undici.test.ts
 * checks both ways).
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/** What the transport takes from undici. */
export interface UndiciParts {
  Client: typeof Undici.Client;
  ProxyAgent: typeof Undici.ProxyAgent;
  buildConnector: typeof Undici.buildConnector;
  errors: typeof Undici.errors;
}

type Load = (id: string) => unknown;

function fromFiles(load: Load): UndiciParts | undefined {
  try {
    const file = (f: string): unknown => load(`undici/lib/${f}`);
    const parts = {
      Client: file('dispatcher/client.js'),
      ProxyAgent: file('dispatcher/proxy-agent.js'),
      buildConnector: file('core/connect.js'),
      errors: file('core/errors.js'),
    } as UndiciParts;
    const dispatcher = file('dispatcher/dispatcher.js');
    const api = file('api/index.js') as Record<string, unknown> | undefined;
    if (typeof parts.Client !== 'function' || typeof parts.ProxyAgent !== 'function' || typeof parts.buildConnector !== 'function') return undefined;
    if (typeof parts.errors?.ClientDestroyedError !== 'function' || typeof dispatcher !== 'function' || typeof api?.request !== 'function') return undefined;
    const Dispatcher = dispatcher as typeof Undici.Dispatcher;
    const proto = Dispatcher.prototype as unknown as Record<string, unknown>;
    if (typeof proto.request !== 'function') Object.assign(proto, api);
    if (!(parts.Client.prototype instanceof Dispatcher) || typeof parts.Client.prototype.request !== 'function') return undefined;
    return parts;
  } catch {
    return undefined;
  }
}

/**
 * The loader in the bundled command line (scripts/build-cli.mjs), undefined elsewhere: there
 * `require` exists, and these literal calls are what puts undici's files into the bundle (a
 * third of `wsman run`'s start-up was resolving and reading them one by one). In plain ESM
 * (dist/, tsx) `require` does not exist and createRequire loads the same files from disk.
 */
function bundledLoad(): Load | undefined {
  if (typeof require !== 'function') return undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const files: Record<string, () => unknown> = {
    'undici/lib/dispatcher/client.js': () => require('undici/lib/dispatcher/client.js'),
    'undici/lib/dispatcher/proxy-agent.js': () => require('undici/lib/dispatcher/proxy-agent.js'),
    'undici/lib/core/connect.js': () => require('undici/lib/core/connect.js'),
    'undici/lib/core/errors.js': () => require('undici/lib/core/errors.js'),
    'undici/lib/dispatcher/dispatcher.js': () => require('undici/lib/dispatcher/dispatcher.js'),
    'undici/lib/api/index.js': () => require('undici/lib/api/index.js'),
  };
  return (id) => (files[id] ?? (() => require(id)))();
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** undici's parts from their own files, or from its main module when that fails (exported for tests). */
export function loadUndici(load: Load = bundledLoad() ?? createRequire(import.meta.url)): UndiciParts {
  const parts = fromFiles(load);
  if (parts) return parts;
  const main = load('undici') as typeof Undici;
  return { Client: main.Client, ProxyAgent: main.ProxyAgent, buildConnector: main.buildConnector, errors: main.errors };
}

const parts = loadUndici();
/** undici's Client (one origin, keep-alive, pipelining). */
export const Client = parts.Client;
/** undici's ProxyAgent. */
export const ProxyAgent = parts.ProxyAgent;
/** undici's connector factory (TLS options, session cache, timeout). */
export const buildConnector = parts.buildConnector;
/** undici's error classes. */
export const errors = parts.errors;

export type { Dispatcher } from 'undici';

/**
 * The largest response head accepted, in bytes: Node's own default (http.maxHeaderSize), given to
 * undici so that it does not load node:http at the first connection only to read that value.
 */
export const MAX_RESPONSE_HEAD = 16 * 1024;
