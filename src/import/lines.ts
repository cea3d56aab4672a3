// Splits a byte stream into lines, a whole chunk at a time: one await per megabyte instead of one per
// line keeps a million-line import from spending its time in the async machinery.

import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Longest line kept whole. A longer one (a binary file, a missing newline) is no ban whatever it
 * holds: the reader rejects any that parses as one. One that does not end within the chunk being
 * split is cut to MAX_LINE + 1 characters, so it is judged like the others (cut to MAX_LINE,
 * `192.0.2.1 <spaces> garbage` would read as a valid line), and still counted as one line.
 */
export const MAX_LINE = 4096;

/** A byte order mark some editors write at the start of a file; it is not part of the first line. */
const BOM = '\ufeff';

/** Yields the lines of the stream in batches; "\r\n" endings lose their "\r". */
export async function* lineBatches(stream: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let overlong = false;
  let first = true;
  for await (const chunk of stream) {
    let text = rest + decoder.write(chunk as Buffer);
    if (first && text.length > 0) {
      if (text.startsWith(BOM)) text = text.slice(1);
      first = false;
    }
    const lines = text.split('\n');
    rest = lines.pop()!;
    if (overlong && lines.length > 0) {
      // The first "line" is the tail of a line that was already cut and counted.
      lines.shift();
      overlong = false;
    }
    if (rest.length > MAX_LINE) {
      if (!overlong) lines.push(rest.slice(0, MAX_LINE + 1));
      overlong = true;
      rest = '';
    }
    if (lines.length > 0) yield stripCarriageReturns(lines);
  }
  rest += decoder.end();
  if (rest !== '' && !overlong) yield stripCarriageReturns([rest]);
}

function stripCarriageReturns(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
  }
  return lines;
}
