// Stores made as `stickyban init` makes them: no other command creates one (a restore or a hook that
// did would load an empty blocklist from a mistyped --db), so a test that starts from an empty store
// makes it first.

import { Store } from '../../src/store/store.js';
import { configuredStore, tempDb } from './tmp.js';

/** What `stickyban init` does to `db`: made (0600 in a 0700 directory), migrated, closed. Returns `db`. */
export function initStore(db: string): string {
  Store.open({ path: db, busyTimeoutMs: 5000, create: true }).close();
  return db;
}

/** A new, empty store in a temp dir of its own. */
export function tempStore(): string {
  return initStore(tempDb());
}

/** configuredStore() with its store made. */
export function configuredNewStore(toml: string): ReturnType<typeof configuredStore> {
  const made = configuredStore(toml);
  initStore(made.db);
  return made;
}
