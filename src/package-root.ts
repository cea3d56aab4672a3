import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationalError } from './errors.js';

let cached: string | undefined;

/**
 * The installed package's folder (the one holding migrations/ and contrib/), found upwards from
 * this file so it works from the bundle in dist/ and from the sources under tsx alike.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'stickyban') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new OperationalError('cannot find the folder of this stickyban installation (its package.json)');
    dir = parent;
  }
}
