// The lines of a file of records (a spool), read a chunk at a time: memory stays bounded whatever
// the file holds, and a line without an end (a binary file, a cut write) costs no more than
// `maxBytes`. Split on the newline byte, which UTF-8 never uses inside a character.

import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

export interface Line {
  /** The line without its newline; only its first `maxBytes` when it is longer. */
  readonly text: string;
  /** It was longer than `maxBytes` and is cut. */
  readonly cut: boolean;
}

/** `flags` are open()'s: the caller's rule on links and FIFOs. */
export function* boundedLines(path: string, flags: number, maxBytes: number): Generator<Line> {
  const fd = openSync(path, flags);
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    // The start of a line that runs past the chunk, at most maxBytes of it.
    let rest: Buffer = Buffer.alloc(0);
    let cut = false;
    for (;;) {
      const read = readSync(fd, chunk, 0, CHUNK, null);
      if (read === 0) break;
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE, start); end !== -1 && end < read; end = chunk.indexOf(NEWLINE, start)) {
        const line = take(rest, chunk.subarray(start, end), maxBytes);
        yield { text: line.toString('utf8'), cut: cut || rest.length + (end - start) > maxBytes };
        rest = Buffer.alloc(0);
        cut = false;
        start = end + 1;
      }
      if (start < read) {
        cut ||= rest.length + (read - start) > maxBytes;
        rest = take(rest, chunk.subarray(start, read), maxBytes);
      }
    }
    if (rest.length > 0 || cut) yield { text: rest.toString('utf8'), cut };
  } finally {
    closeSync(fd);
  }
}

/** `kept` followed by as much of `more` as fits in `maxBytes`, copied out of the reused chunk. */
function take(kept: Buffer, more: Buffer, maxBytes: number): Buffer {
  const room = Math.max(0, maxBytes - kept.length);
  return Buffer.concat([kept, more.subarray(0, room)]);
}
