// Every failure a user can cause or meet is one of these. The message is printed where the problem is
// found; the exit code is decided in one place (cli/exit.ts) from the class.

/** Base of all expected failures: printed as one line, never with a stack trace. */
export abstract class StickybanError extends Error {
  abstract readonly exitCode: 1 | 2;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input or usage: exit 2, and nothing was written. */
export class UsageError extends StickybanError {
  readonly exitCode = 2;
}

/** The input was understood but the work failed (tool missing, not root, store locked): exit 1. */
export class OperationalError extends StickybanError {
  readonly exitCode = 1;
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
export class StoreError extends OperationalError {}

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
