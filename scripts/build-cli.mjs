// The command line as one file, dist/cli/wsman-main.cjs, started by dist/cli/wsman.cjs (the
// package's `bin`, scripts/cli-launcher.cjs: V8's code cache); built by `npm run build` and
// `prepare` (so `npm ci && npx wsman` works from a clone), and by the tests' global setup.
// One file instead of some 60 of ours and 80 of undici's: Node resolves, reads and compiles one
// module, and each command's code still runs only when that command is asked for (esbuild keeps
// the dynamic imports of src/cli/main.ts lazy). xmllint-wasm stays outside: it starts a worker
// from its own files. `node scripts/build-cli.mjs`.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle goes; it must stay two directories below the package root (src/schema/validate.ts finds schemas/ from there). */
const outfile = path.join(ROOT, 'dist', 'cli', 'wsman-main.cjs');
const bin = path.join(ROOT, 'dist', 'cli', 'wsman.cjs');

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
});
const [out] = result.outputFiles;
writeFileSync(`${outfile}.${process.pid}`, out.contents);
renameSync(`${outfile}.${process.pid}`, outfile);
copyFileSync(path.join(ROOT, 'scripts', 'cli-launcher.cjs'), `${bin}.${process.pid}`);
chmodSync(`${bin}.${process.pid}`, 0o755);
renameSync(`${bin}.${process.pid}`, bin);
