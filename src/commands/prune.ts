import { prune, type PruneJson } from '../actions/prune.js';
import type { Context } from './context.js';
import { formatTime } from '../clock.js';
import { formatDuration, parseDuration } from '../input/duration.js';
import { liveBackend } from '../actions/live.js';
import { openStore, openStoreToWrite } from './open-store.js';
import { count } from '../input/plural.js';
import { UsageError } from '../errors.js';

export interface PruneCommandOptions {
  readonly olderThan?: string;
  readonly dryRun?: boolean;
  readonly includeManual?: boolean;
  readonly json?: boolean;
}

/** Applies the retention policy: removes addresses last banned longer ago than the retention. */
export async function pruneCommand(options: PruneCommandOptions, ctx: Context): Promise<void> {
  if (options.json === true && ctx.out.verbose) throw new UsageError('prune: --json and --verbose together: --verbose lists the addresses as text (expected one of them)');
  const said = (summary: string, figures: Omit<PruneJson, 'summary' | 'dry_run'> = { pruned: 0, events: 0, live_removed: null, kept_safelisted: 0 }) => {
    const json: PruneJson = { summary, ...figures, dry_run: options.dryRun === true };
    if (options.json === true) ctx.out.data(`${JSON.stringify(json)}\n`);
    else ctx.out.info(summary);
  };
  const olderThan = options.olderThan === undefined ? ctx.config.policy.retentionSeconds : parseDuration(options.olderThan, '--older-than');
  if (olderThan === undefined) {
    said('the retention is "never": nothing to prune (pass --older-than to prune anyway)');
    return;
  }
  const store = options.dryRun ? await openStore(ctx, { reading: true }) : await openStoreToWrite(ctx);
  try {
    const backend = options.dryRun ? undefined : () => liveBackend(store, ctx);
    const lines = (addresses: readonly string[]) => addresses.map((address) => `  ${address}\n`).join('');
    const report = await prune(store, ctx.config, ctx.clock(), backend, {
      olderThan,
      includeManual: options.includeManual === true,
      dryRun: options.dryRun === true,
      // --verbose lists them as they go. A real prune holds the apply lock meanwhile: it never
      // waits for the reader, which may be a pager.
      ...(ctx.out.verbose ? { onPruned: (addresses) => (options.dryRun ? ctx.out.stream([lines(addresses)]) : ctx.out.data(lines(addresses))) } : {}),
    });
    const when = `last banned before ${formatTime(report.cutoff)} (${formatDuration(olderThan)} ago)`;
    const kept = report.keptSafelisted > 0 ? `; kept the history of ${report.keptSafelisted} safelisted` : '';
    const figures = { pruned: report.pruned, events: report.events, live_removed: null, kept_safelisted: report.keptSafelisted };
    if (report.pruned === 0) {
      said(`nothing to prune: no address ${when}${kept}`, figures);
      return;
    }
    if (options.dryRun) {
      said(`dry run: would prune ${count(report.pruned, 'address', 'addresses')} (${count(report.events, 'event')}) ${when}${kept}`, figures);
      return;
    }
    // Up to: what may be live is taken out (a hook adds a ban that a restore would leave out as aged), whether it was or not.
    const live = report.liveAbsent ?? `up to ${count(report.liveRemoved, 'live entry', 'live entries')} removed${report.liveAdded > 0 ? `, ${report.liveAdded} added where missing` : ''}`;
    said(`pruned ${count(report.pruned, 'address', 'addresses')} (${count(report.events, 'event')}) ${when}; ${live}${kept}`, { ...figures, live_removed: report.liveAbsent === undefined ? report.liveRemoved : null });
  } finally {
    store.close();
  }
}
