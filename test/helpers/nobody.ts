// A local user without privileges, for tests of what stickyban (run as root) must not let them do.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess, type CliResult } from './cli.js';
import { tempDir } from './tmp.js';

export const NOBODY = 65534;

/** Runs a bash script as nobody, `args` as its $1, $2, …; fails the test if the script fails. */
export async function asNobody(script: string, ...args: string[]): Promise<CliResult> {
  const result = await runProcess('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'bash', '-ec', script, 'bash', ...args]);
  assert.equal(result.code, 0, `as nobody: ${script}: ${result.stderr}`);
  return result;
}

/** A directory nobody owns (theirs to fill with links), in a temp dir they may enter. */
export function nobodysDir(name = 'theirs'): string {
  const outer = tempDir();
  chmodSync(outer, 0o755);
  const dir = join(outer, name);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, NOBODY, NOBODY);
  return dir;
}
