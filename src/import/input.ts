// Where an import reads from: a file or stdin ("-"), gzip-compressed or not (logrotate's
// fail2ban.log.2.gz). Compression is recognised by its magic bytes, not the name, so a compressed
// stdin or a rotated file without ".gz" works too. Problems with the file itself are found before
// anything is read, so they end the import with nothing written.
//
// Every read is bounded. A regular file is as long as it is; anything whose length is not known
// before it is read (stdin, a pipe, a device, what a compressed file holds) is read up to
// MAX_CONTENT, and then refused. A FIFO that nothing opens for writing within FIFO_WAIT_MS is given
// up on, not waited for.

import { closeSync, constants, createReadStream, fstatSync, open, openSync, readSync, statSync, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { describeFsError, UsageError } from '../errors.js';
import { quote, shownPath } from '../input/quote.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const READ_CHUNK = 1 << 20;

/** The most read from a stream or out of a compressed file: 1 GiB (a million-line list is ~15 MB). */
export const MAX_CONTENT = 1024 ** 3;
/** How long a FIFO may wait for its writer: a pipeline starts its writer at once. */
export const FIFO_WAIT_MS = 10_000;

export interface Input {
  /** How messages name it: the path as given (control characters escaped: one line each), or "stdin". */
  readonly name: string;
  /** Size in bytes of a regular file (for the progress bar); undefined for stdin. */
  readonly size: number | undefined;
  /** The path of an uncompressed regular file: what SQLite can open itself. */
  readonly file: string | undefined;
  /** Opens the content, decompressed; a file can be opened again (--strict reads it twice). */
  open(): Readable;
  /** Bytes of the (compressed) file read so far by the last open(). */
  bytesRead(): number;
  /** Lets go of the file (a regular file is held open between its reads). */
  close(): void;
}

/**
 * More content than MAX_CONTENT: a failure to read, as a truncated gzip is (run.ts says what it
 * means at the point it happens: nothing or part of the input imported).
 */
export class TooLargeError extends Error {
  constructor() {
    super(`it holds more than ${MAX_CONTENT / 1024 ** 3} GiB, the most stickyban reads from a pipe, a device or a compressed file`);
  }
}

/**
 * Checks that `path` names something readable, or is "-", without reading it yet. A pipe (a FIFO,
 * or bash's `<(zcat list.gz)`) is read once from its start, like stdin: it cannot be read twice or
 * from an offset.
 */
export async function openInput(path: string, fifoWaitMs = FIFO_WAIT_MS): Promise<Input> {
  if (path === '-') return streamInput('stdin', process.stdin);
  // A FIFO is opened once, as its writer expects: a reader that opens it to look and closes it
  // again would take what a writer already waiting wrote, and lose it.
  let named: Stats;
  try {
    named = statSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${quote(path)}: ${describeFsError(error)}`);
  }
  if (named.isFIFO()) return streamInput(shownPath(path), createReadStream('', { fd: checked(await openFifo(path, fifoWaitMs), named, path), highWaterMark: READ_CHUNK }));
  let fd: number;
  try {
    // Non-blocking, should a FIFO have taken the path's place since: it is not waited for either.
    fd = checked(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), named, path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${quote(path)}: ${describeFsError(error)}`);
  }
  if (named.isFile()) {
    try {
      return regularInput(path, shownPath(path), fd, named.size);
    } catch (error) {
      closeSync(fd);
      throw new UsageError(`cannot read ${quote(path)}: ${describeFsError(error)}`);
    }
  }
  if (named.isDirectory()) {
    closeSync(fd);
    throw new UsageError(`cannot read ${quote(path)}: it is a directory; expected a file`);
  }
  // A device (/dev/zero): read as it is, bounded like a pipe.
  return streamInput(shownPath(path), createReadStream('', { fd, highWaterMark: READ_CHUNK }));
}

