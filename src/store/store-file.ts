// The store's files (the database, its lock) are opened by SQLite by name, so they are checked
// first: their directory must be one no other user can change (files/trusted-dir.ts), and the file
// a regular file of ours, never a link. In a trusted directory nobody else can swap them between
// this check and SQLite's open.

import { closeSync, constants, lstatSync, openSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { OperationalError, StoreError } from '../errors.js';
import { distrustOf, octal } from '../files/trusted-dir.js';
import { shownPath } from '../input/quote.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Makes sure `path`, a file of the store `store`, may be handed to SQLite; creates it (0600, in a
 * 0700 directory) if it is missing. SQLite gives the -wal and -shm files the permissions of the
 * database file, so creating it 0600 ourselves keeps all three private.
 */
export function prepareStoreFile(path: string, store: string = path): void {
  const euid = process.geteuid?.() ?? 0;
  const dir = dirname(path);
  let stats: Stats | undefined;
  try {
    const distrust = distrustOf(dir, { create: 0o700, euid });
    if (distrust) {
      const who = euid === 0 ? 'root' : 'you and root';
      throw new OperationalError(`refusing store ${shownPath(store)}: ${shownPath(distrust.path)} ${distrust.problem}; the store must be where only ${who} can change it (${distrust.fix})`);
    }
    stats = lstatIfAny(path);
    if (stats === undefined) {
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
    throw new StoreError(`cannot ${verbOf(error)} store ${shownPath(store)}: ${reasonOf(error)}`);
  }
  const wrong = problemOf(stats, euid);
  if (wrong) throw new OperationalError(`refusing store ${shownPath(store)}: ${shownPath(path)} ${wrong}`);
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
