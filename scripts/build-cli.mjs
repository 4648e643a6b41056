// The command line as one file, dist/cli/wsman-main.cjs, started by dist/cli/wsman.cjs (the
// package's `bin`, scripts/cli-launcher.cjs: V8's code cache); built by `npm run build` and
// `prepare` (so `npm ci && npx wsman` works from a clone), and by the tests' global setup.
// One file instead of some 60 of ours and 80 of undici's: Node resolves, reads and compiles one
// module, and each command's code still runs only when that command is asked for (esbuild keeps
// the dynamic imports of src/cli/main.ts lazy). xmllint-wasm stays outside: it starts a worker
// from its own files. `node scripts/build-cli.mjs`.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle goes; it must stay two directories below the package root (src/schema/validate.ts finds schemas/ from there). */
const outfile = path.join(ROOT, 'dist', 'cli', 'wsman-main.cjs');
const bin = path.join(ROOT, 'dist', 'cli', 'wsman.cjs');

/**
 * Two of Node's own modules that no `wsman` command uses are loaded by libraries at their top, and
 * each costs every `wsman run` milliseconds of start-up (bench/cli.bench.ts): undici loads
 * node:http2 for HTTP/2, which we never enable (about 13 ms), and commander node:child_process
 * for executable subcommands, which we have none of (about 7 ms). Each is loaded when first
 * called instead. The HTTP/2 constants undici reads at its top are taken from this Node now. The
 * build fails if either library no longer has the line, so that an update is looked at.
 */
const http2Constants = JSON.stringify(createRequire(import.meta.url)('node:http2').constants);
const LAZY = [
  {
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/,
    line: "http2 = require('node:http2')",
    lazy: `http2 = { constants: ${http2Constants}, connect: (...a) => require('node:http2').connect(...a) }`,
  },
  {
    file: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    line: "const childProcess = require('node:child_process');",
    lazy: "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };",
  },
];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    for (const { file, line, lazy } of LAZY) {
      b.onLoad({ filter: file }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes(line)) throw new Error(`${args.path} no longer has \`${line}\`: update LAZY in scripts/build-cli.mjs`);
        return { contents: text.replace(line, lazy), loader: 'js' };
      });
    }
  },
};

// Written beside and renamed into place, so that a `wsman` starting meanwhile runs either the
// old bundle or the new one, never half of one.
const result = await build({
  entryPoints: [path.join(ROOT, 'src', 'cli', 'main.ts')],
  outfile,
  write: false,
  bundle: true,
  platform: 'node',
  // CommonJS, so that Node's own modules load when the code needing them first runs: an ES
  // module bundle hoists every `import … from 'node:…'` to its top (tls, http's server, dgram,
  // child_process… for a `wsman --version`).
  format: 'cjs',
  target: 'node20',
  external: ['xmllint-wasm'],
  define: { 'import.meta.url': '__wsmanUrl' },
  banner: { js: "const __wsmanUrl = require('node:url').pathToFileURL(__filename).href;" },
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [lazyBuiltins],
});
const [out] = result.outputFiles;
writeFileSync(`${outfile}.${process.pid}`, out.contents);
renameSync(`${outfile}.${process.pid}`, outfile);
copyFileSync(path.join(ROOT, 'scripts', 'cli-launcher.cjs'), `${bin}.${process.pid}`);
chmodSync(`${bin}.${process.pid}`, 0o755);
renameSync(`${bin}.${process.pid}`, bin);
