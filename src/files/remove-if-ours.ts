import { lstatSync, unlinkSync } from 'node:fs';

/**
 * Removes the file we created at `path`, and only that: another user may have put something else at
 * the name since (`ours`: the fstat of what we created).
 */
export function removeIfOurs(path: string, ours: { readonly dev: number; readonly ino: number }): void {
  try {
    const now = lstatSync(path);
    if (now.dev === ours.dev && now.ino === ours.ino) unlinkSync(path);
  } catch {
    // Gone already.
  }
}
