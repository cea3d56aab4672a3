// Runs every *.test.ts under test/ with Node's test runner (tsx strips the types). Node 20 does not
// expand globs for --test, hence this list. Test files run in parallel; each integration test owns
// its temp dir and network namespace.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = (only.length > 0 ? only : testFiles('test')).sort();
// The CLI's code caches (src/launcher.ts) go to a folder of this run, not to the host's /var/cache.
const codeCache = mkdtempSync(join(tmpdir(), 'stickyban-code-cache-'));
// Tests mostly start the CLI as `node FILE`, past the shebang that drops NODE_EXTRA_CA_CERTS; without
// it each start loads the CA file it names (~45 ms). Nothing here makes a TLS connection.
const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${Math.max(2, availableParallelism())}`, '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
    // No command of the suite may reach a daemon of the host: the socket they find is one nobody
    // listens on (a test's own daemon gets a socket of its own, test/helpers/daemon.ts).
    env: { ...env, STICKYBAN_CODE_CACHE: process.env.STICKYBAN_CODE_CACHE ?? codeCache, STICKYBAN_SOCKET: join(codeCache, 'no-daemon.sock') },
  },
);
rmSync(codeCache, { recursive: true, force: true });
process.exit(result.status ?? 1);
