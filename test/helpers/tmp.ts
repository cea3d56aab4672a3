import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A temp dir removed when the test file ends. */
export function tempDir(prefix = 'stickyban-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh store path (not created yet) in its own temp dir. */
export function tempDb(): string {
  return join(tempDir(), 'stickyban.db');
}
