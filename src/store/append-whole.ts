// Records appended to a file that other processes append to as well (the spool, its quarantine).
// One write() per record on an O_APPEND descriptor, so two records never interleave; and a record
// lands whole or not at all. A write cut short (a full disk: the last page had room for the start
// only) would leave half a line, which the next record is then glued to, and both are lost. Undoing
// it by truncating the file is not safe, as others may have appended after it; the bytes that did
// land are overwritten in place with blanks ending in a newline instead (no new space is needed for
// that), which a reader skips as an empty line.

import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/** `path` names the file in messages. Throws an Error that says what was and was not written. */
export function appendWhole(fd: number, bytes: Buffer, path: string): void {
  let written = 0;
  try {
    written = writeSync(fd, bytes);
    if (written < bytes.length) throw new Error(`only ${written} of ${bytes.length} bytes could be written (is the disk full?)`);
    fsyncSync(fd);
  } catch (error) {
    let undone = '';
    if (written > 0) {
      try {
        blankOut(fd, written);
      } catch (blankError) {
        undone = `; the ${written} bytes written could not be blanked out (${(blankError as Error).message})`;
      }
    }
    throw new Error(`${path}: ${describeWriteError(error)}${undone}`);
  }
}

/** Opens `path` with `flags` (the caller's rule on links), creating it owner-only, appends `bytes` whole, closes it. */
export function appendWholeTo(path: string, flags: number, bytes: Buffer): void {
  const fd = openSync(path, flags, 0o600);
  try {
    appendWhole(fd, bytes, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * Overwrites the `length` bytes that the last write on `fd` appended. The descriptor's offset is
 * where they end (O_APPEND moves it there); they are written through a second descriptor of the
 * same file, opened through /proc (our own open file, not a path anyone could swap: the one open here
 * that follows a link, the kernel's to our descriptor): a write on an O_APPEND descriptor always goes
 * to the end, whatever offset it is given.
 */
function blankOut(fd: number, length: number): void {
  const end = offsetOf(fd);
  const blanks = Buffer.alloc(length, 0x20);
  blanks[length - 1] = 0x0a;
  const other = openSync(`/proc/self/fd/${fd}`, 'r+');
  try {
    const written = writeSync(other, blanks, 0, length, end - length);
    if (written < length) throw new Error(`only ${written} of ${length} blanks were written`);
    fsyncSync(other);
  } finally {
    closeSync(other);
  }
}

/** The file offset of one of our descriptors, as the kernel reports it (Node has no lseek). */
function offsetOf(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const match = /^pos:\s+(\d+)$/m.exec(info);
  if (!match) throw new Error(`no offset in /proc/self/fdinfo/${fd}`);
  return Number(match[1]);
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'no space left on device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  return (error as Error).message;
}
