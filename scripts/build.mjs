// Builds the CLI into dist/: stickyban-main.cjs, the whole CLI as one CommonJS file (dependencies
// left in node_modules), and stickyban.cjs, the small launcher that runs it from V8's code cache
// (src/launcher.ts says why).
//
// Why a bundle: `stickyban ban` runs once per ban, and on Node 20 the ESM loader spends ~20 ms
// resolving and linking our ~30 small modules before any work starts, a third of Node's own start
// time. One CommonJS file loads in ~3 ms. Dynamic imports stay lazy (esbuild wraps each lazily
// imported module in an init function), so the hook still evaluates only what it uses.
// better-sqlite3's JavaScript is bundled too (its dozen small files cost ~4 ms to require); its
// compiled addon stays in node_modules and is loaded by path (src/store/store.ts).
// Type checking is tsc's job (npm run typecheck); esbuild only strips types.

import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

// Another output folder can be given (parallel work trees building side by side).
const outdir = process.argv[2] ?? 'dist';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // import.meta does not exist in CommonJS; give each file the equivalent of its own URL.
  banner: { js: "const __stickyban_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__stickyban_url' },
  logLevel: 'warning',
};

// The migrations, read by the function that reads them when run from the sources.
const { readMigrations } = await tsImport('../src/store/migrate.ts', import.meta.url);
const migrations = readMigrations();
const fleetMigrations = readMigrations('migrations/fleet');

const main = await build({
  ...common,
  // A JSON text, parsed when a store is opened: an object here would become a module of its own.
  define: { ...common.define, STICKYBAN_MIGRATIONS: JSON.stringify(JSON.stringify(migrations)), STICKYBAN_FLEET_MIGRATIONS: JSON.stringify(JSON.stringify(fleetMigrations)) },
  entryPoints: ['src/main.ts'],
  outfile: join(outdir, 'stickyban-main.cjs'),
  // Loaded only by the commands that need them; the hook never pays for parsing them.
  external: ['commander', 'cron', 'smol-toml', 'pg', 'pg-connection-string'],
  sourcemap: 'linked',
  metafile: true,
});
// The launcher runs the bundle with node:vm, which has no loader for import(): a package must be
// reached through a module of ours (esbuild turns its static import into require()).
const dynamic = Object.values(main.metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.kind === 'dynamic-import' && entry.external));
if (dynamic.length > 0) throw new Error(`build: import() of ${dynamic.map((entry) => entry.path).join(', ')} would fail under the launcher; import it statically from a module that is itself imported lazily`);

// The thread a fleet bootstrap inserts its bans from (src/store/insert-thread.ts), started by path.
await build({ ...common, entryPoints: ['src/store/insert-worker.ts'], outfile: join(outdir, 'stickyban-insert-worker.cjs') });

// The shebang comes from src/launcher.ts.
const launcher = join(outdir, 'stickyban.cjs');
await build({ ...common, entryPoints: ['src/launcher.ts'], outfile: launcher });
chmodSync(launcher, 0o755);
