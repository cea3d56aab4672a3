// The store's files (the database, its lock) are opened by SQLite by name, so they are checked
// first: their directory must be one no other user can change (files/trusted-dir.ts), and the file
// a regular file of ours, never a link. In a trusted directory nobody else can swap them between
// this check and SQLite's open.

import { closeSync, constants, lstatSync, openSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { OperationalError, StoreError, StoreMissingError } from '../errors.js';
import { distrustOf, octal, type Distrust } from '../files/trusted-dir.js';
import { shownPath } from '../input/quote.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Makes sure `path`, a file of the store `store`, may be handed to SQLite. With `create` it is made
 * when missing (0600, in a 0700 directory): SQLite gives the -wal and -shm files the permissions of
 * the database file, so creating it 0600 ourselves keeps all three private. Without it, a missing
 * file (or directory) is a StoreMissingError and nothing is made: only `stickyban init` and the
 * store's lock file create.
 */
export function prepareStoreFile(path: string, store: string = path, { create = false }: { create?: boolean } = {}): void {
  const euid = process.geteuid?.() ?? 0;
  const dir = dirname(path);
  let stats: Stats | undefined;
  try {
    const distrust = distrustOf(dir, create ? { create: 0o700, euid } : { euid });
    if (distrust) throw distrustError(store, distrust, euid);
    stats = lstatIfAny(path);
    if (stats === undefined) {
      if (!create) throw missing(store);
      try {
        closeSync(openSync(path, CREATE, 0o600));
        return;
      } catch (error) {
        // Made meanwhile by another command: checked as found.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        stats = lstatSync(path);
      }
    }
  } catch (error) {
    if (error instanceof OperationalError) throw error;
    // A directory on the way that is not there: so is the store.
    if (!create && (error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(store);
    throw new StoreError(`cannot ${verbOf(error)} store ${shownPath(store)}: ${reasonOf(error)}`);
  }
  const wrong = problemOf(stats, euid);
  if (wrong) throw new OperationalError(`refusing store ${shownPath(store)}: ${shownPath(path)} ${wrong}`);
}

/**
 * Whether the ban hook may leave a ban beside a store that is missing: its directory is there and
 * trusted as the store's own (see above), so nothing is made but the spool file, where `stickyban
 * init` folds it in. Undefined when it may, else why not.
 */
export function spoolableWithoutStore(store: string): string | undefined {
  const euid = process.geteuid?.() ?? 0;
  try {
    const distrust = distrustOf(dirname(store), { euid });
    return distrust ? distrustError(store, distrust, euid).message : undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? `directory ${shownPath(dirname(store))} does not exist` : reasonOf(error);
  }
}

export function missing(store: string): StoreMissingError {
  return new StoreMissingError(`no store at ${shownPath(store)}: stickyban init creates it (or check --db, STICKYBAN_DB and db in the config)`);
}

function distrustError(store: string, distrust: Distrust, euid: number): OperationalError {
  const who = euid === 0 ? 'root' : 'you and root';
  return new OperationalError(`refusing store ${shownPath(store)}: ${shownPath(distrust.path)} ${distrust.problem}; the store must be where only ${who} can change it (${distrust.fix})`);
}

function problemOf(stats: Stats, euid: number): string | undefined {
  if (stats.isSymbolicLink()) return 'is a symbolic link, which stickyban does not follow (remove it, or give --db the real path)';
  if (!stats.isFile()) return 'is not a regular file';
  if (stats.uid !== 0 && stats.uid !== euid) return `is owned by uid ${stats.uid}, not ${euid === 0 ? 'root' : `root or uid ${euid}`} (chown it, or give --db a path of your own)`;
  if ((stats.mode & 0o022) !== 0) return `is writable by others (mode ${octal(stats.mode)}; chmod 600 it)`;
  return undefined;
}

function lstatIfAny(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What failed, in the user's words: making the store, reading what is there, or the path itself. */
function verbOf(error: unknown): string {
  const { syscall } = error as NodeJS.ErrnoException;
  if (syscall === 'mkdir' || syscall === 'open' || syscall === 'chmod') return 'create';
  return syscall === 'lstat' || syscall === 'readlink' ? 'read' : 'open';
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (run as root, or pass --db)';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'ENAMETOOLONG') return 'a name in the path is too long';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only file system';
  // Node's message ends with the path, which the line already names.
  return (error as Error).message.replace(/, \w+ '.*'$/s, '');
}
