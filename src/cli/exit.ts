// The one place where the CLI ends: failures become exit codes (0 ok, 1 operational failure, 2 bad
// input) from their kind (ERROR_KINDS in errors.ts), and every early exit goes through here.

import { ERROR_KINDS, kindOf, StickybanError, type ErrorKind } from '../errors.js';

export function exitCodeOf(error: unknown): 1 | 2 {
  return ERROR_KINDS[kindOf(error)].exitCode;
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

/** A failure already told (commander printed the help): only the exit code is left to set. */
export function exitAs(kind: ErrorKind): void {
  process.exitCode = ERROR_KINDS[kind].exitCode;
}

/**
 * Ends the process now, with the exit code set so far or the one given. The fast verbs end this
 * way (Node's orderly teardown costs a restore ~7 ms, and nothing is pending by then); so do a
 * closed output pipe and a launcher that cannot find its bundle.
 */
export function exitNow(code?: 0 | 1 | 2): never {
  // Node 20 exits 0 on process.exit(undefined), whatever process.exitCode says.
  if (code === undefined) process.exit();
  process.exit(code);
}

/**
 * `stickyban export | head -1`: the reader has all it wanted; stop quietly, as a tool killed by
 * SIGPIPE would (Node ignores that signal, so the write fails with EPIPE instead). A full disk or a
 * closed descriptor is one line, not an internal error.
 */
export function exitOnOutputError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') exitNow(0);
  process.stderr.write(`stickyban: cannot write the output: ${error.message}\n`);
  exitNow(1);
}
