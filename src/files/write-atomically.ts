// Replacing a file whole, so no reader ever sees half of it: a new file beside it, renamed over it.
// The directory may be one others can write (node_exporter's textfile directory may belong to its
// own user), so the new file is never one that was there before: an unpredictable name, created
// with O_EXCL (which fails on anything there, a link included) and O_NOFOLLOW, written through its
// descriptor and private (0600) until its content is complete, when it takes the target's mode
// (nothing it holds then is not public a moment later). rename() replaces a link at the target,
// never follows it.

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { removeIfOurs } from './remove-if-ours.js';
import { basename, dirname, join } from 'node:path';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface AtomicWriteOptions {
  /** Runs once the new file is written, before it takes its mode and is renamed: tests look at it there. */
  readonly written?: (temp: string) => void;
}

/** Writes `data` to `path` whole or not at all; `mode` is the file's from the rename on. */
export function writeFileAtomically(path: string, data: string | Uint8Array, mode: number, options: AtomicWriteOptions = {}): void {
  // Hidden and not ending in the target's extension: a collector reading *.prom never picks it up.
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, CREATE, 0o600);
  } catch (error) {
    // Said of the target, not of a temporary name that differs every time (a repeated failure reads the same).
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `cannot write ${path}: directory ${dirname(path)} does not exist` : `cannot write ${path}: ${code ?? (error as Error).message}`);
  }
  const ours = fstatSync(fd);
  let renamed = false;
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    // fsync before the rename: after a crash the target holds the old content or the new, never an empty file.
    fsyncSync(fd);
    options.written?.(temp);
    fchmodSync(fd, mode);
    renameSync(temp, path);
    renamed = true;
  } finally {
    closeSync(fd);
    if (!renamed) removeIfOurs(temp, ours);
  }
}
