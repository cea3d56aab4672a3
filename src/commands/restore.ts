import { describeProblems, findProblems, healLive } from '../actions/heal.js';
import { emptyingProblem, restoreLive } from '../actions/restore.js';
import { streamPlan } from '../actions/plan-store.js';
import type { Context } from './context.js';
import type { Store } from '../store/store.js';
import { OperationalError, RefusedBeforeLoad, StickybanError, StoreError } from '../errors.js';
import { backendName, isBackendName, type BackendName } from '../config/config.js';
import { backendToRestore } from '../actions/live.js';
import { parseSource } from '../input/names.js';
import { DryRunBackend } from '../firewall/dry-run.js';
import { loadBackend, retirer, targetOf } from '../firewall/select.js';
import { openStore, openStoreToWrite } from './open-store.js';
import { count } from '../input/plural.js';

export interface RestoreOptions {
  readonly dryRun?: boolean;
  /** Only restore when something is missing (the fail2ban action's start/check, firewall hooks). */
  readonly ifMissing?: boolean;
  /** What asked for it, recorded with the restore. */
  readonly trigger?: string;
  /** Load every set whole, even one in place. */
  readonly rebuild?: boolean;
  /** Load an empty plan over a live set that holds entries. */
  readonly force?: boolean;
  /** The backend to load, instead of the one in force (see backendToRestore). */
  readonly backend?: string;
}

