// Where an import reads from: a file or stdin ("-"), gzip-compressed or not (logrotate's
// fail2ban.log.2.gz). Compression is recognised by its magic bytes, not the name, so a compressed
// stdin or a rotated file without ".gz" works too. Problems with the file itself are found before
// anything is read, so they end the import with nothing written.

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describeFsError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const READ_CHUNK = 1 << 20;

export interface Input {
  /** How messages name it: the path as given, or "stdin". */
  readonly name: string;
  /** Size in bytes of a regular file (for the progress bar); undefined for stdin. */
  readonly size: number | undefined;
  /** Opens the content, decompressed; a file can be opened again (--strict reads it twice). */
  open(): Readable;
  /** Bytes of the (compressed) file read so far by the last open(). */
  bytesRead(): number;
}

/**
 * Checks that `path` names a readable file, or is "-", without reading it yet. A pipe (a FIFO, or
 * bash's `<(zcat list.gz)`) is read once from its start, like stdin: it cannot be read twice or
 * from an offset.
 */
export function fileInput(path: string): Input {
  if (path === '-') return streamInput('stdin', process.stdin);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${quote(path)}: ${describeFsError(error)}`);
  }
  let size: number;
  let gzip: boolean;
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(`cannot read ${quote(path)}: it is a directory; expected a file`);
    if (!stat.isFile()) {
      // Kept open: closing the only reader of a FIFO would end its writer.
      const pipe = createReadStream('', { fd, highWaterMark: READ_CHUNK });
      fd = -1;
      return streamInput(path, pipe);
    }
    size = stat.size;
    const head = Buffer.alloc(2);
    gzip = readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${quote(path)}: ${describeFsError(error)}`);
  } finally {
    if (fd !== -1) closeSync(fd);
  }
  let stream: ReturnType<typeof createReadStream> | undefined;
  return {
    name: path,
    size,
    open() {
      stream = createReadStream(path, { highWaterMark: READ_CHUNK });
      return gzip ? decompress(stream) : stream;
    },
    bytesRead: () => stream?.bytesRead ?? 0,
  };
}

/** The whole of stdin, kept in memory: for --strict (two passes) and for a database piped in. */
export async function readAll(input: Input): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input.open()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An input served from memory (stdin read once with readAll). */
export function bufferInput(name: string, bytes: Buffer): Input {
  let read = 0;
  return {
    name,
    size: bytes.length,
    open() {
      read = bytes.length;
      return isGzip(bytes) ? decompress(Readable.from([bytes])) : Readable.from([bytes]);
    },
    bytesRead: () => read,
  };
}

/** stdin or a pipe: read once, in order; its size is not known. */
function streamInput(name: string, source: Readable): Input {
  let read = 0;
  return {
    name,
    size: undefined,
    open: () => sniffed(source, (bytes) => (read += bytes)),
    bytesRead: () => read,
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
    const first = await iterator.next();
    if (first.done) return;
    const head = first.value;
    counted(head.length);
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

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

function decompress(source: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: READ_CHUNK });
  source.on('error', (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}
