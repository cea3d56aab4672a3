import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** A temp dir with a config file of `toml` in it, and the paths of both and of a store beside them. */
export function configuredStore(toml: string): { dir: string; db: string; config: string } {
  const dir = tempDir();
  const config = join(dir, 'config.toml');
  writeFileSync(config, toml);
  return { dir, db: join(dir, 'stickyban.db'), config };
}
