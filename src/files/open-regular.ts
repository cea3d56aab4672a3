// A file of ours to be read, then perhaps replaced, at a path: opened without following a link (a
// link there is someone's doing, never read or written through) and without blocking (a FIFO is
// not waited on), and kept only when it is a regular file.

import { closeSync, constants, fstatSync, openSync } from 'node:fs';

/** An open regular file (close its fd), or what is there instead. */
export type Opened = { readonly fd: number } | 'absent' | 'link' | 'not a regular file';

/** Other failures to open (EACCES, EIO) are thrown. */
export function openRegular(path: string): Opened {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'absent';
    if (code === 'ELOOP') return 'link';
    throw error;
  }
  if (fstatSync(fd).isFile()) return { fd };
  closeSync(fd);
  return 'not a regular file';
}
