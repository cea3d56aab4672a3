// The one place where failures become exit codes: 0 ok, 1 operational failure, 2 bad input.

import { StickybanError } from '../errors.js';

export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof StickybanError ? error.exitCode : 1;
}

/** Prints one line for the failure (a stack only with --verbose and only for bugs) and sets the exit code. */
export function reportFailure(error: unknown, verbose = false): void {
  if (error instanceof StickybanError) {
    process.stderr.write(`stickyban: ${error.message}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`stickyban: internal error: ${message.split('\n')[0]}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = exitCodeOf(error);
}

