// What every command that touches the store or the live set shares.

import { statSync } from 'node:fs';
import { OperationalError } from '../errors.js';
import type { Cidr, Network } from '../address/network.js';
import { drainSpool } from '../actions/ban.js';
import { settleAround } from '../actions/plan-store.js';
import type { Context } from '../cli/context.js';
import { isEmptyDelta, type Delta } from '../plan/diff.js';
import { Store } from '../store/store.js';

/**
 * Opens the store and folds in bans the hook had to spool; their live adds are applied too. A
 * command that only reads (`existing`) does not create one: a mistyped --db is an error, not an
 * empty store (and its directories) made at that path. A `dryRun` neither creates nor folds.
 */
export async function openStore(ctx: Context, options: { existing?: boolean; dryRun?: boolean } = {}): Promise<Store> {
  if ((options.existing || options.dryRun) && isMissing(ctx.config.db)) {
    throw new OperationalError(`no store at ${ctx.config.db}: nothing has been recorded there yet (--db names another)`);
  }
  const store = Store.open({ path: ctx.config.db, busyTimeoutMs: ctx.config.busyTimeoutMs });
  // A dry run (and doctor) changes nothing: the spool waits for the next command that may.
  const drained = options.dryRun ? undefined : drainSpool(store, ctx.config, ctx.clock());
  if (drained) {
    // On stderr: it is news about the store, not the command's output (JSON, an export).
    ctx.out.warn(`folded ${drained.folded} spooled ban(s) into the store`);
    if (drained.rejected > 0) ctx.out.warn(`${drained.rejected} spooled line(s) were unreadable; kept in ${store.path}.spool.bad`);
    await applyLive(ctx, store, drained.delta).catch((error: Error) => ctx.out.warn(`spooled bans not applied to the live set: ${error.message}`));
  }
  return store;
}

/**
 * Applies a change's delta to the live set, then the difference between the plan it brought about
 * (`after`) and the plan now: see settleAround. Returns the absent note of applyLive. The change is
 * committed by then; `done` says what it was, so a failing tool is reported as what it is: the
 * store changed and the live set did not follow.
 */
export async function applySettled(
  ctx: Context,
  store: Store,
  network: Network,
  change: { delta: Delta; after: readonly Cidr<number | bigint>[] },
  done: string,
): Promise<string | undefined> {
  try {
    const absent = await applyLive(ctx, store, change.delta);
    if (absent || isEmptyDelta(change.delta)) return absent;
    await applyLive(ctx, store, settleAround(store, ctx.config, ctx.clock(), network, change.after));
    return undefined;
  } catch (error) {
    throw new OperationalError(`${done}, but the live set was not updated: ${(error as Error).message}`);
  }
}

/**
 * Applies a delta to the live set (see loadLiveBackend). Returns a note when there is no live set
 * yet (nothing to update before the first restore); throws when the tool fails.
 */
export async function applyLive(ctx: Context, store: Store, delta: Delta): Promise<string | undefined> {
  if (isEmptyDelta(delta)) return undefined;
  const { loadLiveBackend } = await import('../firewall/select.js');
  const backend = await loadLiveBackend(ctx.config, store, ctx.runner);
  return (await backend.update(delta)).absent;
}

/** Absent, as opposed to unreadable: a store in a directory we may not read is Store.open's to report. */
export function isMissing(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
