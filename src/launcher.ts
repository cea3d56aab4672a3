#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1
// One V8 worker thread instead of four: a short-lived command gains nothing from more, and on a
// small server they compete with the tools it feeds (2 cores, interleaved: ban 91 -> 84 ms,
// restore of 10k entries 164 -> 150 ms; a million entries unchanged at 3.29 s).
// No NODE_EXTRA_CA_CERTS: Node loads and parses the whole file it names before any script runs
// (the Debian CA bundle: ~45 ms, more than Node's own start here), and stickyban makes no TLS
// connection. A host that sets it for everyone (/etc/environment) would pay that on every ban.
//
// The installed command. It runs the CLI bundle (stickyban-main.cjs) from V8's compiled code of an
// earlier run of the same verb, kept in /var/cache/stickyban: compiling the bundle's functions on
// every start cost a ban ~9 ms and a 10k-entry restore ~7 ms. Node 20 has no such cache of its
// own. A run without a usable cache compiles from source, as Node would, and leaves one for the
// next run when it succeeds.

import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { exitNow } from './cli/exit.js';
import { firstPositional } from './cli/options.js';
import { cacheBuild, cacheDir, cacheFileName, cacheVerb, readCache, writeCache } from './launch/code-cache.js';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'stickyban-main.cjs');
const requireFromBundle = createRequire(bundle);

if (process.sourceMapsEnabled) {
  // Node maps stack traces only for files its own loader compiled.
  requireFromBundle(bundle);
} else {
  runCached();
}

function runCached(): void {
  let source: string;
  let stats;
  try {
    const fd = openSync(bundle, 'r');
    stats = fstatSync(fd, { bigint: true });
    source = readFileSync(fd, 'utf8');
    closeSync(fd);
  } catch (error) {
    process.stderr.write(`stickyban: cannot read ${bundle} (${(error as Error).message}); the installation is incomplete: run npm run build\n`);
    exitNow(1);
  }
  const euid = process.geteuid?.() ?? -1;
  const dir = cacheDir(process.env.STICKYBAN_CODE_CACHE, euid);
  const verb = cacheVerb(firstPositional(process.argv.slice(2)));
  const build = cacheBuild(stats, process);
  const name = cacheFileName(verb, build, `${process.execArgv.join(' ')}\n${process.env.NODE_OPTIONS ?? ''}`);
  const cache = dir === undefined ? undefined : readCache(dir, name, euid);
  const cachedData = typeof cache === 'object' ? cache.data : undefined;
  // The wrapper Node's own CommonJS loader puts around a module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
  if (dir !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    // Made at exit, so that it holds every function the verb compiled, not only the top level;
    // skipped if another run wrote it meanwhile (hundreds of hooks may start at once).
    process.once('exit', (code) => {
      if (code === 0 && !(cache === 'absent' && existsSync(join(dir, name)))) writeCache(dir, verb, build, name, () => script.createCachedData(), euid);
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, requireFromBundle, module, bundle, here);
}
