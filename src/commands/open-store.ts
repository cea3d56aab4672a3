// How commands open the store. Opening only reads and migrates; folding in what the ban hook had to
// spool is a step of its own that write commands take (foldSpool), never a side effect of a read.

import { count } from '../input/plural.js';
import { shownPath } from '../input/quote.js';
import { drainSpool, type DrainOutcome } from '../actions/ban.js';
import { applyLive } from '../actions/live.js';
import { spoolFilesWaiting, spoolPath } from '../store/spool.js';
import { Store } from '../store/store.js';
import type { Context } from './context.js';

/**
 * Opens the store. No command but `stickyban init` creates one (Store.open refuses a missing store):
 * a mistyped --db is an error, not an empty store (and its directories) made at that path, and
 * restored as an empty blocklist. `reading`: a command that only reads opens it read-only, so it
 * works on a read-only file system or a file it may not write.
 */
export async function openStore(ctx: Context, options: { reading?: boolean } = {}): Promise<Store> {
  const store = Store.open({ path: ctx.config.db, busyTimeoutMs: ctx.config.busyTimeoutMs, readOnly: options.reading === true });
  // A read leaves the spool alone, but what it shows is then short of those bans: say so.
  if (options.reading && spoolFilesWaiting(store.path) > 0) {
    ctx.out.warn(`bans wait in ${shownPath(spoolPath(store.path))}, not in what this shows: the daemon or the next command that writes folds them in`);
  }
  return store;
}

/** Opens the store for a command that writes, and folds the spool into it (see foldSpool). */
export async function openStoreToWrite(ctx: Context): Promise<Store> {
  const store = await openStore(ctx);
  await foldSpool(ctx, store);
  return store;
}

/**
 * Folds in bans the hook had to spool, and applies their live adds. Said on stderr: it is news
 * about the store, not the command's output (JSON, an export).
 */
export async function foldSpool(ctx: Context, store: Store): Promise<void> {
  const drained = drainSpool(store, ctx.config, ctx.clock());
  if (!drained) return;
  // A spool file with no line in it (a hook's write that found the disk full) folded nothing: not news.
  if (drained.folded > 0) ctx.out.warn(`folded ${count(drained.folded, 'spooled ban')} into the store`);
  if (drained.rejected > 0) ctx.out.warn(describeRejected(drained));
  try {
    await applyLive(store, ctx, drained.delta);
    drained.owed?.end();
  } catch (error) {
    // Still owed: the next check finds it once this command is gone (doctor, the daemon, restore --if-missing).
    ctx.out.warn(`spooled bans not applied to the live set: ${(error as Error).message}`);
  }
}

/** One line for the spool's bad lines: how many, where they went (or why they could not), the first problem. */
function describeRejected(drained: DrainOutcome): string {
  const lines = count(drained.rejected, 'invalid spooled line');
  const first = `the first: ${drained.problem}`;
  if (drained.kept) {
    return `${lines} (${first}) could not be moved to ${shownPath(drained.quarantine)}: ${drained.kept.why}; kept in ${drained.kept.files.map(shownPath).join(', ')} for the next command`;
  }
  return `${lines} moved to ${shownPath(drained.quarantine)} (${first}); the bans on the other lines were folded in`;
}