/** A regular file already made (a private copy of stdin), named in messages as `name`. */
export function fileInput(path: string, name: string): Input {
  const fd = openSync(path, 'r');
  try {
    return regularInput(path, name, fd, fstatSync(fd).size);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * A regular file, read from the descriptor opened and checked at the start, from its beginning
 * each time: --strict's two passes read the same file, even when another took its name meanwhile
 * (a log rotated, a file moved over it).
 */
function regularInput(path: string, name: string, fd: number, size: number): Input {
  const head = Buffer.alloc(2);
  const gzip = readSync(fd, head, 0, 2, 0) === 2 && isGzip(head);
  let stream: ReturnType<typeof createReadStream> | undefined;
  let closed = false;
  return {
    name,
    size,
    // By name, for SQLite: a fail2ban database in WAL mode has its newest pages in the -wal file beside it.
    file: gzip ? undefined : path,
    open() {
      stream = createReadStream('', { fd, start: 0, autoClose: false, highWaterMark: READ_CHUNK });
      return gzip ? bounded(decompress(stream)) : stream;
    },
    bytesRead: () => stream?.bytesRead ?? 0,
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/**
 * Opens a FIFO to read, waiting at most `waitMs` for a writer. The wait is an open() on libuv's
 * thread pool. To give it up, the FIFO is opened for writing without blocking, which ends that
 * open() at once, and both ends are closed: no thread is left waiting (it would keep the process
 * from ending). Until the open() has reached the kernel there is no reader yet and that fails, so
 * it is tried until the open() ends, for a moment at most.
 */
async function openFifo(path: string, waitMs: number): Promise<number> {
  let ended = false;
  const opening = promisify(open)(path, 'r').finally(() => (ended = true));
  // Awaited below, or not at all once given up: never an unhandled rejection.
  opening.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, waitMs, undefined)));
  try {
    const fd = await Promise.race([opening, gaveUp]);
    if (fd !== undefined) return fd;
    for (let attempt = 0; !ended && attempt < UNBLOCK_ATTEMPTS; attempt++) {
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No reader yet (ENXIO), or the FIFO is gone: tried again while the open() is pending.
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (ended) closeSync(await opening);
  } catch (error) {
    throw new UsageError(`cannot read ${quote(path)}: ${describeFsError(error)}`);
  } finally {
    clearTimeout(timer);
  }
  throw new UsageError(`cannot read ${quote(path)}: nothing opened this FIFO for writing within ${waitMs / 1000} s; expected a file, or a pipe that something writes to`);
}

/** Attempts to end a FIFO's pending open(), 10 ms apart. */
const UNBLOCK_ATTEMPTS = 200;

/** `fd`, when it is the file `path` named when it was looked at; otherwise it is closed, and refused. */
function checked(fd: number, named: Stats, path: string): number {
  const opened = fstatSync(fd);
  if (opened.dev === named.dev && opened.ino === named.ino) return fd;
  closeSync(fd);
  throw new UsageError(`cannot read ${quote(path)}: it was replaced while it was opened`);
}

/** stdin or a pipe: read once, in order; its size is not known. */
function streamInput(name: string, source: Readable): Input {
  let read = 0;
  return {
    name,
    size: undefined,
    file: undefined,
    open: () => bounded(sniffed(source, (bytes) => (read += bytes))),
    bytesRead: () => read,
    close: () => undefined,
  };
}

/** A stream that is decompressed when its first bytes are gzip's magic. */
function sniffed(source: Readable, counted: (bytes: number) => void): Readable {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  async function* rest(): AsyncGenerator<Buffer> {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      counted(next.value.length);
      yield next.value;
    }
  }
  async function* content(): AsyncGenerator<Buffer> {
    // Two bytes tell it: a pipe may give the first one alone (a writer that flushes each byte).
    let head: Buffer = Buffer.alloc(0);
    while (head.length < GZIP_MAGIC.length) {
      const next = await iterator.next();
      if (next.done) break;
      counted(next.value.length);
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    }
    if (head.length === 0) return;
    if (!isGzip(head)) {
      yield head;
      yield* rest();
      return;
    }
    const compressed = Readable.from((async function* () {
      yield head;
      yield* rest();
    })());
    for await (const chunk of decompress(compressed)) yield chunk as Buffer;
  }
  return Readable.from(content());
}

/** `source`, failing with a TooLargeError once it has given more than MAX_CONTENT bytes; it is then destroyed. */
function bounded(source: Readable): Readable {
  async function* limited(): AsyncGenerator<Buffer> {
    let total = 0;
    for await (const chunk of source) {
      total += (chunk as Buffer).length;
      if (total > MAX_CONTENT) throw new TooLargeError();
      yield chunk as Buffer;
    }
  }
  return Readable.from(limited());
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

function decompress(source: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: READ_CHUNK });
  source.on('error', (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}
