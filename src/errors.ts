// Every failure a user can cause or meet is one of these. The message is printed where the problem is
// found; what it means to the caller is its kind, and each edge turns a kind into its own code from
// one table (ERROR_KINDS below): the CLI into an exit code (cli/exit.ts), the daemon's socket into a
// response code (daemon/socket/protocol.ts). Domain code never decides an exit code.

/**
 * - invalid: the input is wrong (an address, a flag, a config key, an import line); nothing was
 *   written, and trying again with the same input fails the same way.
 * - failed: the input was understood but the work could not be done (a tool missing or failing, not
 *   root, the store locked or unreadable).
 */
export type ErrorKind = 'invalid' | 'failed';

/** How each edge reports a kind: the CLI's exit code, the socket's response code. */
export const ERROR_KINDS: Readonly<Record<ErrorKind | 'internal', { readonly exitCode: 1 | 2; readonly response: string }>> = {
  invalid: { exitCode: 2, response: 'invalid' },
  failed: { exitCode: 1, response: 'failed' },
  // A bug: not a StickybanError at all.
  internal: { exitCode: 1, response: 'internal' },
};

/** Base of all expected failures: printed as one line, never with a stack trace. */
export abstract class StickybanError extends Error {
  abstract readonly kind: ErrorKind;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input or usage: nothing was written. */
export class UsageError extends StickybanError {
  readonly kind = 'invalid';
}

/** The input was understood but the work failed (tool missing, not root, store locked). */
export class OperationalError extends StickybanError {
  readonly kind = 'failed';
}

/** The kind of any thrown value: 'internal' for what is not one of ours (a bug). */
export function kindOf(error: unknown): ErrorKind | 'internal' {
  return error instanceof StickybanError ? error.kind : 'internal';
}

/** An external tool ran and failed; the message carries the command and what the tool printed. */
export class ToolError extends OperationalError {
  constructor(
    readonly command: readonly string[],
    readonly toolExitCode: number | null,
    readonly stderr: string,
    context?: string,
  ) {
    const detail = firstLines(stderr) || `exit code ${toolExitCode ?? 'none (killed)'}`;
    super(`${context ? `${context}: ` : ''}${command.join(' ')} failed: ${detail}`);
  }
}

/** An external tool is not installed; the message names the Debian package. */
export class ToolMissingError extends OperationalError {
  constructor(readonly tool: string, readonly debianPackage: string) {
    super(`${tool} is not installed (Debian package: ${debianPackage}; apt-get install ${debianPackage})`);
  }
}

/** The store could not be used: busy past the timeout, unreadable, or its schema is not ours. */
export class StoreError extends OperationalError {
  /**
   * `what` says what is wrong; `advice` (what the admin may do, such as "try again") follows it in
   * the message. A caller that does something else about it (the ban hook spools the ban) says
   * `what` alone.
   */
  constructor(
    readonly what: string,
    advice?: string,
  ) {
    super(advice === undefined ? what : `${what}; ${advice}`);
  }
}

/**
 * A backend refused to load before it changed anything: what is in the way is the admin's (a table
 * of theirs named where ours goes). A switch refused so has nothing to take back.
 */
export class RefusedBeforeLoad extends OperationalError {}

/** Another stickyban held a lock beside the store for as long as this one would wait. */
export class LockHeldError extends StoreError {}

/**
 * There is no store at the path: only `stickyban init` (and the install, which runs it) makes one.
 * A restore or a hook that made it would load an empty blocklist from a mistyped --db.
 */
export class StoreMissingError extends OperationalError {}

/** Tool output is at most a few lines that matter; keep the error on one line. */
function firstLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join('; ');
}

/** Why a file could not be read, in a few words ("no such file", "permission denied", …). */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory; expected a file';
  return (error as Error).message;
}
