// `stickyban init`: the one command that creates the store (the install runs it). Every other
// command refuses a missing store: a restore or a ban hook that made one at a mistyped --db would
// record into, and load, an empty blocklist.

import { Store } from '../store/store.js';
import { shownPath } from '../input/quote.js';
import type { Context } from './context.js';
import { foldSpool } from './open-store.js';
import { isMissing } from '../files/is-missing.js';

/**
 * Creates the store (0600 in a 0700 directory) and applies the migrations; on a store that is
 * there, only the migrations. Folds in what ban hooks spooled while it was missing.
 */
export async function init(ctx: Context): Promise<void> {
  const { db } = ctx.config;
  const made = isMissing(db);
  const store = Store.open({ path: db, busyTimeoutMs: ctx.config.busyTimeoutMs, create: true });
  try {
    await foldSpool(ctx, store);
  } finally {
    store.close();
  }
  ctx.out.info(made ? `created the store ${shownPath(db)}` : `the store ${shownPath(db)} is there already; nothing to create`);
}
