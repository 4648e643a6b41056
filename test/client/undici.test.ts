/**
 * src/transport/undici.ts loads undici's parts from their own files (start-up time). They must be
 * the very classes undici's main module exports, work in a process where nothing loads the main
 * module (as in `wsman run`), and give way to the main module when a file is missing or reshaped.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as undici from 'undici';
import { Client, ProxyAgent, buildConnector, errors, loadUndici } from '../../src/transport/undici.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('undici parts loaded from their own files', () => {
  it('are the same classes and functions as the main module exports', () => {
    expect(Client).toBe(undici.Client);
    expect(ProxyAgent).toBe(undici.ProxyAgent);
    expect(buildConnector).toBe(undici.buildConnector);
    expect(errors).toBe(undici.errors);
    expect(new errors.ClientDestroyedError()).toBeInstanceOf(undici.errors.UndiciError);
  });

  it('make a request in a process that never loads undici\'s main module', () => {
    const script = `
      import { createServer } from 'node:http';
      import { createRequire } from 'node:module';
      const { Client } = await import(${JSON.stringify(path.join(ROOT, 'src/transport/undici.ts'))});
      const server = createServer((q, s) => s.end('pong')).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const c = new Client('http://127.0.0.1:' + server.address().port);
      const r = await c.request({ path: '/', method: 'GET' });
      const body = await r.body.text();
      await c.close(); server.close();
      const main = createRequire(import.meta.url).resolve('undici');
      console.log(JSON.stringify({ body, mainLoaded: Object.keys(createRequire(import.meta.url).cache).includes(main) }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ body: 'pong', mainLoaded: false });
  });
});

describe('loadUndici', () => {
  it('takes everything from the main module when a file is missing or not what it was', () => {
    const missing = (id: string): unknown => {
      if (id === 'undici') return undici;
      if (id.endsWith('core/connect.js')) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      return undefined;
    };
    const all = { Client: undici.Client, ProxyAgent: undici.ProxyAgent, buildConnector: undici.buildConnector, errors: undici.errors };
    expect(loadUndici(missing)).toEqual(all);
    const reshaped = (id: string): unknown => (id === 'undici' ? undici : { something: 'else' });
    expect(loadUndici(reshaped)).toEqual(all);
  });
});
