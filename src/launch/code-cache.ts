// Where the launcher keeps V8's compiled code of the CLI bundle, and how it reads and writes it.
// Everything here is best effort: a cache that cannot be read or written is simply not used, and
// no error of its own may ever reach a ban.

import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats, type Stats } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { distrustOf } from '../files/trusted-dir.js';

/** Where the caches live for a root run unless STICKYBAN_CODE_CACHE says otherwise (FHS: data that may be deleted). */
export const DEFAULT_CACHE_DIR = '/var/cache/stickyban';

/** A temporary file this old was left by a run killed between writing and renaming it. */
const ORPHAN_AGE_MS = 10 * 60_000;

/**
 * The cache directory, or undefined for none. STICKYBAN_CODE_CACHE=off turns it off and an absolute
 * path moves it. Only root uses the default: the cache is code root runs, so it must not be written
 * by anyone else, and other users have no directory of their own that every run agrees on.
 */
export function cacheDir(setting: string | undefined, euid: number): string | undefined {
  if (setting === 'off') return undefined;
  if (setting) return isAbsolute(setting) ? setting : undefined;
  return euid === 0 ? DEFAULT_CACHE_DIR : undefined;
}

/** A verb as part of a file name; anything unusual shares one name (a cache only ever misses). */
export function cacheVerb(verb: string | undefined): string {
  return verb !== undefined && /^[a-z][a-z-]{0,31}$/.test(verb) ? verb : 'other';
}

export type BundleIdentity = Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs'>;

/**
 * Which bundle file and which Node a cache belongs to. V8 checks only the source's length, so this
 * must change whenever the bundle does: any write to the file changes its ctime, which no tool can
 * set back (utimes sets the mtime only).
 */
export function cacheBuild(bundle: BundleIdentity, node: { version: string; arch: string }): string {
  return `${node.version}-${node.arch}-${bundle.dev}-${bundle.ino}-${bundle.size}-${bundle.mtimeNs}-${bundle.ctimeNs}`;
}

/**
 * One cache per verb, since each compiles different functions, and per build and Node flags: V8
 * rejects a cache made under other flags, so runs with and without them (NODE_OPTIONS in a cron
 * job, say) would otherwise take turns rewriting one file.
 */
export function cacheFileName(verb: string, build: string, flags: string): string {
  return `${verb}-${build}-${fnv1a(flags)}.v8`;
}

/** 32-bit FNV-1a, in hex: enough to tell a few flag sets apart, and no node:crypto to load. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * A directory only this user may change: a real directory (not a link) that it owns and nobody
 * else may write, on a path nobody else may change (files/trusted-dir.ts). Anyone else who could
 * write there could plant a cache, which V8 would run, or a link for the next write to follow.
 */
function isPrivateDir(dir: string, euid: number, create = false): boolean {
  try {
    if (distrustOf(dir, create ? { euid, create: 0o700 } : { euid })) return false;
    const stats = lstatSync(dir);
    return stats.isDirectory() && ownedPrivately(stats, euid);
  } catch {
    return false;
  }
}

/** Owned by this user, and writable by nobody else: the trust the directory and each cache need. */
function ownedPrivately(stats: Stats, euid: number): boolean {
  return stats.uid === euid && (stats.mode & 0o022) === 0;
}

/** A cache read: its bytes, none yet, or one that is there but may not be trusted. */
export type CacheRead = { readonly data: Buffer } | 'absent' | 'untrusted';

/** The cache's bytes, if they can be trusted as much as the bundle itself (see isPrivateDir). */
export function readCache(dir: string, name: string, euid: number): CacheRead {
  if (!isPrivateDir(dir, euid)) return 'untrusted';
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    const stats = fstatSync(fd);
    if (!stats.isFile() || !ownedPrivately(stats, euid)) return 'untrusted';
    return { data: readFileSync(fd) };
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'untrusted';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes the cache whole or not at all: a new temporary file (never one that exists, nor through
 * a link) renamed over it, so concurrent runs never read half a file. Then removes this verb's
 * caches of other builds (two installations sharing the directory would take turns), and
 * temporary files left by killed runs. `make` runs only if there is somewhere to write.
 */
export function writeCache(dir: string, verb: string, build: string, name: string, make: () => Buffer, euid: number): void {
  try {
    if (!isPrivateDir(dir, euid, true)) return;
    const temp = join(dir, `${name}.${process.pid}.tmp`);
    writeFileSync(temp, make(), { flag: 'wx', mode: 0o600 });
    renameSync(temp, join(dir, name));
    const now = Date.now();
    for (const other of readdirSync(dir)) {
      const path = join(dir, other);
      if (other.endsWith('.tmp')) {
        if (now - statSync(path).mtimeMs > ORPHAN_AGE_MS) rmSync(path, { force: true });
      } else if (other.startsWith(`${verb}-v`) && !other.startsWith(`${verb}-${build}-`)) {
        rmSync(path, { force: true });
      }
    }
  } catch {
    // A read-only or full /var/cache: the next run compiles from source, as without a cache.
  }
}
