import { statSync } from 'node:fs';

/**
 * Whether nothing is at `path`: absent, as opposed to unreadable. A file that is there but cannot
 * be reached (a loop of links, a directory we may not read) is its reader's to report.
 */
export function isMissing(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
