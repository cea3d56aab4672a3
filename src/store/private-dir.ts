import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `dir` readable by its owner only (the store, its spool and install-contrib's manifest live
 * there), unless it exists. Missing directories above it are created as usual: a --db under a new
 * /srv/stickyban must not make /srv private too.
 */
export function makePrivateDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
