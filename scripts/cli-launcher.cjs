#!/usr/bin/env node
// The `wsman` bin (copied to dist/cli/wsman.cjs by scripts/build-cli.mjs): runs the bundled
// command line, dist/cli/wsman-main.cjs, with V8's code cache so that a `wsman run` does not
// compile the bundle again each time. Node 22.1 and later: module.enableCompileCache(). Node 20:
// the same by hand, the cache in a directory of the user's own under the temporary directory
// (mode 0700, owned by the user, not a link; anything else and the cache is not used). V8 checks
// the cache against the source and its own version and flags, and compiles afresh when it does
// not match; the file name also carries the command, Node's version and the bundle's size and time.
// The cache is written when the command exits, so that it holds the functions the command ran, not
// only the bundle's top level (about 20 ms less of each `wsman run`; bench/cli.bench.ts), one file
// per command. V8's flags are set before anything is compiled (see keepWasmBaseline in
// src/cli/main.ts), since V8 refuses a cache made under other flags.
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, so that it runs before any ES module machinery */
'use strict';
const Module = require('node:module');
const path = require('node:path');

const main = path.join(__dirname, 'wsman-main.cjs');
/** `wsman NAME …`: NAME when it is a plain word, 'none' otherwise (an option first, or nothing). */
const command = /^[a-z][a-z-]{0,39}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'none';
if (command !== 'conformance') {
  // The same flags as src/cli/main.ts's keepWasmBaseline, set before the bundle is compiled.
  const { setFlagsFromString } = require('node:v8');
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--wasm-tiering-budget=2000000000');
}
if (typeof Module.enableCompileCache === 'function') {
  Module.enableCompileCache();
  require(main);
} else {
  runCached(main);
}

/** The directory of the cache, or undefined when it is not ours alone. */
function cacheDir(fs) {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const dir = path.join(require('node:os').tmpdir(), `wsman-compile-cache-${uid}`);
  try { fs.mkdirSync(dir, { mode: 0o700 }); } catch { /* it exists (checked below) */ }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || (uid >= 0 && st.uid !== uid) || (st.mode & 0o077) !== 0) return undefined;
  return dir;
}

function runCached(file) {
  const fs = require('node:fs');
  const vm = require('node:vm');
  // Its #! line (from src/cli/main.ts) is a comment to V8 once inside the wrapper.
  const text = fs.readFileSync(file, 'utf8');
  const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
  let cacheFile;
  let cached;
  try {
    const dir = cacheDir(fs);
    if (dir !== undefined) {
      const st = fs.statSync(file);
      cacheFile = path.join(dir, `${command}-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}.bin`);
      try { cached = fs.readFileSync(cacheFile); } catch { /* not made yet */ }
    }
  } catch {
    cacheFile = undefined;
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cached ? { cachedData: cached } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected)) {
    const target = cacheFile;
    process.once('exit', () => {
      try {
        const tmp = `${target}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, target);
        pruneCache(fs, path.dirname(target), path.basename(target));
      } catch { /* no cache this time */ }
    });
  }
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

/**
 * Removes the caches of other bundles (an older build, another Node) not written for a day, so that
 * rebuilds do not fill the directory, while two installs used in turn keep theirs; and past
 * MAX_CACHE_FILES files (a checkout rebuilt by every test run, a command line of many unknown
 * words), the oldest of the others whatever their age.
 */
const MAX_CACHE_FILES = 64;

function pruneCache(fs, dir, keep) {
  const suffix = keep.slice(keep.indexOf(`-${process.version}-`));
  const old = Date.now() - 24 * 3600 * 1000;
  const others = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.bin') || name === keep) continue;
    const file = path.join(dir, name);
    try {
      const { mtimeMs } = fs.lstatSync(file);
      if (!name.endsWith(suffix) && mtimeMs < old) fs.unlinkSync(file);
      else others.push({ file, mtimeMs });
    } catch { /* gone meanwhile */ }
  }
  others.sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const { file } of others.slice(0, Math.max(0, others.length + 1 - MAX_CACHE_FILES))) {
    try {
      fs.unlinkSync(file);
    } catch { /* gone meanwhile */ }
  }
}
