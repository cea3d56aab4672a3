// The config file's text, read bounded: a regular file of at most MAX_CONFIG_BYTES. Opened without
// blocking, so a FIFO is refused instead of waited on; a device (/dev/zero) is refused instead of
// read until memory runs out. Every command reads it, the ban hook included: one open, one fstat,
// one read to the end, as readFileSync does.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { distrustOf } from '../files/trusted-dir.js';
import { describeFsError, UsageError } from '../errors.js';
import { quote, shownPath } from '../input/quote.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A real config file is a few KiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export function readConfigFile(file: string): string {
  refuseLoosePath(file);
  return readBoundedText(file, 'config file', 'TOML', MAX_CONFIG_BYTES, refuseLoose);
}

/**
 * The way to the config file, as the store's is held (files/trusted-dir.ts): a directory another
 * user may write (not sticky) lets that user swap the file, and a link of theirs points root
 * wherever they like. What cannot be reached is left to the read, which says it as the file
 * system does.
 */
function refuseLoosePath(file: string): void {
  let distrust;
  try {
    distrust = distrustOf(file, { file: true, sharedSticky: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) return;
    throw error;
  }
  if (!distrust) return;
  // What is wrong is another user's link on the way, or a directory's owner or mode.
  const why = lstatSync(distrust.path).isSymbolicLink() ? "expected one of root's" : 'the config chooses the store and sockets root uses';
  throw new UsageError(`config file ${quote(file)}: ${distrust.path} ${distrust.problem}: ${why} (${distrust.fix})`);
}

/**
 * The config file chooses the store, the sockets and the password file root uses: one another
 * user could write would choose them for root. As sshd refuses a loose authorized_keys.
 */
function refuseLoose(stat: Stats): string | undefined {
  const euid = process.geteuid?.() ?? 0;
  if (stat.uid !== 0 && stat.uid !== euid) return `is owned by uid ${stat.uid}: expected owned by ${euid === 0 ? 'root' : `root or uid ${euid}`} (chown it)`;
  if ((stat.mode & 0o022) !== 0) return `may be written by others (mode ${(stat.mode & 0o777).toString(8)}): expected writable by its owner alone (chmod go-w it)`;
  return undefined;
}

/**
 * A regular file's text, at most `maxBytes` (`label` and `holding` name it and its content in the
 * one-line errors): opened without blocking, so a FIFO is refused, not waited on; a device is
 * refused, not read until memory runs out. Other files stickyban reads go through it too (fail2ban's
 * jail files, for doctor; the fleet's password and CA files), `check` asking more of the open file
 * (its owner and mode) before it is read.
 */
export function readBoundedText(file: string, label: string, holding: string, maxBytes: number, check?: (stat: Stats) => string | undefined): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new UsageError(`cannot read ${label} ${shownPath(file)}: ${describeFsError(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(`cannot read ${label} ${shownPath(file)}: it is a directory; expected a file`);
    if (!stat.isFile()) throw new UsageError(`${label} ${quote(file)} is ${kindOf(stat)}; expected a regular file holding ${holding}`);
    const problem = check?.(stat);
    if (problem !== undefined) throw new UsageError(`${label} ${quote(file)} ${problem}`);
    const limit = maxBytes >= 1024 * 1024 ? `${maxBytes} (${maxBytes / 1024 / 1024} MiB)` : String(maxBytes);
    const tooBig = (size: string) => new UsageError(`${label} ${quote(file)} is ${size} bytes; expected at most ${limit}`);
    if (stat.size > maxBytes) throw tooBig(String(stat.size));
    // Read to its end, however long that is now: a file may grow between fstat and read.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stat.size + 1 - length, 4096), maxBytes + 1 - length));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      length += read;
      if (length > maxBytes) throw tooBig(`more than ${maxBytes}`);
    }
    try {
      return UTF8.decode(Buffer.concat(chunks, length));
    } catch {
      // Decoded leniently, a byte that is not UTF-8 would become another character: another path, another name.
      throw new UsageError(`${label} ${quote(file)} is not valid UTF-8; expected ${holding} in UTF-8`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${label} ${shownPath(file)}: ${describeFsError(error)}`);
  } finally {
    closeSync(fd);
  }
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}
