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
 * Node's own modules that a `wsman run` does not use, loaded by libraries at their top: each costs
 * every start milliseconds (bench/cli.bench.ts), so each is loaded when first called instead.
 * The build fails if a library no longer has the text, so that an update is looked at.
 */
const http2Constants = JSON.stringify(createRequire(import.meta.url)('node:http2').constants);
const LAZY = [
  // node:http (its server, client and agent: about a tenth of `wsman run`'s start-up). undici reads
  // http.maxHeaderSize when a client is made without one (src/transport always gives one), and
  // http.IncomingMessage to recognise one it destroys (which only exists once node:http is loaded).
  {
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/,
    edits: [
      ["const http = require('node:http')", '// node:http: loaded by getDefaultNodeMaxHeaderSize when called'],
      [`const getDefaultNodeMaxHeaderSize = http &&
  http.maxHeaderSize &&
  Number.isInteger(http.maxHeaderSize) &&
  http.maxHeaderSize > 0
  ? () => http.maxHeaderSize
  : () => { throw new InvalidArgumentError('http module not available or http.maxHeaderSize invalid') }`,
      `const getDefaultNodeMaxHeaderSize = () => {
  const size = require('node:http').maxHeaderSize
  if (Number.isInteger(size) && size > 0) return size
  throw new InvalidArgumentError('http module not available or http.maxHeaderSize invalid')
}`],
    ],
  },
  {
    file: /[\\/]undici[\\/]lib[\\/]core[\\/]util\.js$/,
    edits: [
      ["const { IncomingMessage } = require('node:http')", '// node:http: loaded by destroy() for a stream that may be one of its messages'],
      ['if (Object.getPrototypeOf(stream).constructor === IncomingMessage) {',
        "if (Object.getPrototypeOf(stream).constructor.name === 'IncomingMessage' && Object.getPrototypeOf(stream).constructor === require('node:http').IncomingMessage) {"],
    ],
  },
  // node:http2 for HTTP/2, which we never enable (about 13 ms); the constants undici reads at its
  // top are taken from this Node now.
  {
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/,
    edits: [["http2 = require('node:http2')", `http2 = { constants: ${http2Constants}, connect: (...a) => require('node:http2').connect(...a) }`]],
  },
  // commander's node:child_process, for executable subcommands, of which we have none (about 7 ms).
  {
    file: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    edits: [["const childProcess = require('node:child_process');", "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"]],
  },
];
/**
 * node:assert in every undici file that has it (33 of them; about 2 ms, and it makes process.stderr
 * at load through its colours): undici only calls it as a function, `assert(condition)`, so the
 * module loads when a condition fails. The build fails if no file has the line any more.
 */
const LAZY_EVERYWHERE = {
  file: /[\\/]undici[\\/]lib[\\/].*\.js$/,
  line: "const assert = require('node:assert')",
  lazy: "const assert = (value, message) => { if (!value) require('node:assert')(value, message) }",
};
let lazyEverywhere = 0;
/** The LAZY entries applied to some file (the build fails on one that never was: a file moved or renamed). */
const lazyApplied = new Set();
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    // One onLoad for every file an edit applies to (esbuild takes the first onLoad that answers).
    b.onLoad({ filter: /[\\/](undici|commander)[\\/]lib[\\/].*\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      let changed = false;
      for (const { file, edits } of LAZY) {
        if (!file.test(args.path)) continue;
        for (const [line, lazy] of edits) {
          if (!text.includes(line)) throw new Error(`${args.path} no longer has \`${line}\`: update LAZY in scripts/build-cli.mjs`);
          text = text.replace(line, lazy);
          changed = true;
        }
        lazyApplied.add(file);
      }
      if (LAZY_EVERYWHERE.file.test(args.path) && text.includes(LAZY_EVERYWHERE.line)) {
        text = text.replaceAll(LAZY_EVERYWHERE.line, LAZY_EVERYWHERE.lazy);
        lazyEverywhere++;
        changed = true;
      }
      return changed ? { contents: text, loader: 'js' } : undefined;
    });
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
for (const { file } of LAZY) if (!lazyApplied.has(file)) throw new Error(`no bundled file matches ${file}: update LAZY in scripts/build-cli.mjs`);
if (lazyEverywhere === 0) throw new Error(`no undici file has \`${LAZY_EVERYWHERE.line}\` any more: update LAZY_EVERYWHERE in scripts/build-cli.mjs`);
const [out] = result.outputFiles;
writeFileSync(`${outfile}.${process.pid}`, out.contents);
renameSync(`${outfile}.${process.pid}`, outfile);
copyFileSync(path.join(ROOT, 'scripts', 'cli-launcher.cjs'), `${bin}.${process.pid}`);
chmodSync(`${bin}.${process.pid}`, 0o755);
renameSync(`${bin}.${process.pid}`, bin);
