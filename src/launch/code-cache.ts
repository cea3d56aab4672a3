// Where the launcher keeps V8's compiled code of the CLI bundle, and how it reads and writes it.
// Everything here is best effort: a cache that cannot be read or written is simply not used, and
// no error of its own may ever reach a ban.

import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Where the caches live for a root run unless STICKYBAN_CODE_CACHE says otherwise (FHS: data that may be deleted). */
export const DEFAULT_CACHE_DIR = '/var/cache/stickyban';

/**
 * The cache directory, or undefined for none. STICKYBAN_CODE_CACHE=off turns it off and a path
 * moves it. Only root uses the default: the cache is code root runs, so it must not be written by
 * anyone else, and other users have no directory of their own that every run agrees on.
 */
export function cacheDir(setting: string | undefined, euid: number): string | undefined {
  if (setting === 'off') return undefined;
  if (setting) return setting;
  return euid === 0 ? DEFAULT_CACHE_DIR : undefined;
}

/** A verb as part of a file name; anything unusual shares one name (a cache only ever misses). */
export function cacheVerb(verb: string | undefined): string {
  return verb !== undefined && /^[a-z][a-z-]{0,31}$/.test(verb) ? verb : 'other';
}

/**
 * One cache per verb, since each compiles different functions, and per build of the bundle and
 * Node. V8 rejects a cache of another V8 version or other flags, but for the source it checks only
 * the length: the name must change whenever the bundle does, so it carries the bundle file's
 * identity (inode, size, modification time).
 */
export function cacheFileName(verb: string, bundle: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>, node: { version: string; arch: string }): string {
  return `${verb}-${node.version}-${node.arch}-${bundle.ino}-${bundle.size}-${Math.round(bundle.mtimeMs)}.v8`;
}

/**
 * The cache's bytes, if the file is ours alone: a regular file owned by this user that nobody else
 * may write (V8 runs what it holds, so it must be as trusted as the bundle itself).
 */
export function readCache(file: string, euid: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.uid !== euid || (stats.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes the cache whole or not at all (a temporary file renamed over it, so concurrent runs never
 * read half a file), then removes this verb's caches of earlier builds.
 */
export function writeCache(dir: string, verb: string, name: string, data: Buffer): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `${name}.${process.pid}.tmp`);
    writeFileSync(temp, data, { mode: 0o600 });
    renameSync(temp, join(dir, name));
    for (const other of readdirSync(dir)) {
      if (other.startsWith(`${verb}-v`) && other !== name && !other.endsWith('.tmp')) rmSync(join(dir, other), { force: true });
    }
  } catch {
    // A read-only or full /var/cache: the next run compiles from source, as without a cache.
  }
}
