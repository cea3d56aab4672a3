// After an import: bring the live set up to date if there is one. A host whose firewall is managed
// by stickyban gets the imported bans at once (a full restore: one atomic swap, however many were
// added); on a host where restore has not run yet, the import only records, and says how to load.

import { restoreLive } from './restore.js';
import { liveBackend, type Surroundings } from './live.js';
import type { Store } from '../store/store.js';

export type LiveOutcome =
  | { readonly state: 'applied'; readonly backend: string; readonly v4: number; readonly v6: number }
  /** The backend's live sets do not exist: restore has never run here. */
  | { readonly state: 'no-live-set' }
  /** --no-apply. */
  | { readonly state: 'skipped' }
  /** Nothing was added, so nothing can have changed. */
  | { readonly state: 'unchanged' }
  /** The live set could not be inspected (no root, tool missing); the import itself is done. */
  | { readonly state: 'unchecked'; readonly why: string };

export async function applyImport(store: Store, around: Surroundings, added: number, apply: boolean): Promise<LiveOutcome> {
  if (!apply) return { state: 'skipped' };
  if (added === 0) return { state: 'unchanged' };
  try {
    const { entries } = await (await liveBackend(store, around)).inspect();
    if (entries.v4 === undefined && entries.v6 === undefined) return { state: 'no-live-set' };
  } catch (error) {
    return { state: 'unchecked', why: (error as Error).message };
  }
  // restoreLive takes the apply lock itself, and finds the live backend again under it (a restore
  // may switch backends meanwhile); the import's writes are already committed. No retirer: the
  // live backend is the last one restored, so no backend was used after it to be retired.
  const result = await restoreLive(store, around.config, around.clock, () => liveBackend(store, around), { trigger: 'import' });
  return { state: 'applied', backend: result.backend, v4: result.report.v4, v6: result.report.v6 };
}
