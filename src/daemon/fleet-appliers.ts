// How the daemon applies the other hosts' events: bans through its writer like the ones fail2ban
// hands it (group commit, then the live set; the local safelist and policy decide as for any ban),
// or, far behind, recorded in bulk and loaded by one restore; fleet-wide lifts and safelist changes
// through the same actions as the command line's.

import { formatNetwork } from '../address/format.js';
import { liftBans } from '../actions/lift.js';
import type { Surroundings } from '../actions/live.js';
import { addToSafelist, removeFromSafelist } from '../actions/safelist.js';
import type { Appliers } from '../fleet/exchange.js';
import type { Store } from '../store/store.js';
import type { BanWriter } from './ban-writer.js';
import { jobFailure, type Jobs } from './jobs.js';

export function daemonAppliers(store: Store, around: () => Surroundings, writer: BanWriter, jobs: Jobs, signal: AbortSignal, log: (line: string) => void): Appliers {
  return {
    bans: async (events, bulk) => {
      if (bulk) await store.writeAsync(() => store.bans.insertMany(events), signal);
      else await Promise.all(events.map((event) => writer.submit(event)));
    },
    change: async (event) => {
      const what = `${formatNetwork(event.network)} (fleet-wide, from ${event.origin})`;
      switch (event.kind) {
        case 'lift': {
          const outcome = await liftBans(store, around(), event.network, event.jail, `fleet:${event.origin}`, (lifted) => `lifted ${lifted} ban event(s) of ${what}`, signal);
          log(`fleet: unbanned ${what}: ${outcome.lifted} ban event(s) lifted`);
          return;
        }
        case 'safelist-add': {
          const note = `fleet: ${event.origin}${event.reason ? `: ${event.reason}` : ''}`.slice(0, 200);
          await addToSafelist(store, around(), event.network, note, `safelisted ${what}`, signal);
          log(`fleet: safelisted ${what}`);
          return;
        }
        case 'safelist-remove':
          await removeFromSafelist(store, around(), event.network, `removed ${what} from the safelist`, signal);
          log(`fleet: removed ${what} from the safelist`);
          return;
        case 'ban':
          return;
      }
    },
    restore: async () => {
      const result = await jobs.run(['restore', '--trigger', 'fleet']);
      if (result.code !== 0) log(`error: fleet: restoring after a catch-up: ${jobFailure(result)}`);
    },
  };
}
