// How the daemon applies the other hosts' events: bans through its writer like the ones fail2ban
// hands it (group commit, then the live set; the local safelist and policy decide as for any ban),
// or, far behind, recorded in bulk by a thread of their own (the loop goes on serving) and loaded by
// one restore; fleet-wide lifts and safelist changes through the same actions as the command line's.

import type { Surroundings } from '../actions/live.js';
import { applyChange } from '../fleet/changes.js';
import { awaitLater } from '../exec/run.js';
import { BulkCatchUp } from '../fleet/bulk-catch-up.js';
import type { Appliers } from '../fleet/exchange.js';
import type { Store } from '../store/store.js';
import type { BanWriter } from './ban-writer.js';
import { jobFailure, type Jobs } from './jobs.js';

/** ~30 ms of the insert thread's: about what a ban handed to the daemon waits at most during a catch-up. */
const BULK_ROWS_PER_TRANSACTION = 2000;

/** A restore after a catch-up that failed is not run again sooner: the daemon syncs every few seconds. */
const RESTORE_RETRY_MS = 30_000;

export function daemonAppliers(store: Store, around: () => Surroundings, writer: BanWriter, jobs: Jobs, signal: AbortSignal, log: (line: string) => void): Appliers {
  // The daemon's own commits stay synced (each answers a ban as recorded), and go before the bulk's.
  const catchUp = new BulkCatchUp(store, around().config.busyTimeoutMs, { durable: true, rowsPerTransaction: BULK_ROWS_PER_TRANSACTION });
  let failed: { readonly at: number; readonly message: string } | undefined;
  return {
    bans: async (events, bulk) => {
      if (!bulk) {
        await Promise.all(events.map((event) => writer.submit(event)));
        return;
      }
      await catchUp.insert(events, around().clock());
    },
    change: async (event, bulk, record) => log(`fleet: ${await applyChange(store, around(), event, signal, record, bulk)}`),
    restore: async () => {
      // The thread's checkpoint runs beside the restore job, which reads the committed store.
      const finishing = awaitLater(catchUp.finish());
      try {
        // The sync reports a failure; the restore stays owed, and a sync after the pause runs it again.
        if (failed && Date.now() - failed.at < RESTORE_RETRY_MS) throw new Error(failed.message);
        const result = await jobs.run(['restore', '--trigger', 'fleet']);
        if (result.code === 0) {
          failed = undefined;
          return;
        }
        failed = { at: Date.now(), message: `restoring after a catch-up: ${result.stopped ? 'stopped with the daemon' : jobFailure(result)}` };
        throw new Error(failed.message);
      } finally {
        await finishing;
      }
    },
    end: () => catchUp.stop(),
  };
}