/** Rebuilds the live blocklist from the store: after a firewall reload, at boot, or by hand. */
export async function restore(options: RestoreOptions, ctx: Context): Promise<void> {
  const explicit = options.backend === undefined ? undefined : backendName(options.backend, '--backend');
  if (!options.dryRun && process.getuid?.() !== 0) {
    throw new OperationalError('restore changes the firewall and needs root (CAP_NET_ADMIN); run it as root, or use --dry-run to see the plan');
  }
  const trigger = options.trigger === undefined ? undefined : parseSource(options.trigger, '--trigger');
  let store: Store;
  try {
    store = options.dryRun ? await openStore(ctx, { reading: true }) : await openStoreToWrite(ctx);
  } catch (error) {
    // --if-missing on a store that cannot be written (a read-only mount): when nothing is missing,
    // nothing needs writing, and fail2ban's actionstart must not fail on every ban for it.
    if (!options.ifMissing || !(error instanceof StoreError) || !(await inPlaceReadOnly(explicit, ctx))) throw error;
    ctx.out.info('the blocklist is in place; nothing to restore');
    return;
  }
  try {
    const inForce = backendToRestore(store, ctx.config);
    const name = explicit ?? inForce;
    const backend = options.dryRun ? new DryRunBackend({ ...ctx.config, backend: name }, ctx.out) : await loadBackend(ctx.config, ctx.runner, name);
    let result;
    // The backend whose sets are live (the last restore's): a restore of another that fails part-way is taken back (takenBack).
    const live = store.restores.lastBackend();
    const orTakenBack = <T>(work: () => Promise<T>) => takenBack(work, name, live, store, ctx);
    if (options.ifMissing && !options.dryRun) {
      const healed = await orTakenBack(() => healLive(store, ctx.config, ctx.clock, backend, trigger ?? 'restore --if-missing', retirer(ctx.config, ctx.runner), options.force === true));
      if (!healed.restore) {
        ctx.out.info('the blocklist is in place; nothing to restore');
        return;
      }
      ctx.out.info(`missing: ${describeProblems(healed.problems)}`);
      result = healed.restore;
    } else {
      if (options.dryRun) {
        // Says what it would load and changes nothing: no lock to take (the store may be read-only).
        await backend.apply(() => streamPlan(store, ctx.config, ctx.clock()));
        // And what a real run would refuse, when the live set can be read (as root, its tools there).
        // Not as root, or a tool missing: the kernel cannot be read, and there is nothing to say of it (a bug still throws).
        const refusals = await refusalsOfRealRun(store, name, options.force === true, ctx).catch((error: unknown) => {
          if (error instanceof StickybanError) return [];
          throw error;
        });
        for (const refusal of refusals) ctx.out.info(`dry run: ${refusal}`);
        return;
      }
      result = await orTakenBack(() => restoreLive(store, ctx.config, ctx.clock, backend, { trigger: trigger ?? 'restore', retire: retirer(ctx.config, ctx.runner), rebuild: options.rebuild === true, force: options.force === true }));
    }
    for (const note of result.report.notes) ctx.out.info(note);
    const { v4, v6 } = result.stats;
    const dropped = v4.dropped + v6.dropped + v4.split + v6.split;
    ctx.out.info(
      `restored ${result.report.v4} IPv4 and ${result.report.v6} IPv6 entries with ${backend.name} in ${(result.durationMs / 1000).toFixed(2)} s` +
        (dropped > 0 ? ` (${count(v4.dropped + v6.dropped, 'banned block')} safelisted, ${v4.split + v6.split} split around the safelist)` : '') +
        (result.caughtUp > 0 ? `; ${count(result.caughtUp, 'entry', 'entries')} caught up from bans recorded meanwhile` : ''),
    );
    for (const note of result.retired) ctx.out.info(note);
    ctx.out.detail(`peak memory of stickyban: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  } finally {
    store.close();
  }
}

/**
 * `work`, a restore of `attempted`; when it fails part-way while another backend is live (a
 * switch: restore --backend, --if-missing too, or a config naming another backend), what it loaded
 * is taken back (undoSwitch). Only before its record: once recorded (a failure after the load, in
 * its catch-up), the new backend is the one in force, and the old one goes at the next restore.
 * One refused before it loaded anything (a table of the admin's where ours would go) has nothing
 * to take back, and what is there is not ours.
 */
async function takenBack<T>(work: () => Promise<T>, attempted: BackendName, live: string | undefined, store: Store, ctx: Context): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isBackendName(live) || live === attempted || store.restores.lastBackend() !== live || !(error instanceof OperationalError)) throw error;
    if (error instanceof RefusedBeforeLoad) throw new OperationalError(`${error.message}; ${live} stays in force`);
    throw new OperationalError(`${error.message}; ${await undoSwitch(attempted, live, ctx)}`);
  }
}

/**
 * A switch to another backend that failed part-way is taken back: what it loaded (one family, when
 * a set of another type was in the way of the other) stayed in the kernel, recorded nowhere, so no
 * unban, restore or doctor of the backend still in force ever saw it, and it went on dropping what
 * the store had lifted. The backend in force was not touched.
 */
async function undoSwitch(attempted: BackendName, inForce: BackendName, ctx: Context): Promise<string> {
  const { notes } = await retirer(ctx.config, ctx.runner)([{ backend: attempted, target: targetOf(ctx.config, attempted) }], inForce);
  return `the switch to ${attempted} is taken back${notes.length > 0 ? ` (${notes.join('; ')})` : ''}; ${inForce} stays in force`;
}

/**
 * What a real restore of `name` would refuse, read from the kernel without changing it: a set of
 * another type in its way (a check that names its own fix, not a restore's), an empty plan over a
 * live set that holds entries. Throws when the kernel cannot be read (not root): then nothing is said.
 */
async function refusalsOfRealRun(store: Store, name: BackendName, force: boolean, ctx: Context): Promise<string[]> {
  const real = await loadBackend(ctx.config, ctx.runner, name);
  const checks = await real.presence({ firstPlanned: () => undefined });
  const refusals = checks.filter((check) => !check.ok && check.fix !== undefined).map((check) => `a real restore would not load ${check.what}: it ${check.problem ?? 'is in the way'} (fix: ${check.fix})`);
  const emptying = force ? undefined : await emptyingProblem(store, ctx.config, ctx.clock(), real);
  return emptying === undefined ? refusals : [...refusals, `a real restore would refuse to empty the live blocklist: ${emptying}; restore --force would empty it`];
}

/** Whether nothing of the blocklist is missing, read from a store opened read-only (restore --if-missing where the store cannot be written). */
async function inPlaceReadOnly(explicit: BackendName | undefined, ctx: Context): Promise<boolean> {
  let store: Store | undefined;
  try {
    store = await openStore(ctx, { reading: true });
    const backend = await loadBackend(ctx.config, ctx.runner, explicit ?? backendToRestore(store, ctx.config));
    return (await findProblems(store, ctx.config, ctx.clock, backend)).problems.length === 0;
  } catch (error) {
    if (error instanceof StickybanError) return false;
    throw error;
  } finally {
    store?.close();
  }
}
