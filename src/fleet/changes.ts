// A fleet-wide lift or safelist change applied here, as if this host's admin had made it: through the
// same actions as the command line's (the live set follows). The daemon and `fleet sync` share it.

import { formatNetwork } from '../address/format.js';
import { liftBans } from '../actions/lift.js';
import type { Surroundings } from '../actions/live.js';
import { addToSafelist, removeFromSafelist } from '../actions/safelist.js';
import type { Store } from '../store/store.js';
import type { FleetEvent } from './log.js';
import { count } from '../input/plural.js';

/** What it did, in one line. `alongside` writes in the change's own transaction (the position after it). */
/** `liveLater`: the store alone, a restore to follow (a catch-up in bulk: see addToSafelist). */
export async function applyChange(store: Store, around: Surroundings, event: FleetEvent, signal?: AbortSignal, alongside?: () => void, liveLater = false): Promise<string> {
  const what = `${formatNetwork(event.network)} (fleet-wide, from ${event.origin})`;
  switch (event.kind) {
    case 'lift': {
      const outcome = await liftBans(store, around, event.network, event.jail, `fleet:${event.origin}`, (lifted) => `lifted ${count(lifted, 'ban event')} of ${what}`, { signal, alongside, decidedAt: event.at, liveLater });
      const kept = outcome.kept > 0 ? `; ${count(outcome.kept, 'ban event')} recorded since it was decided left in force` : '';
      return `unbanned ${what}: ${count(outcome.lifted, 'ban event')} lifted${kept}`;
    }
    case 'safelist-add': {
      const note = `fleet: ${event.origin}${event.reason ? `: ${event.reason}` : ''}`.slice(0, 200);
      await addToSafelist(store, around, event.network, note, `safelisted ${what}`, signal, alongside, liveLater);
      return `safelisted ${what}`;
    }
    case 'safelist-remove':
      await removeFromSafelist(store, around, event.network, `removed ${what} from the safelist`, signal, alongside, liveLater);
      return `removed ${what} from the safelist`;
    case 'ban':
      return '';
  }
}
