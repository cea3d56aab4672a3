// What can be read only once (stdin, a pipe, a device, a compressed file) copied into a private
// file, when it must be read as a file: twice (--strict), or by SQLite (a fail2ban database). Its
// content, decompressed, is bounded by MAX_CONTENT (input.ts) on the way in; memory holds one chunk.

import { closeSync, openSync, writeSync } from 'node:fs';
import { OperationalError, UsageError } from '../errors.js';
import { fileInput, type Input } from './input.js';

export interface Expected {
  /** The bytes the content must start with. */
  readonly header: Buffer;
  /** What the input is not when they are missing: checked on the first bytes, before more is read. */
  readonly refusal: string;
}

/** Copies `input`'s content into `path`, a new file, and returns it as an input of the same name. */
export async function spill(input: Input, path: string, expected?: Expected): Promise<Input> {
  const fd = openSync(path, 'wx', 0o600);
  try {
    let head = Buffer.alloc(0);
    let checked = expected === undefined;
    try {
      for await (const chunk of input.open()) {
        if (!checked) {
          head = Buffer.concat([head, chunk as Buffer]);
          if (head.length < expected!.header.length) continue;
          if (!head.subarray(0, expected!.header.length).equals(expected!.header)) throw new Unexpected(expected!.refusal);
          checked = true;
          write(fd, head, path);
        } else {
          write(fd, chunk as Buffer, path);
        }
      }
    } catch (error) {
      if (error instanceof OperationalError || error instanceof Unexpected) throw error;
      throw new UsageError(`cannot read ${input.name}: ${(error as Error).message}`);
    }
    if (!checked) throw new Unexpected(expected!.refusal);
  } finally {
    closeSync(fd);
  }
  return fileInput(path, input.name);
}

/** The input is not what was expected (Expected.refusal). */
class Unexpected extends UsageError {}

/** Writes all of `bytes` (a private file: nobody else appends, so a short write simply goes on). */
function write(fd: number, bytes: Buffer, path: string): void {
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' ? 'no space left on device' : (error as Error).message;
    throw new OperationalError(`cannot copy the input to the temporary file ${path}: ${why}`);
  }
}
